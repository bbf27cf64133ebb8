"""CalendarService: the one door other packages use into caseworker calendars.

Booking asks it for availability and meeting types, the calendar pages and API for everything a
caseworker sets. The work is done by one class per job (working_time.py, calendar_imports.py,
meeting_types.py, feed_tokens.py); this class builds them over one sessionmaker and passes each
call to the one whose job it is, so a caller needs one service and not four.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from availability.slots import Availability
from calendars.calendar_imports import CalendarImports, IcsFetcher, ImportInfo
from calendars.feed_tokens import FeedTokens
from calendars.meeting_types import MeetingTypeFields, MeetingTypeInfo, MeetingTypes
from calendars.working_time import (
    AbsenceInfo,
    BlockedTime,
    DayOverride,
    OpeningInterval,
    WorkingTime,
)
from core.db import Sessions, utcnow
from core.principal import Viewer


class CalendarService:
    def __init__(
        self,
        sessions: Sessions,
        fetch_ics: IcsFetcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        executor: Executor | None = None,
        assessment_templates: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        self._working_time = WorkingTime(sessions, clock)
        self._imports = CalendarImports(
            sessions, self._working_time.time_zone_of, fetch_ics, clock, executor
        )
        self._meeting_types = MeetingTypes(sessions, assessment_templates)
        self._feed_tokens = FeedTokens(sessions)

    # ---- zone, languages, weekly hours, date overrides and absences ---------------------------

    async def time_zone_of(self, caseworker_id: str) -> str:
        return await self._working_time.time_zone_of(caseworker_id)

    async def time_zones_of(self, caseworker_ids: Sequence[str]) -> dict[str, ZoneInfo]:
        return await self._working_time.time_zones_of(caseworker_ids)

    async def languages_of(self, caseworker_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return await self._working_time.languages_of(caseworker_ids)

    async def set_profile(
        self, viewer: Viewer | None, caseworker_id: str, *, time_zone: str, languages: Sequence[str]
    ) -> None:
        await self._working_time.set_profile(
            viewer, caseworker_id, time_zone=time_zone, languages=languages
        )

    async def set_working_hours(
        self, caseworker_id: str, time_zone: str, intervals: Iterable[OpeningInterval]
    ) -> None:
        await self._working_time.set_working_hours(caseworker_id, time_zone, intervals)

    async def replace_working_hours(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        time_zone: str,
        intervals: Iterable[OpeningInterval],
    ) -> None:
        await self._working_time.replace_working_hours(viewer, caseworker_id, time_zone, intervals)

    async def working_hours(self, caseworker_id: str) -> list[OpeningInterval]:
        return await self._working_time.working_hours(caseworker_id)

    async def set_day_override(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        day: date,
        intervals: Sequence[tuple[time, time]],
    ) -> None:
        await self._working_time.set_day_override(viewer, caseworker_id, day, intervals)

    async def remove_day_override(
        self, viewer: Viewer | None, caseworker_id: str, day: date
    ) -> None:
        await self._working_time.remove_day_override(viewer, caseworker_id, day)

    async def day_overrides(
        self, caseworker_id: str, first_day: date | None = None
    ) -> list[DayOverride]:
        return await self._working_time.day_overrides(caseworker_id, first_day)

    async def add_absence(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        kind: str,
        starts_at: datetime,
        ends_at: datetime,
    ) -> AbsenceInfo:
        return await self._working_time.add_absence(viewer, caseworker_id, kind, starts_at, ends_at)

    async def absences(self, viewer: Viewer | None, caseworker_id: str) -> list[AbsenceInfo]:
        return await self._working_time.absences(viewer, caseworker_id)

    async def remove_absence(
        self, viewer: Viewer | None, caseworker_id: str, absence_id: str
    ) -> None:
        await self._working_time.remove_absence(viewer, caseworker_id, absence_id)

    async def blocked_times(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        window_start: datetime,
        window_end: datetime,
    ) -> list[BlockedTime]:
        return await self._working_time.blocked_times(
            viewer, caseworker_id, window_start, window_end
        )

    async def availability(
        self, caseworker_ids: Sequence[str], window_start: datetime, window_end: datetime
    ) -> dict[str, Availability]:
        return await self._working_time.availability(caseworker_ids, window_start, window_end)

    # ---- imported calendars -------------------------------------------------------------------

    async def import_file(
        self, viewer: Viewer | None, caseworker_id: str, data: bytes
    ) -> ImportInfo:
        return await self._imports.import_file(viewer, caseworker_id, data)

    async def add_url_import(
        self, viewer: Viewer | None, caseworker_id: str, url: str
    ) -> ImportInfo:
        return await self._imports.add_url_import(viewer, caseworker_id, url)

    async def refresh_url_imports(self) -> int:
        return await self._imports.refresh_url_imports()

    async def imports(self, viewer: Viewer | None, caseworker_id: str) -> list[ImportInfo]:
        return await self._imports.imports(viewer, caseworker_id)

    async def remove_import(
        self, viewer: Viewer | None, caseworker_id: str, import_id: str
    ) -> None:
        await self._imports.remove_import(viewer, caseworker_id, import_id)

    # ---- meeting types ------------------------------------------------------------------------

    async def create_meeting_type(
        self,
        viewer: Viewer | None,
        fields: MeetingTypeFields,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
    ) -> MeetingTypeInfo:
        return await self._meeting_types.create_meeting_type(
            viewer, fields, caseworker_id=caseworker_id, unit_id=unit_id
        )

    async def update_meeting_type(
        self, viewer: Viewer | None, meeting_type_id: str, fields: MeetingTypeFields
    ) -> MeetingTypeInfo:
        return await self._meeting_types.update_meeting_type(viewer, meeting_type_id, fields)

    async def meeting_type(self, meeting_type_id: str) -> MeetingTypeInfo:
        return await self._meeting_types.meeting_type(meeting_type_id)

    async def meeting_types_by_id(
        self, meeting_type_ids: Iterable[str]
    ) -> dict[str, MeetingTypeInfo]:
        return await self._meeting_types.meeting_types_by_id(meeting_type_ids)

    async def meeting_types_for(
        self, caseworkers: Sequence[tuple[str, str | None]], *, active_only: bool = True
    ) -> dict[str, list[MeetingTypeInfo]]:
        return await self._meeting_types.meeting_types_for(caseworkers, active_only=active_only)

    async def unit_meeting_types(self, unit_id: str) -> list[MeetingTypeInfo]:
        return await self._meeting_types.unit_meeting_types(unit_id)

    async def ensure_meeting_type(
        self,
        fields: MeetingTypeFields,
        *,
        unit_id: str | None = None,
        caseworker_id: str | None = None,
    ) -> MeetingTypeInfo:
        return await self._meeting_types.ensure_meeting_type(
            fields, unit_id=unit_id, caseworker_id=caseworker_id
        )

    # ---- the subscription feed ----------------------------------------------------------------

    async def new_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> str:
        return await self._feed_tokens.new_feed_token(viewer, caseworker_id)

    async def revoke_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> None:
        await self._feed_tokens.revoke_feed_token(viewer, caseworker_id)

    async def has_feed(self, caseworker_id: str) -> bool:
        return await self._feed_tokens.has_feed(caseworker_id)

    async def caseworker_for_feed(self, token: str) -> str:
        return await self._feed_tokens.caseworker_for_feed(token)
