"""Debian's nginx in front of two app instances, with deploy/nginx's proxy rules: pages, the API,
static files, the meeting WebSocket and the chats work through it, round robin, and a chat
goes on when the instance that runs it stops."""

from __future__ import annotations

import asyncio
import os
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.principal import Role
from core.settings import Settings
from core.templating import STATIC_DIR, static_url
from server import create_app
from tests.booking.conftest import make_world
from tests.chat.conftest import SLUG, WEDNESDAY, add_service, closed_with, expect, set_clock
from tests.conftest import PASSWORD, create_user, make_settings
from tests.video.conftest import CASEWORKER_EMAIL, make_video_meeting

pytestmark = pytest.mark.cluster

NGINX = Path("/usr/sbin/nginx")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
TIMEOUT = aiohttp.ClientTimeout(total=10)
SERVED: list[tuple[str, str]] = []  # (instance, path) of every response, in order


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(tmp_path: Path, port: int, upstreams: list[int]) -> str:
    """kohtaamo.conf's http-level parts and server block, on plain HTTP for the test."""
    production = (DEPLOY / "kohtaamo.conf").read_text()
    maps = production[: production.index("log_format")]
    servers = "\n".join(f"server 127.0.0.1:{upstream};" for upstream in upstreams)
    return f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    types {{ text/css css; application/javascript js; }}
    {maps}
    upstream kohtaamo {{ {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{
            alias {STATIC_DIR}/;
            add_header Cache-Control $kohtaamo_static_cache always;
        }}
        include {DEPLOY / "kohtaamo-proxy.conf"};
    }}
}}
"""


@pytest.fixture
def nginx_binary() -> Path:
    if not NGINX.exists():
        reason = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    return NGINX


@pytest.fixture
async def instances(aiohttp_server: Any, database_url: str, redis_url: str) -> list[TestServer]:
    """Two app instances on one database and one Redis, each answering with its name in a
    header (and noting which paths it served)."""
    settings: Settings = make_settings(database_url, redis_url=redis_url)
    servers = []
    for name in ("a", "b"):
        app = create_app(settings)

        async def name_it(
            request: web.Request, response: web.StreamResponse, name: str = name
        ) -> None:
            response.headers["X-Test-Instance"] = name
            SERVED.append((name, request.path))

        app.on_response_prepare.append(name_it)
        servers.append(await aiohttp_server(app, host="127.0.0.1"))
    return servers


@pytest.fixture
async def proxy(
    nginx_binary: Path, instances: list[TestServer], tmp_path: Path
) -> AsyncIterator[str]:
    port = _free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(_config(tmp_path, port, [server.port for server in instances if server.port]))
    process = await asyncio.create_subprocess_exec(
        str(nginx_binary),
        "-c",
        str(config),
        "-e",
        str(tmp_path / "error.log"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(10):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    assert process.returncode is None, (tmp_path / "error.log").read_text()
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                break
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            await process.wait()


async def test_pages_api_static_files_and_websockets_work_through_nginx(
    proxy: str, instances: list[TestServer], aiohttp_client: Any, database_url: str
) -> None:
    async with aiohttp.ClientSession(base_url=proxy, timeout=TIMEOUT) as http:
        served_by: Counter[str] = Counter()
        for _ in range(6):
            page = await http.get("/")
            assert page.status == 200
            assert "text/html" in page.headers["Content-Type"]
            served_by[page.headers["X-Test-Instance"]] += 1
        assert served_by == {"a": 3, "b": 3}  # round robin, no stickiness

        units = await http.get("/api/v1/units")
        assert units.status == 200
        assert (await units.json()) == {"units": []}
        refused = await http.post("/api/v1/auth/login", json={"email": "x", "password": "y"})
        assert refused.status in (401, 422)
        assert refused.headers["Content-Type"].startswith("application/problem+json")

        hashed = await http.get(static_url("kohtaamo.css"))
        assert hashed.status == 200
        assert "X-Test-Instance" not in hashed.headers  # nginx served it, not the app
        assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = await http.get("/static/video/signaling.js")
        assert plain.headers["Cache-Control"] == "public, max-age=300, must-revalidate"

        # A meeting booked beside them; its client's and its caseworker's WebSockets upgrade
        # through nginx, land on different instances and meet in one room (shared via Redis).
        meeting = await make_video_meeting(
            await aiohttp_client(create_app(make_settings(database_url)))
        )
        SERVED.clear()
        socket = await http.ws_connect(meeting.ws_path)
        await socket.send_json(meeting.client_hello)
        welcome = await socket.receive_json(timeout=5)
        assert (welcome["type"], welcome["state"]) == ("welcome", "lobby")
        [(client_instance, _)] = SERVED
        async with aiohttp.ClientSession(
            base_url=proxy, timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as maria:
            login = {"email": CASEWORKER_EMAIL, "password": PASSWORD}
            for _ in range(2):  # the session is in the database: any instance accepts it
                assert (await maria.post("/api/v1/auth/login", json=login)).status == 200
            # Round robin: the next request goes to the instance the client is not on.
            if SERVED[-1][0] != client_instance:
                assert (await maria.get("/")).status == 200
            host = await maria.ws_connect(meeting.ws_path)
            assert SERVED[-1] == ({"a": "b", "b": "a"}[client_instance], meeting.ws_path), SERVED
            await host.send_json({"type": "hello", "v": 1})
            lobby: dict[str, Any] = {}
            async with asyncio.timeout(5):
                while lobby.get("type") != "lobby" or not lobby["waiting"]:
                    lobby = await host.receive_json()
            assert lobby["waiting"][0]["id"] == welcome["you"]["id"]
            await host.close()
        await socket.close()


async def test_the_advice_chat_works_through_nginx_with_its_people_on_two_instances(
    proxy: str, instances: list[TestServer], aiohttp_client: Any, database_url: str
) -> None:
    """A worker's console and a person's chat upgrade through nginx onto different instances
    and talk through the desk that one of them runs (shared via Redis); when that instance
    stops mid-chat, both reconnect through nginx to the other and the chat goes on."""
    setup = await aiohttp_client(create_app(make_settings(database_url)))
    family = await make_world(setup)
    await create_user(setup.app, Role.ADMIN, "admin@example.com")
    service = await add_service(setup, family.unit_id)
    for server in instances:
        set_clock(server, lambda: WEDNESDAY)
    async with (
        aiohttp.ClientSession(
            base_url=proxy, timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as maria,
        aiohttp.ClientSession(
            base_url=proxy, timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as person,
    ):
        login = {"email": "maria@example.com", "password": PASSWORD}
        assert (await maria.post("/api/v1/auth/login", json=login)).status == 200
        SERVED.clear()
        console = await maria.ws_connect("/api/v1/chat/staff/ws")
        [(worker_instance, _)] = SERVED
        await console.send_json({"type": "hello", "v": 1})
        await expect(console, "welcome")
        await console.send_json({"type": "duty", "services": [service["id"]]})
        await expect(console, "duty")

        # Round robin: the person's page and then their socket go to the other instance.
        assert (await person.get(f"/chat/{SLUG}")).status == 200
        if SERVED[-1][0] != worker_instance:
            assert (await person.get("/")).status == 200
        chat = await person.ws_connect("/api/v1/chat/ws")
        assert SERVED[-1][0] != worker_instance, SERVED
        await chat.send_json({"type": "hello", "v": 1, "service": SLUG})
        resume = (await expect(chat, "welcome"))["resume"]
        await chat.send_json({"type": "say", "text": "Hei, onko joku paikalla?"})
        assert (await expect(chat, "queue"))["position"] == 1
        await console.send_json({"type": "take"})
        taken = await expect(console, "chat")
        assert [line["text"] for line in taken["lines"]] == ["Hei, onko joku paikalla?"]
        await console.send_json({"type": "say", "chat": taken["chat"], "text": "Olen tässä."})
        assert (await expect(chat, "line"))["text"] == "Olen tässä."

        # The instance that runs the desk (the worker's: the first to connect) stops mid-chat.
        # Both are told to reconnect; through nginx they reach the other, which carries on.
        home = instances[0] if worker_instance == "a" else instances[1]
        await home.close()
        assert await closed_with(console) == 4503
        assert await closed_with(chat) == 4503
        console = await maria.ws_connect("/api/v1/chat/staff/ws")
        await console.send_json({"type": "hello", "v": 1})
        [held] = (await expect(console, "welcome"))["chats"]
        assert [line["text"] for line in held["lines"]] == [
            "Hei, onko joku paikalla?",
            "Olen tässä.",
        ]
        chat = await person.ws_connect("/api/v1/chat/ws")
        await chat.send_json({"type": "hello", "v": 1, "service": SLUG, "resume": resume})
        back = await expect(chat, "welcome")
        assert (back["state"], back["worker"]) == ("chatting", "Maria")
        await chat.send_json({"type": "say", "text": "Hyvä, jatketaan."})
        assert (await expect(console, "line"))["text"] == "Hyvä, jatketaan."
        await chat.close()
        await console.close()
