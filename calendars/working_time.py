"""When a caseworker works: their time zone and meeting languages, weekly working hours, date
overrides and absences, and the availability the slot engine computes free times from."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from availability.slots import Availability, Interval, Opening
from calendars.caseworker_calendar import DEFAULT_ZONE, calendar_row, check_zone, own_calendar
from calendars.models import Absence, BusyTime, CaseworkerCalendar, DateOverride, WorkingHours
from core.db import Sessions, one_of, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.principal import Viewer

ABSENCE_KINDS = ("vacation", "sick_leave", "training", "other")


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
class BlockedTime:
    """A stretch the caseworker cannot be booked, as their calendar shows it: an absence (with
    its kind) or a busy time from an imported calendar (only the times are known)."""

    source: str  # "absence" or "imported"
    kind: str  # the absence's kind; empty for an imported busy time
    starts_at: datetime
    ends_at: datetime


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


class WorkingTime:
    def __init__(self, sessions: Sessions, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    # ---- zone and meeting languages -----------------------------------------------------------

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
        own_calendar(viewer, caseworker_id)
        check_zone(time_zone)
        if not languages or any(language not in SUPPORTED_LANGUAGES for language in languages):
            raise ValidationFailed({"languages": N_("Choose at least one language.")})
        async with self._sessions.begin() as session:
            calendar = await calendar_row(session, caseworker_id)
            calendar.time_zone = time_zone
            calendar.languages = ",".join(languages)

    # ---- weekly hours -------------------------------------------------------------------------

    async def set_working_hours(
        self, caseworker_id: str, time_zone: str, intervals: Iterable[OpeningInterval]
    ) -> None:
        """Replace a caseworker's weekly working hours as a whole."""
        check_zone(time_zone)
        ordered = check_intervals(intervals)
        async with self._sessions.begin() as session:
            calendar = await calendar_row(session, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
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
        own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            absence = await session.get(Absence, absence_id)
            if absence is None or absence.caseworker_id != caseworker_id:
                raise NotFound()
            await session.delete(absence)

    async def blocked_times(
        self,
        viewer: Viewer | None,
        caseworker_id: str,
        window_start: datetime,
        window_end: datetime,
    ) -> list[BlockedTime]:
        """The absences and imported busy times that overlap the window, earliest first."""
        own_calendar(viewer, caseworker_id)
        async with self._sessions() as session:
            absences = await session.execute(
                select(Absence.kind, Absence.starts_at, Absence.ends_at).where(
                    Absence.caseworker_id == caseworker_id,
                    Absence.ends_at > window_start,
                    Absence.starts_at < window_end,
                )
            )
            blocked = [BlockedTime("absence", kind, start, end) for kind, start, end in absences]
            busy = await session.execute(
                select(BusyTime.starts_at, BusyTime.ends_at).where(
                    BusyTime.caseworker_id == caseworker_id,
                    BusyTime.ends_at > window_start,
                    BusyTime.starts_at < window_end,
                )
            )
            blocked.extend(BlockedTime("imported", "", start, end) for start, end in busy)
        return sorted(blocked, key=lambda stretch: (stretch.starts_at, stretch.ends_at))

    # ---- availability for the slot engine -----------------------------------------------------

    async def availability(
        self, caseworker_ids: Sequence[str], window_start: datetime, window_end: datetime
    ) -> dict[str, Availability]:
        """Everything but bookings that decides when each caseworker is free, in four queries."""
        if not caseworker_ids:
            return {}
        # Columns, not ORM objects: a unit's search reads hundreds of rows of hours.
        async with self._sessions() as session:
            zones = dict(
                (
                    await session.execute(
                        select(
                            CaseworkerCalendar.caseworker_id, CaseworkerCalendar.time_zone
                        ).where(one_of(session, CaseworkerCalendar.caseworker_id, caseworker_ids))
                    )
                ).all()
            )
            hours = (
                await session.execute(
                    select(
                        WorkingHours.caseworker_id,
                        WorkingHours.weekday,
                        WorkingHours.starts_at,
                        WorkingHours.ends_at,
                    ).where(one_of(session, WorkingHours.caseworker_id, caseworker_ids))
                )
            ).all()
            overrides = (
                await session.execute(
                    select(
                        DateOverride.caseworker_id,
                        DateOverride.day,
                        DateOverride.starts_at,
                        DateOverride.ends_at,
                    ).where(
                        one_of(session, DateOverride.caseworker_id, caseworker_ids),
                        DateOverride.day >= (window_start - timedelta(days=1)).date(),
                        DateOverride.day <= (window_end + timedelta(days=1)).date(),
                    )
                )
            ).all()
            blocking = (
                await session.execute(
                    select(Absence.caseworker_id, Absence.starts_at, Absence.ends_at)
                    .where(
                        one_of(session, Absence.caseworker_id, caseworker_ids),
                        Absence.ends_at > window_start,
                        Absence.starts_at < window_end,
                    )
                    .union_all(
                        select(BusyTime.caseworker_id, BusyTime.starts_at, BusyTime.ends_at).where(
                            one_of(session, BusyTime.caseworker_id, caseworker_ids),
                            BusyTime.ends_at > window_start,
                            BusyTime.starts_at < window_end,
                        )
                    )
                )
            ).all()
        # Most caseworkers keep the same hours: one Opening object for each distinct one.
        openings: dict[tuple[int, time, time], Opening] = {}
        weekly: dict[str, list[Opening]] = defaultdict(list)
        for caseworker_id, weekday, starts_at, ends_at in hours:
            key = (weekday, starts_at, ends_at)
            opening = openings.get(key)
            if opening is None:
                opening = openings[key] = Opening(weekday, starts_at, ends_at)
            weekly[caseworker_id].append(opening)
        blocked: dict[str, list[Interval]] = defaultdict(list)
        for caseworker_id, blocked_from, blocked_until in blocking:
            blocked[caseworker_id].append(Interval(blocked_from, blocked_until))
        by_day: dict[str, dict[date, list[tuple[time, time]]]] = defaultdict(dict)
        for caseworker_id, day, opens_at, closes_at in overrides:
            intervals = by_day[caseworker_id].setdefault(day, [])
            if opens_at is not None and closes_at is not None:
                intervals.append((opens_at, closes_at))
        return {
            caseworker_id: Availability(
                caseworker_id=caseworker_id,
                zone=ZoneInfo(zones.get(caseworker_id, DEFAULT_ZONE)),
                weekly=weekly[caseworker_id],
                overrides={
                    day: tuple(sorted(intervals))
                    for day, intervals in by_day.get(caseworker_id, {}).items()
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
