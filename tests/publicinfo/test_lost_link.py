""" "Did you lose your link?" through a real SMTP server and SMS gateway: the new links go only to
the channel the booking was made with, the page answers the same for an unknown address, and
the limits hold per address and per recipient."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from core.db import utcnow
from notifications.keys import outbox_sender_key
from publicinfo.keys import lost_link_requests_key
from server import create_app
from tests.booking.conftest import BookingWorld, booking_body, make_world
from tests.conftest import make_settings
from tests.notifications.conftest import Inbox, SmtpServer, delivering_settings

MANAGE = re.compile(r"http://127\.0\.0\.1:8080/manage/([A-Za-z0-9_-]+)")


@pytest.fixture
async def booked(
    aiohttp_client: Any,
    database_url: str,
    smtp: tuple[Inbox, SmtpServer],
    sms_gateway: tuple[list[dict[str, Any]], TestServer],
) -> Any:
    inbox, controller = smtp
    received, gateway = sms_gateway
    settings = delivering_settings(database_url, controller, gateway)
    client = await aiohttp_client(create_app(settings))
    world = await make_world(client)
    first = await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(10)))
    someone_else = {"name": "Olli Muu", "email": "olli@example.com", "phone": "040 765 4321"}
    second = await client.post(
        "/api/v1/bookings",
        json=booking_body(world, world.tomorrow_at(12), client=someone_else),
    )
    bookings = [await first.json(), await second.json()]
    assert first.status == second.status == 201, bookings[1].get("errors")
    await drain(client)
    inbox.messages.clear()
    received.clear()
    return client, world, inbox, received, bookings


async def drain(client: TestClient[Any, Any]) -> None:
    await client.app[lost_link_requests_key].settled()
    sender = client.app[outbox_sender_key]
    sender._clock = lambda: utcnow() + timedelta(seconds=1)
    await sender.drain()


def text_of(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return str(part.get_payload(decode=True).decode())


async def ask(client: TestClient[Any, Any], typed: str, language: str = "fi") -> tuple[int, str]:
    form = await (await client.get("/lost-link", headers={"Accept-Language": language})).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = await client.post(
        "/lost-link",
        data={"csrf_token": token.group(1), "contact": typed},
        headers={"Accept-Language": language},
    )
    return response.status, await response.text()


def answer_of(page: str) -> str:
    """The page's main content, without what differs between two requests (the CSRF token)."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


async def test_new_links_go_by_email_to_the_booked_address_and_the_old_links_stop_working(
    booked: Any,
) -> None:
    client, _world, inbox, received, bookings = booked
    status, known = await ask(client, " Liisa@Example.com ", "sv")
    assert status == 200
    status, unknown = await ask(client, "nobody@example.com", "sv")
    assert status == 200
    assert answer_of(known) == answer_of(unknown)
    assert "Titta i din e-post eller dina sms" in known
    await drain(client)
    [(recipients, message)] = inbox.messages
    assert recipients == ["liisa@example.com"]
    assert message["Subject"] == "Länkar till dina bokningar"
    text = text_of(message)
    # Liisa's booking's manage link and its video link, on the same new token; not Olli's.
    [token] = set(MANAGE.findall(text))
    assert "Anslut till videomötet" in text and "10:00" in text
    assert received == []  # nothing by text message: the address was an email address
    assert (await client.get(f"/manage/{token}")).status == 200
    old = await client.get(f"/manage/{bookings[0]['manage_token']}")
    assert old.status == 404
    assert 'href="/lost-link"' in await old.text()
    assert (await client.get(f"/manage/{bookings[1]['manage_token']}")).status == 200


async def test_a_phone_number_gets_the_links_by_text_message_only(booked: Any) -> None:
    client, _world, inbox, received, _bookings = booked
    status, _page = await ask(client, "+358 40 1234567")
    assert status == 200
    await drain(client)
    assert inbox.messages == []
    [sms] = received
    assert sms["to"] == "+358401234567"
    [token] = set(MANAGE.findall(sms["text"]))
    assert (await client.get(f"/manage/{token}")).status == 200


async def test_an_unknown_address_gets_nothing_and_the_same_answer(booked: Any) -> None:
    client, _world, inbox, received, _bookings = booked
    status, page = await ask(client, "someone.else@example.com")
    assert status == 200 and "Katso sähköpostisi tai tekstiviestisi" in page
    await drain(client)
    assert inbox.messages == [] and received == []


async def test_what_is_neither_an_address_nor_a_number_is_kept_with_an_error(
    booked: Any,
) -> None:
    client, *_rest = booked
    status, page = await ask(client, "liisa at example", "en")
    assert status == 422
    assert 'value="liisa at example"' in page
    assert "Enter the email address or phone number you booked with" in page


async def test_a_recipient_gets_at_most_three_messages_a_day(booked: Any) -> None:
    client, _world, inbox, _received, _bookings = booked
    for _ in range(5):
        status, _page = await ask(client, "liisa@example.com")
        assert status == 200
    await drain(client)
    assert len(inbox.messages) == 3


async def test_the_lost_link_page_is_rate_limited_per_address(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url, booking_rate_limit="2")))
    statuses = [(await ask(client, f"person{i}@example.com"))[0] for i in range(3)]
    assert statuses == [200, 200, 429]


async def test_the_booking_pages_lead_to_the_lost_link_page(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    for path in ("/", "/book", "/manage/not-a-real-token"):
        page = await (await client.get(path)).text()
        assert 'href="/lost-link"' in page, path


async def test_the_api_sends_the_links_the_same_way_and_refuses_bad_input_as_a_problem(
    booked: Any,
) -> None:
    client, _world, inbox, _received, _bookings = booked
    known = await client.post("/api/v1/lost-links", json={"contact": "liisa@example.com"})
    unknown = await client.post("/api/v1/lost-links", json={"contact": "nobody@example.com"})
    assert known.status == unknown.status == 202
    assert await known.json() == await unknown.json()
    bad = await client.post(
        "/api/v1/lost-links", json={"contact": "liisa"}, headers={"Accept-Language": "sv"}
    )
    assert bad.status == 422
    assert bad.content_type == "application/problem+json"
    [error] = (await bad.json())["errors"]
    assert error["field"] == "contact" and "Ange e-postadressen" in error["message"]
    await drain(client)
    assert [recipients for recipients, _message in inbox.messages] == [["liisa@example.com"]]
