"""How long the outbox keeps what a message said and to whom.

A message's content (recipient, subject, bodies, calendar file, the last delivery error, which
may quote the address) is personal data that only the sending needs. Once the message is
resolved, the content is blanked ``KOHTAAMO_OUTBOX_RETENTION_DAYS`` later:
- delivered (``sent``, ``sent_to_log``): that long after ``sent_at``;
- withdrawn or expired reminders, never to be sent: that long after they were written;
- failed every try and never retried from the admin's page: once the booking retention period
  has passed since they were written (a retry that succeeds makes them delivered).

The row itself stays, as ``erased``: its idempotency key is what keeps ``outbox.add`` from
storing a booking's confirmation or reminder a second time, so deleting it could let a message
go out twice. The rows go with their booking (``bookings_removed``, called by booking's
retention in the transaction that deletes the booking).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import RETENTION_DELETED, RETENTION_ERASED, AuditLog
from core.batches import in_batches
from core.db import Sessions, utcnow
from notifications.models import (
    EXPIRED,
    FAILED,
    SENT,
    SENT_TO_LOG,
    WITHDRAWN,
    OutboxMessage,
)

# One package's retention job, run daily by the leader (notifications/routes.py): deletes or
# blanks what is past its time and returns how many rows.
RetentionTask = Callable[[], Awaitable[int]]

# Resolved, its content blanked: only the key, the kind, the channel and the times remain.
ERASED = "erased"
# What an erased message keeps of its content and recipient: nothing.
ERASED_CONTENT = {
    "status": ERASED,
    "recipient": "",
    "recipient_hash": None,
    "subject": "",
    "body_text": "",
    "body_html": None,
    "ics": None,
    "last_error": None,
}
BATCH = 500
KIND = "outbox_message"


class OutboxRetention:
    def __init__(
        self,
        sessions: Sessions,
        retention_days: int,
        failed_retention_days: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._retention_days = retention_days
        self._failed_retention_days = failed_retention_days
        self._clock = clock

    async def erase_resolved(self, batch: int = BATCH) -> int:
        """Blank the content of messages resolved more than the retention period ago, ``batch``
        a transaction; returns how many were blanked."""
        now = self._clock()
        cutoff = now - timedelta(days=self._retention_days)
        due = or_(
            and_(OutboxMessage.status.in_((SENT, SENT_TO_LOG)), OutboxMessage.sent_at < cutoff),
            and_(OutboxMessage.status.in_((WITHDRAWN, EXPIRED)), OutboxMessage.created_at < cutoff),
            and_(
                OutboxMessage.status == FAILED,
                OutboxMessage.created_at < now - timedelta(days=self._failed_retention_days),
            ),
        )
        resolved = (
            select(OutboxMessage.id).where(due).order_by(OutboxMessage.created_at, OutboxMessage.id)
        )

        async def erase(session: AsyncSession, ids: list[str]) -> int:
            result = await session.execute(
                update(OutboxMessage)
                # ``due`` again: a sender or a retry may have changed a row since the select.
                .where(OutboxMessage.id.in_(ids), due)
                .values(ERASED_CONTENT)
                .execution_options(synchronize_session=False)
            )
            count = _rowcount(result)
            if count:
                AuditLog.add_retention(session, RETENTION_ERASED, KIND, count)
            return count

        return await in_batches(self._sessions, resolved, erase, batch)


class MessagesOfRemovedBookings:
    """Booking's retention deletes bookings: their messages go first (the foreign key). No
    message can be stored again for a booking that no longer exists, so no key need stay."""

    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        result = await session.execute(
            delete(OutboxMessage).where(OutboxMessage.booking_id.in_(list(booking_ids)))
        )
        count = _rowcount(result)
        if count:
            AuditLog.add_retention(session, RETENTION_DELETED, KIND, count)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
