"""The outbox: messages are rows written with the booking change they tell of; a sender drains them.

Written in the change's own transaction, a message exists exactly when the change does. Each has
an idempotency key, so announcing the same thing twice stores it once. A sender first claims a
message (pending → sending, a conditional update only one sender can win), delivers it, then
marks it sent. Normally only the leader instance drains (core.leadership), one drain at a time,
sending to many recipients at once but to each recipient in order; the claim keeps even
overlapping drains from sending twice. A leader that steps down finishes its sends and marks them
first (``idle``). A message is delivered twice only if its sender dies between delivering and
marking: after ``STALE_CLAIM`` it is pending again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
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
    messages = list(messages)
    if not messages:
        return
    # One query for the whole batch (a booking queues four or more messages), not one each.
    stored = set(
        await session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_([message.idempotency_key for message in messages])
            )
        )
    )
    for message in messages:
        if message.idempotency_key in stored:
            continue
        stored.add(message.idempotency_key)  # and the first of a key repeated in this batch
        message.recipient_hash = hasher.contact(message.channel, message.recipient)
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
        concurrency: int = 16,
    ) -> None:
        self._sessions = sessions
        self._senders = senders
        self._clock = clock
        # Recipients sent to at once (email's own bound is its SMTP connections).
        self._concurrency = concurrency
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
        """Claim what is due in one statement, then send: each recipient's messages one after
        the other, in the order they were written; different recipients' side by side, at most
        ``concurrency`` at once. A recipient whose earlier message waits for a retry, or is
        being sent by another sender, waits too: nobody gets a cancellation before the
        confirmation it cancels."""
        now = self._clock()
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM
                )
                .values(status=PENDING)
            )
        due = await self._due(now, limit)
        claimed = await self._claim_all([message.id for message in due], now)
        by_recipient: dict[str, list[OutboxMessage]] = {}
        for message in sorted(due, key=lambda m: (m.created_at, m.send_after)):
            if message.id in claimed:
                by_recipient.setdefault(message.recipient_hash or message.id, []).append(message)
        counts = {"sent": 0, "retried": 0, "failed": 0, "expired": 0}
        slots = asyncio.Semaphore(self._concurrency)
        delivered = _Delivered(self._sessions, self._clock)

        async def send_in_order(messages: list[OutboxMessage]) -> None:
            async with slots:
                for index, message in enumerate(messages):
                    outcome = await self._deliver(message, delivered)
                    counts[outcome] += 1
                    if outcome == "retried":
                        # The rest wait for this one, to keep the recipient's order.
                        await self._release([m.id for m in messages[index + 1 :]])
                        return

        try:
            await asyncio.gather(*(send_in_order(group) for group in by_recipient.values()))
        finally:
            await delivered.stored()
        return DrainResult(**counts)

    async def _due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """The next ``limit`` due messages whose recipients wait for nothing older: a message
        being sent elsewhere, or waiting for a retry, holds back what was written after it."""
        async with self._sessions() as session:
            candidates = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == PENDING, OutboxMessage.send_after <= now)
                    .order_by(OutboxMessage.send_after, OutboxMessage.created_at)
                    .limit(limit * 2)
                )
            ).all()
            recipients = {m.recipient_hash for m in candidates if m.recipient_hash is not None}
            held_since = dict(
                (
                    await session.execute(
                        select(OutboxMessage.recipient_hash, func.min(OutboxMessage.created_at))
                        .where(
                            OutboxMessage.recipient_hash.in_(recipients),
                            or_(
                                OutboxMessage.status == SENDING,
                                and_(OutboxMessage.status == PENDING, OutboxMessage.attempts > 0),
                            ),
                        )
                        .group_by(OutboxMessage.recipient_hash)
                    )
                ).all()
                if recipients
                else ()
            )
        free = [
            message
            for message in candidates
            if message.recipient_hash not in held_since
            or held_since[message.recipient_hash] >= message.created_at
        ]
        return free[:limit]

    async def _claim_all(self, message_ids: list[str], now: datetime) -> set[str]:
        """Pending → sending in one conditional update: another sender's claim wins."""
        if not message_ids:
            return set()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == PENDING)
                .values(status=SENDING, claimed_at=now)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            return set(result.scalars())

    async def _release(self, message_ids: list[str]) -> None:
        if not message_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == SENDING)
                .values(status=PENDING, claimed_at=None)
            )

    async def _deliver(self, message: OutboxMessage, delivered: _Delivered) -> str:
        now = self._clock()
        if message.expires_at is not None and message.expires_at <= now:
            await self._mark(message.id, status=EXPIRED)
            return "expired"
        try:
            went_out = await self._senders[message.channel].send(message)
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
        delivered.add(message.id, SENT if went_out else SENT_TO_LOG)
        return "sent"

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


class _Delivered:
    """A drain's delivered messages, marked sent a few at a time, one statement for each group:
    a transaction per message kept the sender waiting on the database longer than on the mail
    server. A writer runs while there is something to mark; ``stored`` waits for the last."""

    def __init__(self, sessions: Sessions, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._waiting: list[tuple[str, str]] = []  # (message id, status)
        self._writer: asyncio.Task[None] | None = None

    def add(self, message_id: str, status: str) -> None:
        self._waiting.append((message_id, status))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def stored(self) -> None:
        while self._writer is not None and not self._writer.done():
            await self._writer
        if self._waiting:  # added after the writer's last look
            await self._write()

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            now = self._clock()
            try:
                async with self._sessions.begin() as session:
                    for status in {status for _, status in batch}:
                        ids = [message_id for message_id, s in batch if s == status]
                        await session.execute(
                            update(OutboxMessage)
                            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING)
                            .values(status=status, sent_at=now, attempts=OutboxMessage.attempts + 1)
                        )
            except Exception:
                # Left claimed: sent again once the claim is stale (the window the module's
                # docstring names).
                log.exception("could not mark %d delivered messages", len(batch))
