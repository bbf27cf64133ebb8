"""Caseworker calendars: working hours, date overrides, absences, imported busy times, meeting
types and the private subscription feed token. Booking asks this service for availability."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from availability.slots import Availability, Interval, Opening
from calendars.ics_import import IcsImportError, parse_busy_times
from calendars.models import (
    Absence,
    BusyTime,
    CalendarImport,
    CaseworkerCalendar,
    DateOverride,
    MeetingType,
    WorkingHours,
)
from core.db import Sessions, utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.principal import Role, Viewer, require_role

ABSENCE_KINDS = ("vacation", "sick_leave", "training", "other")
MODES = ("video", "phone", "in_person")
IMPORT_WINDOW_PAST = timedelta(days=7)
IMPORT_WINDOW_FUTURE = timedelta(days=400)
DEFAULT_ZONE = "Europe/Helsinki"

# Fetches an .ics address and returns its bytes; raises IcsImportError on failure.
IcsFetcher = Callable[[str], Awaitable[bytes]]


@dataclasses.dataclass(frozen=True, slots=True)
class OpeningInterval:
    weekday: int  # Monday is 0
    starts_at: time
    ends_at: time


@dataclasses.dataclass(frozen=True, slots=True)
class DayOverride:
    day: date
    intervals: tuple[tuple[time, time], ...]  # empty: closed that day


@dataclasses.dataclass(frozen=True, slots=True)
class AbsenceInfo:
    id: str
    kind: str
    starts_at: datetime
    ends_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class ImportInfo:
    id: str
    source_url: str | None
    busy_count: int
    imported_at: datetime | None
    last_error: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class PreMeetingQuestion:
    id: str
    kind: str  # "text" or "yes_no"
    label: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label.get(language) or self.label.get("en") or self.id


@dataclasses.dataclass(frozen=True, slots=True)
class MeetingTypeInfo:
    id: str
    unit_id: str | None
    caseworker_id: str | None
    names: dict[str, str]
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    horizon_days: int
    slot_step_minutes: int
    modes: tuple[str, ...]
    address: str
    asks_pre_meeting_form: bool
    pre_meeting_questions: tuple[PreMeetingQuestion, ...]
    max_active_bookings_per_client: int
    is_active: bool
    reminder_minutes: tuple[int, ...] = ()
    assessment_template_id: str | None = None

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


@dataclasses.dataclass(frozen=True, slots=True)
class MeetingTypeFields:
    """What a caseworker or admin sets on a meeting type; checked by ``check``."""

    name_fi: str
    name_sv: str
    name_en: str
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 120
    horizon_days: int = 42
    slot_step_minutes: int = 15
    modes: tuple[str, ...] = ("video",)
    address: str = ""
    asks_pre_meeting_form: bool = False
    pre_meeting_questions: tuple[PreMeetingQuestion, ...] = ()
    max_active_bookings_per_client: int = 1
    is_active: bool = True
    reminder_minutes: tuple[int, ...] = ()  # empty: the service's default reminders
    assessment_template_id: str | None = None

    def check(self) -> None:
        fields: dict[str, str] = {}
        for language in SUPPORTED_LANGUAGES:
            name = getattr(self, f"name_{language}").strip()
            if not name or len(name) > 200:
                fields[f"name_{language}"] = N_("Enter a name of at most 200 characters.")
        bounds = {
            "duration_minutes": (5, 480),
            "buffer_before_minutes": (0, 240),
            "buffer_after_minutes": (0, 240),
            "minimum_notice_minutes": (0, 60 * 24 * 30),
            "horizon_days": (1, 365),
            "slot_step_minutes": (5, 240),
            "max_active_bookings_per_client": (1, 20),
        }
        for name, (low, high) in bounds.items():
            if not low <= getattr(self, name) <= high:
                fields[name] = N_("Enter a number in the allowed range.")
        if not self.modes or any(mode not in MODES for mode in self.modes):
            fields["modes"] = N_("Choose at least one way of meeting.")
        if len(self.reminder_minutes) > 4 or any(
            not 1 <= value <= 20160 for value in self.reminder_minutes
        ):
            fields["reminder_minutes"] = N_(
                "Give at most four reminders, each 1 to 20160 minutes before."
            )
        if "in_person" in self.modes and not self.address.strip():
            fields["address"] = N_("Enter the address for meetings in person.")
        if fields:
            raise ValidationFailed(fields)


def _meeting_type_info(row: MeetingType) -> MeetingTypeInfo:
    return MeetingTypeInfo(
        id=row.id,
        unit_id=row.unit_id,
        caseworker_id=row.caseworker_id,
        names={"fi": row.name_fi, "sv": row.name_sv, "en": row.name_en},
        duration_minutes=row.duration_minutes,
        buffer_before_minutes=row.buffer_before_minutes,
        buffer_after_minutes=row.buffer_after_minutes,
        minimum_notice_minutes=row.minimum_notice_minutes,
        horizon_days=row.horizon_days,
        slot_step_minutes=row.slot_step_minutes,
        modes=tuple(mode for mode in row.modes.split(",") if mode),
        address=row.address,
        asks_pre_meeting_form=row.asks_pre_meeting_form,
        pre_meeting_questions=tuple(
            PreMeetingQuestion(
                id=str(item["id"]), kind=str(item["kind"]), label=dict(item["label"])
            )
            for item in row.pre_meeting_questions or ()
        ),
        max_active_bookings_per_client=row.max_active_bookings_per_client,
        is_active=row.is_active,
        reminder_minutes=tuple(row.reminder_minutes or ()),
        assessment_template_id=row.assessment_template_id,
    )


def _apply_fields(row: MeetingType, fields: MeetingTypeFields) -> None:
    row.name_fi, row.name_sv, row.name_en = (
        fields.name_fi.strip(),
        fields.name_sv.strip(),
        fields.name_en.strip(),
    )
    row.duration_minutes = fields.duration_minutes
    row.buffer_before_minutes = fields.buffer_before_minutes
    row.buffer_after_minutes = fields.buffer_after_minutes
    row.minimum_notice_minutes = fields.minimum_notice_minutes
    row.horizon_days = fields.horizon_days
    row.slot_step_minutes = fields.slot_step_minutes
    row.modes = ",".join(fields.modes)
    row.address = fields.address.strip()
    row.asks_pre_meeting_form = fields.asks_pre_meeting_form
    row.pre_meeting_questions = [
        {"id": question.id, "kind": question.kind, "label": question.label}
        for question in fields.pre_meeting_questions
    ]
    row.max_active_bookings_per_client = fields.max_active_bookings_per_client
    row.is_active = fields.is_active
    row.reminder_minutes = sorted(set(fields.reminder_minutes), reverse=True)
    row.assessment_template_id = fields.assessment_template_id or None


def check_intervals(intervals: Iterable[OpeningInterval]) -> list[OpeningInterval]:
    """Sorted intervals, or ValidationFailed if one is empty, reversed or overlaps another."""
    ordered = sorted(intervals, key=lambda item: (item.weekday, item.starts_at))
    for index, interval in enumerate(ordered):
        if not 0 <= interval.weekday <= 6:
            raise ValidationFailed({"weekday": N_("Choose a day of the week.")})
        if interval.ends_at <= interval.starts_at:
            raise ValidationFailed({"ends_at": N_("The end time must be after the start time.")})
        previous = ordered[index - 1] if index else None
        if (
            previous
            and previous.weekday == interval.weekday
            and previous.ends_at > interval.starts_at
        ):
            raise ValidationFailed(
                {"starts_at": N_("Working hours on the same day must not overlap.")}
            )
    return ordered


def _check_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Europe'
        raise ValidationFailed({"time_zone": N_("Choose a time zone.")}) from None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _own_calendar(viewer: Viewer | None, caseworker_id: str) -> Viewer:
    """Caseworkers manage their own calendar; admins anyone's."""
    actor = require_role(viewer, Role.CASEWORKER, Role.ADMIN)
    if actor.role is Role.CASEWORKER and actor.user_id != caseworker_id:
        raise Forbidden()
    return actor


class CalendarService:
    def __init__(
        self,
        sessions: Sessions,
        fetch_ics: IcsFetcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        executor: Executor | None = None,
        assessment_templates: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        self._sessions = sessions
        # The questionnaires a meeting type may ask for; the assessments package knows them.
        self._assessment_templates = assessment_templates
        self._fetch_ics = fetch_ics
        self._clock = clock
        # Parsing and expanding a large calendar is CPU work: keep it off the event loop.
        self._executor = executor

    def _check_assessment(self, fields: MeetingTypeFields) -> None:
        chosen = fields.assessment_template_id
        if chosen and chosen not in self._assessment_templates():
            raise ValidationFailed(
                {"assessment_template_id": N_("Choose one of the questionnaires listed.")}
            )

    # ---- zone, languages and weekly hours ---------------------------------------------------

    async def time_zone_of(self, caseworker_id: str) -> str:
        async with self._sessions() as session:
            calendar = await session.get(CaseworkerCalendar, caseworker_id)
            return calendar.time_zone if calendar else DEFAULT_ZONE

    async def time_zones_of(self, caseworker_ids: Sequence[str]) -> dict[str, ZoneInfo]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(CaseworkerCalendar.caseworker_id, CaseworkerCalendar.time_zone).where(
                    CaseworkerCalendar.caseworker_id.in_(caseworker_ids)
                )
            )
            found = {caseworker_id: zone for caseworker_id, zone in rows.all()}
        return {
            caseworker_id: ZoneInfo(found.get(caseworker_id, DEFAULT_ZONE))
            for caseworker_id in caseworker_ids
        }

    async def languages_of(self, caseworker_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CaseworkerCalendar).where(
                    CaseworkerCalendar.caseworker_id.in_(caseworker_ids)
                )
            )
            found = {row.caseworker_id: tuple(row.languages.split(",")) for row in rows}
        return {
            caseworker_id: found.get(caseworker_id, ("fi",)) for caseworker_id in caseworker_ids
        }

    async def set_profile(
        self, viewer: Viewer | None, caseworker_id: str, *, time_zone: str, languages: Sequence[str]
    ) -> None:
        _own_calendar(viewer, caseworker_id)
        _check_zone(time_zone)
        if not languages or any(language not in SUPPORTED_LANGUAGES for language in languages):
            raise ValidationFailed({"languages": N_("Choose at least one language.")})
        async with self._sessions.begin() as session:
            calendar = await self._calendar_row(session, caseworker_id)
            calendar.time_zone = time_zone
            calendar.languages = ",".join(languages)

    async def _calendar_row(self, session: AsyncSession, caseworker_id: str) -> CaseworkerCalendar:
        calendar = await session.get(CaseworkerCalendar, caseworker_id)
        if calendar is None:
            calendar = CaseworkerCalendar(
                caseworker_id=caseworker_id, time_zone=DEFAULT_ZONE, languages="fi"
            )
            session.add(calendar)
        return calendar

    async def set_working_hours(
        self, caseworker_id: str, time_zone: str, intervals: Iterable[OpeningInterval]
    ) -> None:
        """Replace a caseworker's weekly working hours as a whole."""
        _check_zone(time_zone)
        ordered = check_intervals(intervals)
        async with self._sessions.begin() as session:
            calendar = await self._calendar_row(session, caseworker_id)
            calendar.time_zone = time_zone
            await session.execute(
                delete(WorkingHours).where(WorkingHours.caseworker_id == caseworker_id)
            )
            session.add_all(
                WorkingHours(
                    caseworker_id=caseworker_id,
                    weekday=interval.weekday,
                    starts_at=interval.starts_at,
                    ends_at=interval.ends_at,
                )
                for interval in ordered
            )

    async def replace_working_hours(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        time_zone: str,
        intervals: Iterable[OpeningInterval],
    ) -> None:
        _own_calendar(viewer, caseworker_id)
        await self.set_working_hours(caseworker_id, time_zone, intervals)

    async def working_hours(self, caseworker_id: str) -> list[OpeningInterval]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WorkingHours)
                .where(WorkingHours.caseworker_id == caseworker_id)
                .order_by(WorkingHours.weekday, WorkingHours.starts_at)
            )
            return [OpeningInterval(row.weekday, row.starts_at, row.ends_at) for row in rows]

    # ---- date overrides -----------------------------------------------------------------------

    async def set_day_override(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        day: date,
        intervals: Sequence[tuple[time, time]],
    ) -> None:
        """Replace one day's opening; no intervals closes the day."""
        _own_calendar(viewer, caseworker_id)
        check_intervals(OpeningInterval(day.weekday(), start, end) for start, end in intervals)
        async with self._sessions.begin() as session:
            await self._delete_override(session, caseworker_id, day)
            if intervals:
                session.add_all(
                    DateOverride(caseworker_id=caseworker_id, day=day, starts_at=start, ends_at=end)
                    for start, end in intervals
                )
            else:
                session.add(DateOverride(caseworker_id=caseworker_id, day=day))

    async def remove_day_override(
        self, viewer: Viewer | None, caseworker_id: str, day: date
    ) -> None:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            await self._delete_override(session, caseworker_id, day)

    @staticmethod
    async def _delete_override(session: AsyncSession, caseworker_id: str, day: date) -> None:
        await session.execute(
            delete(DateOverride).where(
                DateOverride.caseworker_id == caseworker_id, DateOverride.day == day
            )
        )

    async def day_overrides(
        self, caseworker_id: str, first_day: date | None = None
    ) -> list[DayOverride]:
        async with self._sessions() as session:
            query = select(DateOverride).where(DateOverride.caseworker_id == caseworker_id)
            if first_day is not None:
                query = query.where(DateOverride.day >= first_day)
            rows = (
                await session.scalars(query.order_by(DateOverride.day, DateOverride.starts_at))
            ).all()
        return _group_overrides(rows)[caseworker_id] if rows else []

    # ---- absences -----------------------------------------------------------------------------

    async def add_absence(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        kind: str,
        starts_at: datetime,
        ends_at: datetime,
    ) -> AbsenceInfo:
        _own_calendar(viewer, caseworker_id)
        fields: dict[str, str] = {}
        if kind not in ABSENCE_KINDS:
            fields["kind"] = N_("Choose the kind of absence.")
        if ends_at <= starts_at:
            fields["ends_at"] = N_("The end must be after the start.")
        if fields:
            raise ValidationFailed(fields)
        async with self._sessions.begin() as session:
            absence = Absence(
                caseworker_id=caseworker_id, kind=kind, starts_at=starts_at, ends_at=ends_at
            )
            session.add(absence)
            await session.flush()
            return AbsenceInfo(absence.id, absence.kind, absence.starts_at, absence.ends_at)

    async def absences(self, viewer: Viewer | None, caseworker_id: str) -> list[AbsenceInfo]:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Absence)
                .where(
                    Absence.caseworker_id == caseworker_id,
                    Absence.ends_at > self._clock() - timedelta(days=1),
                )
                .order_by(Absence.starts_at)
            )
            return [AbsenceInfo(row.id, row.kind, row.starts_at, row.ends_at) for row in rows]

    async def remove_absence(
        self, viewer: Viewer | None, caseworker_id: str, absence_id: str
    ) -> None:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            absence = await session.get(Absence, absence_id)
            if absence is None or absence.caseworker_id != caseworker_id:
                raise NotFound()
            await session.delete(absence)

    # ---- imported busy times --------------------------------------------------------------------

    async def import_file(
        self, viewer: Viewer | None, caseworker_id: str, data: bytes
    ) -> ImportInfo:
        """Replace the busy times of the caseworker's uploaded file with this file's."""
        _own_calendar(viewer, caseworker_id)
        busy = await self._parse(caseworker_id, data)
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CalendarImport).where(
                    CalendarImport.caseworker_id == caseworker_id,
                    CalendarImport.source_url.is_(None),
                )
            )
            if row is None:
                row = CalendarImport(caseworker_id=caseworker_id)
                session.add(row)
                await session.flush()
            await self._replace_busy(session, row, busy)
            return _import_info(row)

    async def add_url_import(
        self, viewer: Viewer | None, caseworker_id: str, url: str
    ) -> ImportInfo:
        _own_calendar(viewer, caseworker_id)
        url = url.strip()
        if not url.startswith(("https://", "http://", "webcal://")) or len(url) > 2000:
            raise ValidationFailed(
                {"url": N_("Enter the calendar's address, starting with https://.")}
            )
        url = "https://" + url.removeprefix("webcal://") if url.startswith("webcal://") else url
        try:
            busy = await self._parse(caseworker_id, await self._fetch(url))
        except IcsImportError as error:
            # The person typed an address: the problem belongs to that field.
            raise ValidationFailed({"url": error.fields["ics"]}) from None
        async with self._sessions.begin() as session:
            row = CalendarImport(caseworker_id=caseworker_id, source_url=url)
            session.add(row)
            await session.flush()
            await self._replace_busy(session, row, busy)
            return _import_info(row)

    async def refresh_url_imports(self) -> int:
        """Fetch every .ics address again; a failure keeps the busy times already imported."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(CalendarImport).where(CalendarImport.source_url.is_not(None))
                )
            ).all()
        refreshed = 0
        for row in rows:
            assert row.source_url is not None
            try:
                busy = await self._parse(row.caseworker_id, await self._fetch(row.source_url))
            except IcsImportError as error:
                async with self._sessions.begin() as session:
                    stored = await session.get(CalendarImport, row.id)
                    if stored is not None:
                        stored.last_error = error.fields["ics"]
                continue
            async with self._sessions.begin() as session:
                stored = await session.get(CalendarImport, row.id)
                if stored is not None:
                    await self._replace_busy(session, stored, busy)
                    refreshed += 1
        return refreshed

    async def imports(self, viewer: Viewer | None, caseworker_id: str) -> list[ImportInfo]:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CalendarImport)
                .where(CalendarImport.caseworker_id == caseworker_id)
                .order_by(CalendarImport.created_at)
            )
            return [_import_info(row) for row in rows]

    async def remove_import(
        self, viewer: Viewer | None, caseworker_id: str, import_id: str
    ) -> None:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            row = await session.get(CalendarImport, import_id)
            if row is None or row.caseworker_id != caseworker_id:
                raise NotFound()
            await session.execute(delete(BusyTime).where(BusyTime.import_id == import_id))
            await session.delete(row)

    async def _fetch(self, url: str) -> bytes:
        if self._fetch_ics is None:
            raise ValidationFailed({"url": N_("Calendar addresses cannot be fetched here.")})
        return await self._fetch_ics(url)

    async def _parse(self, caseworker_id: str, data: bytes) -> list[Interval]:
        zone = ZoneInfo(await self.time_zone_of(caseworker_id))
        now = self._clock()
        parse = functools.partial(
            parse_busy_times, data, now - IMPORT_WINDOW_PAST, now + IMPORT_WINDOW_FUTURE, zone
        )
        busy = await asyncio.get_running_loop().run_in_executor(self._executor, parse)
        return [Interval(item.start, item.end) for item in busy]

    async def _replace_busy(
        self, session: AsyncSession, row: CalendarImport, busy: Sequence[Interval]
    ) -> None:
        # Old and new busy times change in one transaction: a reader sees one set or the other.
        await session.execute(delete(BusyTime).where(BusyTime.import_id == row.id))
        session.add_all(
            BusyTime(
                import_id=row.id,
                caseworker_id=row.caseworker_id,
                starts_at=item.start,
                ends_at=item.end,
            )
            for item in busy
        )
        row.busy_count = len(busy)
        row.imported_at = self._clock()
        row.last_error = None

    # ---- meeting types ----------------------------------------------------------------------------

    async def create_meeting_type(
        self,
        viewer: Viewer | None,
        fields: MeetingTypeFields,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
    ) -> MeetingTypeInfo:
        """A caseworker's own meeting type, or (admins only) one for every caseworker of a unit."""
        if (caseworker_id is None) == (unit_id is None):
            raise ValueError("a meeting type belongs to either a caseworker or a unit")
        if caseworker_id is not None:
            _own_calendar(viewer, caseworker_id)
        else:
            require_role(viewer, Role.ADMIN)
        fields.check()
        self._check_assessment(fields)
        async with self._sessions.begin() as session:
            row = MeetingType(caseworker_id=caseworker_id, unit_id=unit_id)
            _apply_fields(row, fields)
            session.add(row)
            await session.flush()
            return _meeting_type_info(row)

    async def update_meeting_type(
        self, viewer: Viewer | None, meeting_type_id: str, fields: MeetingTypeFields
    ) -> MeetingTypeInfo:
        async with self._sessions.begin() as session:
            row = await session.get(MeetingType, meeting_type_id)
            if row is None:
                raise NotFound()
            if row.caseworker_id is not None:
                _own_calendar(viewer, row.caseworker_id)
            else:
                require_role(viewer, Role.ADMIN)
            fields.check()
            self._check_assessment(fields)
            _apply_fields(row, fields)
            return _meeting_type_info(row)

    async def meeting_type(self, meeting_type_id: str) -> MeetingTypeInfo:
        async with self._sessions() as session:
            row = await session.get(MeetingType, meeting_type_id)
            if row is None:
                raise NotFound()
            return _meeting_type_info(row)

    async def meeting_types_by_id(
        self, meeting_type_ids: Iterable[str]
    ) -> dict[str, MeetingTypeInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingType).where(MeetingType.id.in_(list(meeting_type_ids)))
            )
            return {row.id: _meeting_type_info(row) for row in rows}

    async def meeting_types_for(
        self, caseworkers: Sequence[tuple[str, str | None]], *, active_only: bool = True
    ) -> dict[str, list[MeetingTypeInfo]]:
        """Per caseworker id, the meeting types they offer: their own and their unit's.

        ``caseworkers`` pairs each caseworker id with their unit id.
        """
        unit_ids = {unit_id for _, unit_id in caseworkers if unit_id}
        caseworker_ids = [caseworker_id for caseworker_id, _ in caseworkers]
        async with self._sessions() as session:
            query = select(MeetingType).where(
                or_(
                    MeetingType.caseworker_id.in_(caseworker_ids), MeetingType.unit_id.in_(unit_ids)
                )
            )
            if active_only:
                query = query.where(MeetingType.is_active.is_(True))
            rows = (
                await session.scalars(
                    query.order_by(MeetingType.duration_minutes, MeetingType.name_en)
                )
            ).all()
        offered: dict[str, list[MeetingTypeInfo]] = {
            caseworker_id: [] for caseworker_id in caseworker_ids
        }
        for row in rows:
            info = _meeting_type_info(row)
            for caseworker_id, unit_id in caseworkers:
                if row.caseworker_id == caseworker_id or (
                    row.unit_id is not None and row.unit_id == unit_id
                ):
                    offered[caseworker_id].append(info)
        return offered

    async def unit_meeting_types(self, unit_id: str) -> list[MeetingTypeInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingType)
                .where(MeetingType.unit_id == unit_id)
                .order_by(MeetingType.name_en)
            )
            return [_meeting_type_info(row) for row in rows]

    async def ensure_meeting_type(
        self,
        fields: MeetingTypeFields,
        *,
        unit_id: str | None = None,
        caseworker_id: str | None = None,
    ) -> MeetingTypeInfo:
        """For the demo: the meeting type with this English name, made if it is not there."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(MeetingType).where(
                    MeetingType.name_en == fields.name_en,
                    MeetingType.unit_id == unit_id
                    if unit_id
                    else MeetingType.caseworker_id == caseworker_id,
                )
            )
            if row is None:
                row = MeetingType(unit_id=unit_id, caseworker_id=caseworker_id)
                _apply_fields(row, fields)
                session.add(row)
                await session.flush()
            return _meeting_type_info(row)

    # ---- the subscription feed ------------------------------------------------------------------

    async def new_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> str:
        """A new secret feed address; the previous one stops working."""
        _own_calendar(viewer, caseworker_id)
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            calendar = await self._calendar_row(session, caseworker_id)
            calendar.feed_token_hash = _token_hash(token)
        return token

    async def revoke_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> None:
        _own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            calendar = await self._calendar_row(session, caseworker_id)
            calendar.feed_token_hash = None

    async def has_feed(self, caseworker_id: str) -> bool:
        async with self._sessions() as session:
            calendar = await session.get(CaseworkerCalendar, caseworker_id)
            return bool(calendar and calendar.feed_token_hash)

    async def caseworker_for_feed(self, token: str) -> str:
        if not token or len(token) > 100:
            raise NotFound()
        async with self._sessions() as session:
            caseworker_id = await session.scalar(
                select(CaseworkerCalendar.caseworker_id).where(
                    CaseworkerCalendar.feed_token_hash == _token_hash(token)
                )
            )
        if caseworker_id is None:
            raise NotFound()
        return caseworker_id

    # ---- availability for the slot engine ---------------------------------------------------------

    async def availability(
        self, caseworker_ids: Sequence[str], window_start: datetime, window_end: datetime
    ) -> dict[str, Availability]:
        """Everything but bookings that decides when each caseworker is free, in five queries."""
        if not caseworker_ids:
            return {}
        async with self._sessions() as session:
            calendars = {
                row.caseworker_id: row
                for row in await session.scalars(
                    select(CaseworkerCalendar).where(
                        CaseworkerCalendar.caseworker_id.in_(caseworker_ids)
                    )
                )
            }
            hours = (
                await session.scalars(
                    select(WorkingHours).where(WorkingHours.caseworker_id.in_(caseworker_ids))
                )
            ).all()
            overrides = (
                await session.scalars(
                    select(DateOverride).where(
                        DateOverride.caseworker_id.in_(caseworker_ids),
                        DateOverride.day >= (window_start - timedelta(days=1)).date(),
                        DateOverride.day <= (window_end + timedelta(days=1)).date(),
                    )
                )
            ).all()
            absences = (
                await session.execute(
                    select(Absence.caseworker_id, Absence.starts_at, Absence.ends_at).where(
                        Absence.caseworker_id.in_(caseworker_ids),
                        Absence.ends_at > window_start,
                        Absence.starts_at < window_end,
                    )
                )
            ).all()
            busy = (
                await session.execute(
                    select(BusyTime.caseworker_id, BusyTime.starts_at, BusyTime.ends_at).where(
                        BusyTime.caseworker_id.in_(caseworker_ids),
                        BusyTime.ends_at > window_start,
                        BusyTime.starts_at < window_end,
                    )
                )
            ).all()
        weekly: dict[str, list[Opening]] = defaultdict(list)
        for row in hours:
            weekly[row.caseworker_id].append(Opening(row.weekday, row.starts_at, row.ends_at))
        blocked: dict[str, list[Interval]] = defaultdict(list)
        for caseworker_id, starts_at, ends_at in [*absences, *busy]:
            blocked[caseworker_id].append(Interval(starts_at, ends_at))
        grouped = _group_overrides(overrides)
        return {
            caseworker_id: Availability(
                caseworker_id=caseworker_id,
                zone=ZoneInfo(
                    calendars[caseworker_id].time_zone
                    if caseworker_id in calendars
                    else DEFAULT_ZONE
                ),
                weekly=weekly[caseworker_id],
                overrides={
                    override.day: override.intervals for override in grouped.get(caseworker_id, [])
                },
                blocked=blocked[caseworker_id],
            )
            for caseworker_id in caseworker_ids
        }


def _group_overrides(rows: Iterable[DateOverride]) -> dict[str, list[DayOverride]]:
    by_day: dict[tuple[str, date], list[tuple[time, time]]] = defaultdict(list)
    for row in rows:
        intervals = by_day[(row.caseworker_id, row.day)]
        if row.starts_at is not None and row.ends_at is not None:
            intervals.append((row.starts_at, row.ends_at))
    grouped: dict[str, list[DayOverride]] = defaultdict(list)
    for (caseworker_id, day), intervals in sorted(by_day.items()):
        grouped[caseworker_id].append(DayOverride(day, tuple(sorted(intervals))))
    return grouped


def _import_info(row: CalendarImport) -> ImportInfo:
    return ImportInfo(row.id, row.source_url, row.busy_count, row.imported_at, row.last_error)
