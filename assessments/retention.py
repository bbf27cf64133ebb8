"""How long assessment results are kept: as long as their booking, or less.

Results say more about a client than the booking does, so they may go sooner
(``KOHTAAMO_ASSESSMENT_RETENTION_DAYS`` after the meeting's end, never more than the booking's
period, since a result refers to its booking). Two ways out:
- ``ResultsOfRemovedBookings``: booking's retention calls it in the transaction that deletes the
  bookings, before it does;
- ``AssessmentRetention.delete_expired``: the leader's daily job, for a shorter period. It asks
  booking's service which meetings ended long enough ago (never reading the bookings table).

A booking's results always go together: a correction refers to the result it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from assessments.models import AssessmentResult
from audit.service import RETENTION_DELETED, AuditLog
from booking.service import BookingService
from core.db import Sessions, utcnow

BATCH = 500
KIND = "assessment_result"


async def _delete_results(session: AsyncSession, booking_ids: Sequence[str]) -> int:
    result = await session.execute(
        delete(AssessmentResult).where(AssessmentResult.booking_id.in_(list(booking_ids)))
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        AuditLog.add_retention(session, RETENTION_DELETED, KIND, count)
    return count


class ResultsOfRemovedBookings:
    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        await _delete_results(session, booking_ids)


class AssessmentRetention:
    def __init__(
        self,
        sessions: Sessions,
        bookings: BookingService,
        retention_days: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._bookings = bookings
        self._retention_days = retention_days
        self._clock = clock

    async def delete_expired(self, batch: int = BATCH) -> int:
        """Delete the results of bookings whose meeting ended more than the period ago, the
        results of at most ``batch`` bookings a transaction; returns how many results went."""
        cutoff = self._clock() - timedelta(days=self._retention_days)
        deleted = 0
        after = ""
        while True:
            async with self._sessions() as session:
                booking_ids = list(
                    await session.scalars(
                        select(AssessmentResult.booking_id)
                        .where(AssessmentResult.booking_id > after)
                        .group_by(AssessmentResult.booking_id)
                        .order_by(AssessmentResult.booking_id)
                        .limit(batch)
                    )
                )
            if not booking_ids:
                return deleted
            after = booking_ids[-1]
            # Asked before the write transaction begins: on SQLite a second connection inside
            # it would wait for that very transaction's lock.
            expired = await self._bookings.meetings_ended_before(booking_ids, cutoff)
            if expired:
                async with self._sessions.begin() as session:
                    deleted += await _delete_results(session, sorted(expired))
            if len(booking_ids) < batch:
                return deleted
