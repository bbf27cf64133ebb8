"""The outbox on its own: one row per key, nothing from a rolled-back change, retries with backoff
until the last try, an admin's retry; and what each language's messages say and how long SMS are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from core.data_keys import cipher_for
from core.db import Sessions, create_engine, create_sessionmaker, utcnow
from notifications import outbox
from notifications.keys import outbox_sender_key
from notifications.models import FAILED, PENDING, SENT, SENT_TO_LOG, OutboxMessage
from notifications.outbox import MAX_ATTEMPTS, OutboxSender, retry_delay
from notifications.senders import LogSender, SmtpSender
from server import create_app
from tests.booking.conftest import booking_body, make_world
from tests.conftest import TEST_HASHER, make_settings
from tests.notifications.conftest import Inbox, SmtpServer

# GSM 03.38: the basic set counts one, the extension set two; anything else makes the SMS UCS-2.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€"


def sms_segments(text: str) -> int:
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        septets = sum(2 if char in GSM_EXTENSION else 1 for char in text)
        return 1 if septets <= 160 else -(-septets // 153)
    return 1 if len(text) <= 70 else -(-len(text) // 67)


def message(key: str = "booking:b1:confirmation:0:email", **values: Any) -> OutboxMessage:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "kind": "confirmation",
        "channel": "email",
        "recipient": "liisa@example.com",
        "language": "fi",
        "subject": "Aikasi on varattu",
        "body_text": "Hei Liisa, aikasi on varattu.",
        **values,
    }
    return OutboxMessage(**fields)


async def rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage))).all())


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    """The outbox's table with no app running: these tests drive their own sender, and an app's
    leader would send what they add before they read it back (PostgreSQL's CI runs saw it
    already sent to the log)."""
    engine = create_engine(database_url, cipher_for(make_settings(database_url)))
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_adding_one_key_twice_stores_one_message(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await outbox.add(session, [message(), message(subject="again")], TEST_HASHER)
    async with sessions.begin() as session:
        await outbox.add(session, [message(subject="once more")], TEST_HASHER)
    [stored] = await rows(sessions)
    assert stored.subject == "Aikasi on varattu" and stored.status == PENDING


async def test_a_rolled_back_change_leaves_no_message(sessions: Sessions) -> None:

    class ChangeFailed(Exception):
        pass

    with pytest.raises(ChangeFailed):
        async with sessions.begin() as session:
            await outbox.add(session, [message()], TEST_HASHER)
            await session.flush()
            raise ChangeFailed
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_smtp_down_retries_with_backoff_fails_after_the_last_try_and_an_admin_retry_sends_once(
    sessions: Sessions, smtp: tuple[Inbox, SmtpServer]
) -> None:
    inbox, server = smtp
    server.stop()  # the port is closed now
    settings = make_settings(
        "sqlite+aiosqlite:///unused", smtp_host="127.0.0.1", smtp_port=str(server.port)
    )
    async with sessions.begin() as session:
        await outbox.add(session, [message()], TEST_HASHER)
    now = utcnow()

    def clock() -> datetime:
        return now

    sender = OutboxSender(sessions, {"email": SmtpSender(settings), "sms": LogSender()}, clock)

    expected_delays = [retry_delay(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert [int(delay.total_seconds() // 60) for delay in expected_delays] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
    ]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = await sender.drain()
        [stored] = await rows(sessions)
        assert stored.attempts == attempt and stored.last_error
        if attempt == MAX_ATTEMPTS:
            assert result.failed == 1 and stored.status == FAILED
            break
        assert result.retried == 1 and stored.status == PENDING
        assert stored.send_after == now + expected_delays[attempt - 1]
        now = stored.send_after - timedelta(seconds=1)
        assert (await sender.drain()).retried == 0  # not due yet
        now = stored.send_after

    [failed] = await sender.failed_messages()
    now += timedelta(days=1)
    assert (await sender.drain()).failed == 0  # a failed message stays failed
    server.start()
    await sender.retry(failed.id)
    assert await sender.failed_messages() == []
    assert (await sender.drain()).sent == 1
    assert (await sender.drain()).sent == 0
    [(recipients, _email)] = inbox.messages
    assert recipients == ["liisa@example.com"]
    [stored] = await rows(sessions)
    assert stored.status == SENT and stored.sent_at == now


EXPECTED = {
    "fi": ("klo 10.00", "Aikasi on varattu:"),
    "sv": ("kl. 10.00", "Din tid är bokad:"),
    "en": ("at 10:00", "Your appointment is booked:"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_confirmation_says_the_local_time_and_the_manage_link_in_each_language(
    aiohttp_client: Any,
    database_url: str,
    smtp: tuple[Inbox, SmtpServer],
    sms_gateway: tuple[list[dict[str, Any]], TestServer],
    language: str,
) -> None:
    inbox, server = smtp
    received, gateway = sms_gateway
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        sms_url=str(gateway.make_url("/sms")),
        sms_token="gateway-token",
    )
    client = await aiohttp_client(create_app(settings))
    world = await make_world(client)
    start = world.tomorrow_at(10)
    body = booking_body(world, start, language=language)
    booked = await (await client.post("/api/v1/bookings", json=body)).json()
    await client.app[outbox_sender_key].drain()

    clock_text, subject = EXPECTED[language]
    [(_to, email)] = [item for item in inbox.messages if item[0] == ["liisa@example.com"]]
    assert email["Subject"].startswith(subject)
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    for part in (text, html):
        assert clock_text in part and str(start.year) in part
        assert booked["manage_url"] in part
    assert "<img" not in html and "<script" not in html
    [sms] = received
    assert clock_text in sms["text"] and booked["manage_url"] in sms["text"]
    assert sms_segments(sms["text"]) <= 3


async def test_a_client_with_only_a_phone_gets_sms_and_only_an_email_gets_email(
    aiohttp_client: Any,
    database_url: str,
    smtp: tuple[Inbox, SmtpServer],
    sms_gateway: tuple[list[dict[str, Any]], TestServer],
) -> None:
    inbox, server = smtp
    received, gateway = sms_gateway
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        sms_url=str(gateway.make_url("/sms")),
        sms_token="gateway-token",
    )
    client = await aiohttp_client(create_app(settings))
    world = await make_world(client)
    phone_only = {"name": "Pekka", "phone": "040 765 4321"}
    email_only = {"name": "Anna", "email": "anna@example.com"}
    for hour, person in ((9, phone_only), (11, email_only)):
        body = booking_body(world, world.tomorrow_at(hour), client=person)
        assert (await client.post("/api/v1/bookings", json=body)).status == 201
    await client.app[outbox_sender_key].drain()
    assert [sms["to"] for sms in received] == ["+358407654321"]
    to_clients = [to for to, _ in inbox.messages if to != ["maria@example.com"]]
    assert to_clients == [["anna@example.com"]]


async def test_an_unexpected_sender_error_counts_as_a_failed_try(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def send(self, _message: OutboxMessage) -> bool:
            raise RuntimeError("bug in a sender")

    async with sessions.begin() as session:
        await outbox.add(session, [message()], TEST_HASHER)
    sender = OutboxSender(sessions, {"email": Broken(), "sms": Broken()})
    with caplog.at_level("ERROR", logger="kohtaamo.notifications"):
        result = await sender.drain()
    assert result.retried == 1
    [stored] = await rows(sessions)
    assert (stored.status, stored.attempts) == (PENDING, 1)
    assert "bug in a sender" in caplog.text


async def test_a_drain_whose_caller_is_cancelled_mid_send_finishes_and_sends_once(
    sessions: Sessions,
) -> None:
    """A stopping leader's scheduler cancels its running job; the send under way must complete
    (and be recorded as sent), or the message would go out again later."""
    import asyncio

    started, release = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    class Slow:
        async def send(self, outgoing: OutboxMessage) -> bool:
            started.set()
            await release.wait()
            sent.append(outgoing.idempotency_key)
            return True

    async with sessions.begin() as session:
        await outbox.add(session, [message()], TEST_HASHER)
    sender = OutboxSender(sessions, {"email": Slow(), "sms": Slow()})
    job = asyncio.create_task(sender.drain())
    await asyncio.wait_for(started.wait(), 5)
    job.cancel()
    idle = asyncio.create_task(sender.idle())
    await asyncio.sleep(0.05)
    assert not idle.done()  # the send is still under way
    release.set()
    await asyncio.wait_for(idle, 5)
    assert job.cancelled()
    [stored] = await rows(sessions)
    assert stored.status == SENT
    assert (await sender.drain()).sent == 0
    assert sent == ["booking:b1:confirmation:0:email"]


async def test_one_drain_tick_sends_a_burst_bigger_than_a_batch(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:

    from notifications.keys import leader_jobs_key
    from notifications.routes import DRAIN_BATCH

    burst = DRAIN_BATCH * 2 + 50
    async with sessions.begin() as session:
        await outbox.add(session, [message(f"burst:{n}") for n in range(burst)], TEST_HASHER)
    await client.app[leader_jobs_key].drain()
    statuses = [stored.status for stored in await rows(sessions)]
    assert statuses == [SENT_TO_LOG] * burst  # no SMTP configured: the log is the mailbox
