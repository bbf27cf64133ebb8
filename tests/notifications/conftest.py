"""A real SMTP server and an SMS gateway on 127.0.0.1 for the notification tests."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import Message
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller

from core.settings import Settings
from tests.conftest import make_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.connections: set[int] = set()  # the SMTP sessions messages came through

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        self.connections.add(id(session))
        self.messages.append(
            (
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpServer]]:
    inbox = Inbox()
    server = SmtpServer(inbox)
    server.start()
    yield inbox, server
    server.stop()


@pytest.fixture
async def sms_gateway(aiohttp_server: Any) -> tuple[list[dict[str, Any]], TestServer]:
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append({"auth": request.headers.get("Authorization"), **(await request.json())})
        return web.json_response({"ok": True})

    gateway = web.Application()
    gateway.router.add_post("/sms", receive)
    return received, await aiohttp_server(gateway, host="127.0.0.1")


def delivering_settings(database_url: str, smtp: SmtpServer, sms_gateway: TestServer) -> Settings:
    """Settings that send email through the test's SMTP server and SMS through its gateway."""
    return make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=str(smtp.port),
        mail_from="ajanvaraus@demokunta.example",
        sms_url=str(sms_gateway.make_url("/sms")),
        sms_token="gateway-token",
    )
