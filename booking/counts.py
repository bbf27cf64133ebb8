"""Counts of bookings for the statistics (figures/): numbers only, never a booking's row.

A booking counts in the period its meeting starts in; the caller gives the period in UTC (the
month's local boundaries already converted), so a month with a clock change counts right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from booking.models import Booking
from booking.records import BookingRecords


@dataclasses.dataclass(frozen=True, slots=True)
class BookingCount:
    """How many bookings of one meeting type, mode and status (and who cancelled)."""

    meeting_type_id: str
    mode: str
    status: str
    cancelled_by: str | None
    count: int


class BookingCounts:
    def __init__(self, records: BookingRecords) -> None:
        self._records = records

    async def starting_between(
        self, caseworker_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[BookingCount]:
        """Bookings of these caseworkers whose meeting starts in [start, end), grouped."""
        if not caseworker_ids:
            return []
        query = (
            select(
                Booking.meeting_type_id,
                Booking.mode,
                Booking.status,
                Booking.cancelled_by,
                func.count(),
            )
            .where(
                Booking.caseworker_id.in_(caseworker_ids),
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
            .group_by(Booking.meeting_type_id, Booking.mode, Booking.status, Booking.cancelled_by)
        )
        async with self._records.sessions() as session:
            rows = (await session.execute(query)).all()
        return [BookingCount(*row) for row in rows]
