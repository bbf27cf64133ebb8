"""A group discussion of the family services on a Wednesday evening, and the people in it:
anonymous browsers that join with nicknames, Maria (the host) and Johan (a moderator)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from core.principal import Role, Viewer
from discussions.keys import group_sessions_key
from discussions.service import SessionFields
from tests.booking.conftest import BookingWorld, make_world
from tests.conftest import PASSWORD

Socket = aiohttp.ClientWebSocketResponse
# Planned the morning before; the discussion is 18.00–19.30 Helsinki time (16–17.30 UTC).
PLANNED = datetime(2027, 3, 9, 8, 0, tzinfo=UTC)
STARTS = datetime(2027, 3, 10, 16, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(minutes=90)
# Five minutes before the start: the room is open (it opens ten minutes before).
JUST_BEFORE = STARTS - timedelta(minutes=5)
TOPIC = "Arki teini-ikäisen kanssa"


def fields(**changes: Any) -> SessionFields:
    values: dict[str, Any] = {
        "topic": TOPIC,
        "description": "Vanhempien keskustelu.",
        "language": "fi",
        "host_id": "",
        "moderator_ids": (),
        "day": "2027-03-10",
        "starts": "18:00",
        "ends": "19:30",
        "capacity": "20",
        "premoderation": True,
    } | changes
    return SessionFields(**values)


def as_viewer(user_id: str, name: str, role: Role = Role.CASEWORKER) -> Viewer:
    return Viewer(user_id, name, f"{name.split()[0].lower()}@example.com", role, session_id="")


@dataclasses.dataclass
class GroupWorld:
    client: TestClient[Any, Any]
    family: BookingWorld
    session_id: str
    sessions: list[aiohttp.ClientSession]

    @property
    def maria(self) -> Viewer:
        return as_viewer(self.family.maria, "Maria Virtanen")

    @property
    def app(self) -> web.Application:
        app: web.Application = self.client.app
        return app

    def at(self, moment: datetime) -> None:
        set_clock(self.client, moment)

    async def plan(self, **changes: Any) -> str:
        """Another session, planned by Maria (the clock set back to plan it)."""
        service = self.app[group_sessions_key]
        before = service._clock
        service._clock = lambda: PLANNED
        try:
            base = {"host_id": self.family.maria, "moderator_ids": (self.family.johan,)}
            view = await service.create(self.maria, fields(**(base | changes)))
        finally:
            service._clock = before
        return view.id

    def new_session(self) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            base_url=str(self.client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.sessions.append(session)
        return session

    async def browser(self, session_id: str | None = None) -> aiohttp.ClientSession:
        """A new browser that has opened the session's page (and so has its group cookie)."""
        session = self.new_session()
        page = await session.get(f"/groups/{session_id or self.session_id}")
        assert page.status == 200
        return session

    async def staff(self, email: str) -> aiohttp.ClientSession:
        session = self.new_session()
        login = await session.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status == 200
        return session

    async def connect(self, browser: aiohttp.ClientSession | None = None, **hello: Any) -> Socket:
        """A socket with its hello sent, the answer not read."""
        browser = browser or await self.browser(hello.get("session"))
        socket = await browser.ws_connect("/api/v1/groups/ws")
        await socket.send_json({"type": "hello", "v": 1, "session": self.session_id} | hello)
        return socket

    async def join(
        self, nickname: str, browser: aiohttp.ClientSession | None = None, **hello: Any
    ) -> tuple[Socket, dict[str, Any]]:
        socket = await self.connect(browser, nickname=nickname, **hello)
        return socket, await expect(socket, "welcome")

    async def host(self, email: str = "maria@example.com", **hello: Any) -> Socket:
        socket = await self.connect(await self.staff(email), **hello)
        welcome = await expect(socket, "welcome")
        assert welcome["role"] in ("host", "moderator"), welcome
        return socket


async def expect(socket: Socket, kind: str, within: float = 5, **matching: Any) -> dict[str, Any]:
    """The next message of type ``kind`` (with the ``matching`` fields), skipping others."""
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            assert frame.type is WSMsgType.TEXT, f"wanted {kind}, got {frame.type} {frame.data!r}"
            message: dict[str, Any] = json.loads(frame.data)
            if message["type"] == kind and all(message.get(k) == v for k, v in matching.items()):
                return message


async def next_frame(socket: Socket, within: float = 5) -> dict[str, Any]:
    """The very next message, whatever it is (to show that nothing else came first)."""
    frame: dict[str, Any] = await socket.receive_json(timeout=within)
    return frame


async def quiet(socket: Socket, *skipping: str) -> None:
    """Nothing came to this socket but ``skipping`` kinds: a ping is answered next."""
    await socket.send_json({"type": "ping"})
    while True:
        frame = await next_frame(socket)
        if frame["type"] == "pong":
            return
        assert frame["type"] in skipping, frame


async def closed_with(socket: Socket, within: float = 5) -> tuple[int, str]:
    """The close code and reason the server gave."""
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            if frame.type is WSMsgType.CLOSE:
                return int(frame.data), str(frame.extra or "")
            if frame.type in (WSMsgType.CLOSED, WSMsgType.CLOSING):
                return int(socket.close_code or 0), ""


def set_clock(client: TestClient[Any, Any] | TestServer, moment: datetime) -> None:
    """The sessions' and their rooms' clock (one clock for both)."""
    client.app[group_sessions_key]._clock = lambda: moment


@pytest.fixture
async def group_world(client: TestClient[Any, Any]) -> AsyncIterator[GroupWorld]:
    family = await make_world(client)
    world = GroupWorld(client, family, "", [])
    world.session_id = await world.plan()
    world.at(JUST_BEFORE)
    yield world
    for session in world.sessions:
        await session.close()
