"""Booking changes reach the client through a real SMTP server and an SMS gateway, once each."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from core.db import utcnow
from notifications.keys import outbox_sender_key
from server import create_app
from tests.booking.conftest import BookingWorld, booking_body, make_world
from tests.conftest import make_settings
from tests.notifications.conftest import Inbox, SmtpServer, delivering_settings


@pytest.fixture
async def messaging(
    aiohttp_client: Any,
    database_url: str,
    smtp: tuple[Inbox, SmtpServer],
    sms_gateway: tuple[list[dict[str, Any]], TestServer],
) -> tuple[TestClient[Any, Any], BookingWorld, Inbox, list[dict[str, Any]], SmtpServer]:
    inbox, controller = smtp
    received, gateway = sms_gateway
    settings = delivering_settings(database_url, controller, gateway)
    client = await aiohttp_client(create_app(settings))
    world = await make_world(client)
    return client, world, inbox, received, controller


def parts(message: Message) -> dict[str, Message]:
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


async def drain(client: TestClient[Any, Any], after: timedelta = timedelta(0)) -> None:
    sender = client.app[outbox_sender_key]
    sender._clock = lambda: utcnow() + after
    await sender.drain()


async def test_booking_sends_a_confirmation_in_the_clients_language_by_email_and_sms(
    messaging: Any,
) -> None:
    client, world, inbox, received, _controller = messaging
    body = booking_body(world, world.tomorrow_at(10), language="sv", answers={})
    booked = await (await client.post("/api/v1/bookings", json=body)).json()
    await drain(client)
    [(_recipients, message)] = [item for item in inbox.messages if item[0] == ["liisa@example.com"]]
    assert message["Subject"].startswith("Din tid är bokad:")
    found = parts(message)
    assert set(found) == {"text/plain", "text/html", "text/calendar"}
    text = found["text/plain"].get_payload(decode=True).decode()
    assert "kl. 10.00" in text
    assert booked["manage_url"] in text and booked["join_url"] in text
    assert "<img" not in found["text/html"].get_payload(decode=True).decode()
    calendar = Calendar.from_ical(found["text/calendar"].get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    assert found["text/calendar"].get_param("method") == "REQUEST"
    [sms] = received
    assert sms["auth"] == "Bearer gateway-token"
    assert sms["to"] == "+358401234567"
    assert "är bokad" in sms["text"]
    # The caseworker hears of it too, in the service's language, without the client's details.
    [(_to, notice)] = [item for item in inbox.messages if item[0] == ["maria@example.com"]]
    assert notice["Subject"].startswith("Uusi varaus:")
    notice_text = parts(notice)["text/plain"].get_payload(decode=True).decode()
    assert f"/caseworker/bookings/{booked['id']}" in notice_text
    assert "Liisa" not in notice_text and "liisa@example.com" not in notice_text
    # Draining again sends nothing more.
    await drain(client)
    assert len(inbox.messages) == 2 and len(received) == 1


async def test_reminders_come_once_each_when_due_and_never_after_a_cancel(messaging: Any) -> None:
    client, world, inbox, received, _controller = messaging
    # The day after tomorrow: booked more than 24 hours ahead at any time of day, so that both
    # the 24-hour and the 1-hour reminder are due (tomorrow at 15 failed between 15 and 16).
    start = world.tomorrow_at(15) + timedelta(days=1)
    first = booking_body(world, start, client={"name": "Eka", "email": "eka@example.com"})
    second = booking_body(
        world,
        start,
        caseworker_id=world.johan,
        client={"name": "Toka", "email": "toka@example.com"},
    )
    await client.post("/api/v1/bookings", json=first)
    cancelled = await (await client.post("/api/v1/bookings", json=second)).json()
    await client.post(
        f"/api/v1/bookings/{cancelled['id']}/cancel",
        json={},
        headers={"Authorization": f"Bearer {cancelled['manage_token']}"},
    )
    await drain(client)
    clients = {"eka@example.com", "toka@example.com"}
    subjects = sorted(
        message["Subject"].split(":")[0] for to, message in inbox.messages if to[0] in clients
    )
    assert subjects == ["Aikasi on peruttu", "Aikasi on varattu", "Aikasi on varattu"]
    notices = sorted(
        message["Subject"].split(":")[0] for to, message in inbox.messages if to[0] not in clients
    )
    assert notices == ["Uusi varaus", "Uusi varaus", "Varaus peruttu"]
    until_meeting = start - utcnow()
    # An hour before the meeting both reminders are due; each comes once, to the booked client only.
    await drain(client, after=until_meeting - timedelta(minutes=59))
    await drain(client, after=until_meeting - timedelta(minutes=30))
    reminders = [
        (to, message)
        for to, message in inbox.messages
        if message["Subject"].startswith("Muistutus")
    ]
    assert [to for to, _ in reminders] == [["eka@example.com"], ["eka@example.com"]]
    assert received == []


async def test_a_reminder_missed_while_down_goes_out_if_the_meeting_has_not_begun(
    aiohttp_client: Any, database_url: str, smtp: tuple[Inbox, SmtpServer]
) -> None:
    inbox, controller = smtp
    settings = make_settings(
        database_url, smtp_host="127.0.0.1", smtp_port=str(controller.port), reminder_minutes="60"
    )
    first = await aiohttp_client(create_app(settings))
    world = await make_world(first)
    await first.post(
        "/api/v1/bookings",
        json=booking_body(
            world, world.tomorrow_at(12), client={"name": "A", "email": "a@example.com"}
        ),
    )
    await drain(first)
    await first.close()  # the service stops
    assert len(inbox.messages) == 2  # the confirmation and the caseworker's notice

    restarted = await aiohttp_client(create_app(settings))
    late = (
        world.tomorrow_at(12) - utcnow() - timedelta(minutes=20)
    )  # due 40 minutes ago, meeting in 20
    await drain(restarted, after=late)
    await drain(restarted, after=late + timedelta(minutes=5))
    to_client = [
        message["Subject"].split(":")[0]
        for to, message in inbox.messages
        if to == ["a@example.com"]
    ]
    assert to_client == ["Aikasi on varattu", "Muistutus"]
    # After the meeting has begun a reminder is not worth sending; nothing else is pending anyway.
    await drain(restarted, after=late + timedelta(hours=2))
    assert len(inbox.messages) == 3


async def test_smtp_down_for_a_while_delays_messages_but_loses_and_doubles_none(
    messaging: Any,
) -> None:
    client, world, inbox, _received, controller = messaging
    controller.stop()
    # Two days ahead: no reminder falls due within the test's ten minutes, whatever the hour.
    in_two_days = world.tomorrow_at(9) + timedelta(days=1)
    await client.post(
        "/api/v1/bookings",
        json=booking_body(world, in_two_days, client={"name": "A", "email": "a@example.com"}),
    )
    await drain(client)
    await drain(client, after=timedelta(seconds=30))  # not yet time to try again
    assert inbox.messages == []
    controller.start()
    await drain(client, after=timedelta(minutes=2))
    await drain(client, after=timedelta(minutes=10))
    assert sorted(to[0] for to, _ in inbox.messages) == ["a@example.com", "maria@example.com"]


async def test_two_senders_draining_at_once_deliver_each_message_once(messaging: Any) -> None:
    """As if two instances drained together: the claim lets only one of them send a message."""
    import asyncio

    from core.app_keys import sessions_key
    from core.settings import Settings
    from notifications.outbox import OutboxSender
    from notifications.senders import SmtpSender

    client, world, inbox, _received, _server = messaging
    for number in range(6):
        body = booking_body(
            world,
            world.tomorrow_at(8 + 2 * (number // 2)),
            caseworker_id=(world.maria, world.johan)[number % 2],
            client={"name": f"C{number}", "email": f"c{number}@example.com"},
        )
        assert (await client.post("/api/v1/bookings", json=body)).status == 201
    settings: Settings = client.app[outbox_sender_key]._senders["email"]._settings
    other = OutboxSender(
        client.app[sessions_key], {"email": SmtpSender(settings), "sms": SmtpSender(settings)}
    )
    await asyncio.gather(client.app[outbox_sender_key].drain(), other.drain())
    delivered = sorted(to[0] for to, _ in inbox.messages if to[0].startswith("c"))
    assert delivered == [f"c{number}@example.com" for number in range(6)]
    assert len(inbox.messages) == 12  # and one notice per booking to its caseworker


async def test_a_meeting_type_can_have_its_own_reminders(
    aiohttp_client: Any, database_url: str, smtp: tuple[Inbox, SmtpServer]
) -> None:
    inbox, server = smtp
    settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=str(server.port))
    client = await aiohttp_client(create_app(settings))
    world = await make_world(client, reminder_minutes=(120,))
    start = world.tomorrow_at(14)
    body = booking_body(world, start, client={"name": "A", "email": "a@example.com"})
    assert (await client.post("/api/v1/bookings", json=body)).status == 201
    until = start - utcnow()
    for minutes_before in (
        1400,
        119,
        59,
    ):  # the service default (24 h, 1 h) would send at 1440 and 60
        await drain(client, after=until - timedelta(minutes=minutes_before))
    reminders = [
        message for to, message in inbox.messages if message["Subject"].startswith("Muistutus")
    ]
    assert len(reminders) == 1


async def test_reminder_times_are_checked(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    from tests.conftest import log_in

    await log_in(client, "maria@example.com")
    body = {
        "name": {"fi": "Puhelu", "sv": "Samtal", "en": "Call"},
        "duration_minutes": 30,
        "modes": ["phone"],
        "reminder_minutes": [0, 60],
    }
    answer = await client.post("/api/v1/me/meeting-types", json=body)
    assert answer.status == 422
    assert [error["field"] for error in (await answer.json(content_type=None))["errors"]] == [
        "reminder_minutes"
    ]
    body["reminder_minutes"] = [30, 2880]
    created = await (await client.post("/api/v1/me/meeting-types", json=body)).json()
    assert created["reminder_minutes"] == [2880, 30]


async def test_messages_never_carry_the_pre_meeting_answers(
    aiohttp_client: Any, database_url: str, smtp: tuple[Inbox, SmtpServer]
) -> None:
    from calendars.meeting_types import PreMeetingQuestion

    inbox, server = smtp
    settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=str(server.port))
    client = await aiohttp_client(create_app(settings))
    question = PreMeetingQuestion(
        id="topic", kind="text", label={"fi": "Aihe", "sv": "Ämne", "en": "Topic"}
    )
    world = await make_world(client, asks_pre_meeting_form=True, pre_meeting_questions=(question,))
    secret = "Päihdeongelma ja velat"
    body = booking_body(world, world.tomorrow_at(11), answers={"topic": secret})
    assert (await client.post("/api/v1/bookings", json=body)).status == 201
    await drain(client)
    await drain(client, after=world.tomorrow_at(11) - utcnow() - timedelta(minutes=30))  # reminders
    assert len(inbox.messages) >= 3
    for _to, message in inbox.messages:
        for part in message.walk():
            if not part.is_multipart():
                assert secret not in part.get_payload(decode=True).decode()


async def test_without_an_smtp_server_messages_go_to_the_log(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    from sqlalchemy import select

    from core.app_keys import sessions_key
    from notifications.models import SENT_TO_LOG, OutboxMessage

    assert (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).status == 201
    await drain(client)
    async with client.app[sessions_key]() as session:
        statuses = set(
            (
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.kind == "confirmation")
                )
            ).all()
        )
    assert statuses == {SENT_TO_LOG}
