"""A delivered message's content is blanked KOHTAAMO_OUTBOX_RETENTION_DAYS after it was sent; its
row (the idempotency key) stays, so nothing is ever sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from audit.models import AccessLogEntry
from core.app_keys import person_hasher_key, sessions_key
from core.db import utcnow
from notifications import outbox
from notifications.keys import outbox_retention_key, outbox_sender_key
from notifications.models import FAILED, PENDING, OutboxMessage
from notifications.retention import ERASED
from server import create_app
from tests.booking.conftest import BookingWorld, booking_body, make_world
from tests.conftest import make_settings
from tests.notifications.conftest import Inbox, SmtpServer

DAYS = 7  # the default


@pytest.fixture
async def mailing(
    aiohttp_client: Any, database_url: str, smtp: tuple[Inbox, SmtpServer]
) -> tuple[TestClient[Any, Any], BookingWorld, Inbox]:
    inbox, controller = smtp
    settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=str(controller.port))
    client = await aiohttp_client(create_app(settings))
    return client, await make_world(client), inbox


async def drain(client: TestClient[Any, Any], at: datetime) -> None:
    sender = client.app[outbox_sender_key]
    sender._clock = lambda: at
    await sender.drain()


async def messages(client: TestClient[Any, Any]) -> list[OutboxMessage]:
    async with client.app[sessions_key]() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.kind)))


async def erase(client: TestClient[Any, Any], at: datetime) -> int:
    retention = client.app[outbox_retention_key]
    retention._clock = lambda: at
    return await retention.erase_resolved()


async def test_a_sent_message_is_blanked_after_its_time_and_its_reminder_never_comes_twice(
    mailing: Any,
) -> None:
    client, world, inbox = mailing
    start = world.tomorrow_at(15)
    body = booking_body(world, start, client={"name": "Eka", "email": "eka@example.com"})
    assert (await client.post("/api/v1/bookings", json=body)).status == 201
    now = utcnow()
    await drain(client, now)  # the confirmation and the caseworker's notice
    await drain(client, start - timedelta(minutes=59))  # the reminders
    sent = len(inbox.messages)
    stored = await messages(client)
    assert sent >= 3 and all(message.sent_at is not None for message in stored)
    last_sent = max(message.sent_at for message in stored if message.sent_at)
    first_sent = min(message.sent_at for message in stored if message.sent_at)

    assert await erase(client, first_sent + timedelta(days=DAYS - 1)) == 0
    assert {message.recipient for message in await messages(client)} != {""}

    assert await erase(client, last_sent + timedelta(days=DAYS, minutes=1)) == len(stored)
    erased = await messages(client)
    assert {message.status for message in erased} == {ERASED}
    assert {(m.recipient, m.subject, m.body_text, m.body_html, m.ics) for m in erased} == {
        ("", "", "", None, None)
    }
    assert {m.idempotency_key for m in erased} == {m.idempotency_key for m in stored}

    # The same messages announced again (the same booking version) are not stored again, and the
    # sender, later still, sends nothing more.
    async with client.app[sessions_key].begin() as session:
        await outbox.add(
            session,
            [
                OutboxMessage(
                    idempotency_key=message.idempotency_key,
                    booking_id=message.booking_id,
                    kind=message.kind,
                    channel=message.channel,
                    recipient="eka@example.com",
                    language="fi",
                    body_text="again",
                    send_after=now,
                )
                for message in stored
            ],
            client.app[person_hasher_key],
        )
    await drain(client, start + timedelta(minutes=1))
    assert len(inbox.messages) == sent
    assert len(await messages(client)) == len(stored)
    async with client.app[sessions_key]() as session:
        counted = (
            await session.scalars(
                select(AccessLogEntry.subject_id).where(
                    AccessLogEntry.action == "retention.erased",
                    AccessLogEntry.subject_type == "outbox_message",
                )
            )
        ).all()
    assert counted == [f"count:{len(stored)}"]


async def test_pending_and_unresolved_failed_messages_keep_their_content(mailing: Any) -> None:
    client, _world, _inbox = mailing
    now = utcnow()
    async with client.app[sessions_key].begin() as session:
        for key, status in (("waiting", PENDING), ("failed", FAILED)):
            session.add(
                OutboxMessage(
                    idempotency_key=key,
                    kind="confirmation",
                    channel="email",
                    recipient="toka@example.com",
                    language="fi",
                    body_text="Aikasi on varattu",
                    status=status,
                    send_after=now + timedelta(days=365),
                )
            )
    # A failure nobody resolves is blanked only after the booking retention period.
    assert await erase(client, now + timedelta(days=179)) == 0
    assert {m.recipient for m in await messages(client)} == {"toka@example.com"}
    assert await erase(client, now + timedelta(days=180, minutes=1)) == 1
    statuses = {m.idempotency_key: (m.status, m.recipient) for m in await messages(client)}
    assert statuses == {"waiting": (PENDING, "toka@example.com"), "failed": (ERASED, "")}
