"""Two units a client has met, an identifying provider and a real SMTP server: the world of
the secure messages tests."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from accounts.keys import account_service_key
from core.db import utcnow
from notifications.keys import outbox_sender_key
from server import create_app
from tests.booking.conftest import BookingWorld, make_world
from tests.conftest import PASSWORD, make_settings
from tests.identification.provider import (
    walk,
)
from tests.mypages.test_my_pages import AINO, ERKKI, adult_services, book, book_with_link
from tests.notifications.conftest import Inbox, SmtpServer, smtp

__all__ = ["smtp"]
PDF = b"%PDF-1.7\n% Vuokrasopimus\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOTICE_SUBJECTS = {
    "Uusi viesti Kohtaamossa",
    "Nytt meddelande i Kohtaamo",
    "A new message in Kohtaamo",
}


@dataclasses.dataclass
class MessagesWorld:
    client: TestClient[Any, Any]
    family: BookingWorld
    adult_unit_id: str
    sanna: str
    bookings: dict[str, str]
    manage_tokens: dict[str, str]
    inbox: Inbox
    # What the record system's webhook received (headers, body), and what it answers next.
    records: list[tuple[dict[str, str], bytes]]
    record_answers: list[int]

    async def identify(self, person: str) -> None:
        self.client.session.cookie_jar.clear()
        answer, _ = await walk(self.client, "suomifi", person=person, next_path="/my")
        assert answer.status == 303

    @contextlib.asynccontextmanager
    async def staff(self, email: str) -> AsyncIterator[aiohttp.ClientSession]:
        async with aiohttp.ClientSession(
            base_url=str(self.client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as session:
            login = await session.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert login.status == 200
            yield session

    async def deliver(self) -> None:
        sender = self.client.app[outbox_sender_key]
        sender._clock = utcnow
        await sender.drain()

    def notices(self) -> list[tuple[list[str], Message]]:
        """The new-message notices delivered (the bookings' confirmations left out)."""
        return [
            (to, message)
            for to, message in self.inbox.messages
            if str(message["Subject"]) in NOTICE_SUBJECTS
        ]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


WEBHOOK_SECRET = "records-system-shared-secret-for-tests"


@pytest.fixture
async def world(
    aiohttp_client: Any,
    aiohttp_server: Any,
    database_url: str,
    tmp_path: Path,
    smtp: tuple[Inbox, SmtpServer],
    shared_identification: dict[str, str],
) -> AsyncIterator[MessagesWorld]:
    inbox, server = smtp
    records: list[tuple[dict[str, str], bytes]] = []
    record_answers: list[int] = []

    async def record_system(request: web.Request) -> web.Response:
        records.append((dict(request.headers), await request.read()))
        return web.Response(status=record_answers.pop(0) if record_answers else 200)

    receiver = web.Application()
    receiver.router.add_post("/records", record_system)
    records_server = await aiohttp_server(receiver, host="127.0.0.1")
    settings = shared_identification
    app = create_app(
        make_settings(
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=str(server.port),
            mail_from="kohtaamo@demokunta.example",
            file_store=str(tmp_path / "files"),
            records_webhook_url=str(records_server.make_url("/records")),
            records_webhook_secret=WEBHOOK_SECRET,
            **settings,
        )
    )
    client = await aiohttp_client(app)
    family = await make_world(client)
    sanna, adult_type = await adult_services(client)
    family_booking, family_link = await book_with_link(
        client, family, family.maria, family.meeting_type_id, 9, AINO
    )
    bookings = {
        "family": family_booking,
        "adult": await book(client, family, sanna, adult_type, 11, AINO),
        "erkki": await book(client, family, family.johan, family.meeting_type_id, 13, ERKKI),
    }
    units = await client.app[account_service_key].organisation.units()
    adult_unit = next(unit.id for unit in units if unit.names["en"] == "Adult")
    yield MessagesWorld(
        client,
        family,
        adult_unit,
        sanna,
        bookings,
        {"family": family_link},
        inbox,
        records,
        record_answers,
    )
