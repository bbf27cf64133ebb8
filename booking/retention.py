"""How long bookings are kept: ``KOHTAAMO_BOOKING_RETENTION_DAYS`` after the meeting's end.

The service is not the client record system: what a meeting needs (who, when, the client's
answers) goes once the meeting is that long past, cancelled ones too. A booking whose meeting
ends later, a future one above all, is never touched.

Other packages keep rows that refer to a booking (its messages, guest links, meeting events,
assessment results) and sit above booking (docs/architecture.md), so booking cannot delete them.
It tells them instead: each ``BookingRemovalListener`` is called inside the transaction that
deletes a batch of bookings, before they go, and deletes (and counts in the access log) what of
its own refers to them. Their rows and the bookings commit or roll back together, so no foreign
key is ever left pointing at nothing. The leader runs this daily (notifications/routes.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import RETENTION_DELETED, AuditLog
from booking.models import Booking, BookingSubmission
from booking.records import BookingRecords
from core.batches import in_batches

BATCH = 500
KIND = "booking"


class BookingRemovalListener(Protocol):
    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        """Called inside the transaction that deletes these bookings, before it does: delete
        what refers to them, in ``session``, and count it with ``AuditLog.add_retention``."""


class BookingRetention:
    def __init__(
        self,
        records: BookingRecords,
        retention_days: int,
        listeners: Sequence[BookingRemovalListener] = (),
    ) -> None:
        self._records = records
        self._retention_days = retention_days
        self._listeners = tuple(listeners)

    async def delete_expired(self, batch: int = BATCH) -> int:
        """Delete the bookings whose meeting ended more than the retention period ago, with what
        refers to them, ``batch`` bookings a transaction (a backlog never holds a long lock).
        Returns how many bookings went."""
        cutoff = self._records.clock() - timedelta(days=self._retention_days)
        expired = (
            select(Booking.id).where(Booking.ends_at < cutoff).order_by(Booking.ends_at, Booking.id)
        )

        async def delete_bookings(session: AsyncSession, ids: list[str]) -> int:
            await self.remove(session, ids)
            AuditLog.add_retention(session, RETENTION_DELETED, KIND, len(ids))
            return len(ids)

        return await in_batches(self._records.sessions, expired, delete_bookings, batch)

    async def remove(self, session: AsyncSession, ids: Sequence[str]) -> None:
        """Delete these bookings and, through the listeners, every row that refers to them."""
        for listener in self._listeners:
            await listener.bookings_removed(session, ids)
        await session.execute(
            delete(BookingSubmission).where(BookingSubmission.booking_id.in_(ids))
        )
        await session.execute(delete(Booking).where(Booking.id.in_(ids)))

    async def ended_before(self, booking_ids: Collection[str], moment: datetime) -> set[str]:
        """Which of these bookings' meetings ended before ``moment`` (for the packages above
        that keep their rows for a shorter time than the booking is kept)."""
        if not booking_ids:
            return set()
        async with self._records.sessions() as session:
            return set(
                await session.scalars(
                    select(Booking.id).where(
                        Booking.id.in_(list(booking_ids)), Booking.ends_at < moment
                    )
                )
            )
