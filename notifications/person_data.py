"""A person's messages for the person's-rights page: the outbox rows sent to their email or
phone (by keyed hash, core/lookup.py) or about their bookings, and their erasure on request.

Erasure blanks a message's content as retention does (notifications/retention.py) and keeps the
row, whose idempotency key stops the same message from being stored and sent again. A message
not yet sent (a reminder of a meeting still to come) is left to be sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update

from audit.service import AuditLog
from core.db import Sessions
from core.principal import Role, Viewer, require_role
from notifications.models import PENDING, SENDING, OutboxMessage
from notifications.retention import ERASED, ERASED_CONTENT

SUBJECT = "outbox_message"


@dataclasses.dataclass(frozen=True, slots=True)
class MessageRecord:
    id: str
    kind: str
    channel: str
    recipient: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    subject: str
    body_text: str

    def as_json(self) -> dict[str, object]:
        found = dataclasses.asdict(self)
        found["created_at"] = self.created_at.isoformat()
        found["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return found


class PersonMessages:
    def __init__(self, sessions: Sessions, audit: AuditLog) -> None:
        self._sessions = sessions
        self._audit = audit

    async def of_person(
        self, viewer: Viewer, hashes: Sequence[str], booking_ids: Sequence[str], purpose: str
    ) -> list[MessageRecord]:
        require_role(viewer, Role.ADMIN)
        if not hashes and not booking_ids:
            return []
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(self._of_person(hashes, booking_ids))
                    .order_by(OutboxMessage.created_at, OutboxMessage.id)
                )
            ).all()
            self._audit.add(session, viewer, "person.read", SUBJECT, [r.id for r in rows], purpose)
        return [
            MessageRecord(
                row.id,
                row.kind,
                row.channel,
                row.recipient,
                row.status,
                row.created_at,
                row.sent_at,
                row.subject,
                row.body_text,
            )
            for row in rows
        ]

    async def erase(self, viewer: Viewer, hashes: Sequence[str], reason: str) -> int:
        """Blank the content of every message sent to these addresses; returns how many."""
        require_role(viewer, Role.ADMIN)
        if not hashes:
            return 0
        async with self._sessions.begin() as session:
            ids = (
                await session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.recipient_hash.in_(list(hashes)),
                        OutboxMessage.status.not_in((PENDING, SENDING, ERASED)),
                    )
                )
            ).all()
            if not ids:
                return 0
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status.not_in((PENDING, SENDING)))
                .values(ERASED_CONTENT)
                .execution_options(synchronize_session=False)
            )
            self._audit.add(session, viewer, "person.erased", SUBJECT, ids, reason)
        return len(ids)

    @staticmethod
    def _of_person(hashes: Sequence[str], booking_ids: Sequence[str]) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if hashes:
            conditions.append(OutboxMessage.recipient_hash.in_(list(hashes)))
        if booking_ids:
            # The client's own messages about their bookings, not the caseworker's notices.
            conditions.append(
                OutboxMessage.booking_id.in_(list(booking_ids))
                & OutboxMessage.kind.not_like("caseworker-%")
            )
        return or_(*conditions)
