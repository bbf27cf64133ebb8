"""Caseworker calendars: time zone and weekly working hours."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.models import CaseworkerCalendar, WorkingHours
from core.errors import ValidationFailed
from core.i18n import N_


@dataclasses.dataclass(frozen=True, slots=True)
class OpeningInterval:
    weekday: int  # Monday is 0
    starts_at: time
    ends_at: time


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


class CalendarService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def set_working_hours(
        self, caseworker_id: str, time_zone: str, intervals: Iterable[OpeningInterval]
    ) -> None:
        """Replace a caseworker's weekly working hours as a whole."""
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed({"time_zone": N_("Choose a time zone.")}) from None
        ordered = check_intervals(intervals)
        async with self._sessions.begin() as session:
            calendar = await session.get(CaseworkerCalendar, caseworker_id)
            if calendar is None:
                session.add(CaseworkerCalendar(caseworker_id=caseworker_id, time_zone=time_zone))
            else:
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

    async def working_hours(self, caseworker_id: str) -> list[OpeningInterval]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WorkingHours)
                .where(WorkingHours.caseworker_id == caseworker_id)
                .order_by(WorkingHours.weekday, WorkingHours.starts_at)
            )
            return [OpeningInterval(row.weekday, row.starts_at, row.ends_at) for row in rows]
