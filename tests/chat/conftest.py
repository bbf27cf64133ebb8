"""An advice chat of the family services, open every day, and the people who use it: two
anonymous browsers and the unit's caseworkers on their consoles."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from chat.keys import chat_services_key
from core.principal import Role
from tests.booking.conftest import BookingWorld, make_world
from tests.conftest import PASSWORD, create_user

Socket = aiohttp.ClientWebSocketResponse
SLUG = "perheneuvonta"
EVERY_DAY = {str(day): ["00:00", "23:59"] for day in range(7)}
# A Wednesday morning that is no public holiday in Finland or Sweden.
WEDNESDAY = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)


@dataclasses.dataclass
class ChatWorld:
    client: TestClient[Any, Any]
    family: BookingWorld
    service_id: str
    sessions: list[aiohttp.ClientSession]

    async def browser(self) -> aiohttp.ClientSession:
        """A new browser that has opened the chat's page (and so has its chat cookie)."""
        session = aiohttp.ClientSession(
            base_url=str(self.client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.sessions.append(session)
        assert (await session.get(f"/chat/{SLUG}")).status == 200
        return session

    async def staff(self, email: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            base_url=str(self.client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.sessions.append(session)
        login = await session.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status == 200
        return session

    async def connect(self, session: aiohttp.ClientSession | None = None, **hello: Any) -> Socket:
        """A person's socket, hello sent, the answer not read."""
        session = session or await self.browser()
        socket = await session.ws_connect("/api/v1/chat/ws")
        await socket.send_json({"type": "hello", "v": 1, "service": SLUG} | hello)
        return socket

    async def person(
        self, session: aiohttp.ClientSession | None = None, **hello: Any
    ) -> tuple[Socket, dict[str, Any]]:
        socket = await self.connect(session, **hello)
        return socket, await expect(socket, "welcome")

    async def worker(self, email: str, *, duty: bool = True) -> Socket:
        session = await self.staff(email)
        socket = await session.ws_connect("/api/v1/chat/staff/ws")
        await socket.send_json({"type": "hello", "v": 1})
        await expect(socket, "welcome")
        if duty:
            await socket.send_json({"type": "duty", "services": [self.service_id]})
            await expect(socket, "duty")
        return socket


async def expect(socket: Socket, kind: str, within: float = 5) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others."""
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            assert frame.type is WSMsgType.TEXT, f"wanted {kind}, got {frame.type} {frame.data!r}"
            message: dict[str, Any] = json.loads(frame.data)
            if message["type"] == kind:
                return message


async def closed_with(socket: Socket, within: float = 5) -> int:
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            if frame.type is WSMsgType.CLOSE:
                return int(frame.data)
            if frame.type in (WSMsgType.CLOSED, WSMsgType.CLOSING):
                return int(socket.close_code or 0)


async def add_service(client: TestClient[Any, Any], unit_id: str, **fields: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as admin:
        login = await admin.post(
            "/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert login.status == 200
        body = {
            "slug": SLUG,
            "names": {"fi": "Perheneuvonta", "sv": "Familjerådgivning", "en": "Family advice"},
            "hours": EVERY_DAY,
            "phone": "09 123 4567",
            "capacity": 2,
            "unit_id": unit_id,
        } | fields
        answer = await admin.post("/api/v1/admin/chat/services", json=body)
        assert answer.status == 201, await answer.text()
        created: dict[str, Any] = await answer.json()
        return created


@pytest.fixture
async def chat_world(client: TestClient[Any, Any]) -> AsyncIterator[ChatWorld]:
    family = await make_world(client)
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    service = await add_service(client, family.unit_id)
    set_clock(client, lambda: WEDNESDAY)
    world = ChatWorld(client, family, service["id"], [])
    yield world
    for session in world.sessions:
        await session.close()


def set_clock(client: TestClient[Any, Any] | TestServer, clock: Callable[[], datetime]) -> None:
    client.app[chat_services_key]._clock = clock
