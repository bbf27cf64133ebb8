"""Handing what Kohtaamo holds over to the municipality's client record system: an event with
a JSON body, delivered by the outbox's webhook sender (notifications/senders.py), retried like
any message until the record system takes it. Without ``KOHTAAMO_RECORDS_WEBHOOK_URL`` no event
is stored: there is nowhere to send it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.lookup import PersonHasher
from notifications import outbox
from notifications.models import OutboxMessage

RECIPIENT = "client record system"


async def add_record_event(
    session: AsyncSession,
    hasher: PersonHasher,
    *,
    enabled: bool,
    event_id: str,
    kind: str,
    payload: dict[str, Any],
) -> None:
    """One event for the record system in the caller's transaction (once per ``event_id``)."""
    if not enabled:
        return
    body = json.dumps({"event": kind, "id": event_id, "data": payload}, ensure_ascii=False)
    event = OutboxMessage(
        idempotency_key=f"record:{event_id}",
        kind=kind[:40],
        channel="webhook",
        recipient=RECIPIENT,
        language="fi",
        subject=kind,
        body_text=body,
    )
    await outbox.add(session, [event], hasher)
