"""The outbox: messages are rows written with the booking change they tell of; a sender drains them.

Written in the change's own transaction, a message exists exactly when the change does. Each has
an idempotency key, so announcing the same thing twice stores it once. A sender first claims a
message (pending → sending, a conditional update only one sender can win), delivers it, then
marks it sent. Normally only the leader instance drains (core.leadership), one drain at a time;
the claim keeps even overlapping drains from sending twice. A message is delivered twice only if
its sender dies between delivering and marking: after ``STALE_CLAIM`` it is pending again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Sessions, utcnow
from core.lookup import PersonHasher
from notifications.models import (
    EXPIRED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SENT_TO_LOG,
    WITHDRAWN,
    OutboxMessage,
)
from notifications.senders import DeliveryFailed, Sender

log = logging.getLogger("kohtaamo.notifications")

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


@dataclasses.dataclass(frozen=True, slots=True)
class DrainResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0


async def add(
    session: AsyncSession, messages: Iterable[OutboxMessage], hasher: PersonHasher
) -> None:
    """Store messages in the caller's transaction; a key already stored is left as it is."""
    for message in messages:
        message.recipient_hash = hasher.contact(message.channel, message.recipient)
        existing = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == message.idempotency_key)
        )
        if existing is None:
            session.add(message)


async def withdraw_pending(session: AsyncSession, booking_id: str, kind: str) -> None:
    """Take back the unsent messages of one kind (reminders of a moved or cancelled booking)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.booking_id == booking_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == PENDING,
        )
        .values(status=WITHDRAWN)
    )


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (1 << (attempts - 1)), LONGEST_RETRY)


class OutboxSender:
    def __init__(
        self,
        sessions: Sessions,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._senders = senders
        self._clock = clock
        self._draining = asyncio.Lock()
        self._under_way: set[asyncio.Task[DrainResult]] = set()

    async def idle(self) -> None:
        """Return once no drain is running or about to."""
        while self._under_way:
            await asyncio.gather(*self._under_way, return_exceptions=True)

    async def drain(self, limit: int = 100) -> DrainResult:
        """Send what is due. A drain once begun is not cancelled with its caller: a send cut off
        halfway would stay claimed and go out again later, twice. ``idle`` waits for it."""
        task = asyncio.get_running_loop().create_task(self._drain_locked(limit))
        self._under_way.add(task)
        task.add_done_callback(self._under_way.discard)
        return await asyncio.shield(task)

    async def _drain_locked(self, limit: int) -> DrainResult:
        async with self._draining:
            return await self._drain(limit)

    async def _drain(self, limit: int) -> DrainResult:
        now = self._clock()
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM
                )
                .values(status=PENDING)
            )
        async with self._sessions() as session:
            due = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == PENDING, OutboxMessage.send_after <= now)
                    .order_by(OutboxMessage.send_after)
                    .limit(limit)
                )
            ).all()
        counts = {"sent": 0, "retried": 0, "failed": 0, "expired": 0, "skipped": 0}
        for message in due:
            counts[await self._deliver(message)] += 1
        del counts["skipped"]
        return DrainResult(**counts)

    async def _deliver(self, message: OutboxMessage) -> str:
        now = self._clock()
        if not await self._claim(message.id, now):
            return "skipped"  # another sender has it, or it was withdrawn meanwhile
        if message.expires_at is not None and message.expires_at <= now:
            await self._mark(message.id, status=EXPIRED)
            return "expired"
        try:
            delivered = await self._senders[message.channel].send(message)
        except Exception as error:
            # An unexpected error counts as a failed try too, so the message still ends as
            # failed after the last one instead of looping through stale claims forever.
            if not isinstance(error, DeliveryFailed):
                log.exception("sending a message failed unexpectedly", extra={"kind": message.kind})
            attempts = message.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._mark(
                    message.id, status=FAILED, attempts=attempts, last_error=str(error)
                )
                return "failed"
            await self._mark(
                message.id,
                status=PENDING,  # due again at send_after, not only once the claim goes stale
                attempts=attempts,
                last_error=str(error),
                send_after=now + retry_delay(attempts),
            )
            return "retried"
        await self._mark(
            message.id,
            status=SENT if delivered else SENT_TO_LOG,
            sent_at=now,
            attempts=message.attempts + 1,
        )
        return "sent"

    async def _claim(self, message_id: str, now: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
                .values(status=SENDING, claimed_at=now)
            )
        return bool(getattr(result, "rowcount", 0))

    async def _mark(self, message_id: str, **values: object) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
                .values(**values)
            )

    async def oldest_due_seconds(self) -> int | None:
        """How long the oldest message that is due and not yet sent has waited (None: none)."""
        async with self._sessions() as session:
            oldest = await session.scalar(
                select(func.min(OutboxMessage.send_after)).where(
                    OutboxMessage.status.in_((PENDING, SENDING)),
                    OutboxMessage.send_after <= self._clock(),
                )
            )
        if oldest is None:
            return None
        return max(0, round((self._clock() - oldest).total_seconds()))

    async def failed_messages(self) -> list[OutboxMessage]:
        async with self._sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(OutboxMessage).where(OutboxMessage.status == FAILED)
                    )
                ).all()
            )

    async def retry(self, message_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
                .values(status=PENDING, attempts=0, send_after=self._clock(), last_error=None)
            )
