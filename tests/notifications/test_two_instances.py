"""Two server processes on one PostgreSQL database: each message, reminders included, goes out once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.notifications.conftest import Inbox, SmtpServer
from tests.servers import book_with_a_reminder_due_soon, instances, prepare_world

pytestmark = pytest.mark.cluster

REPOSITORY = Path(__file__).resolve().parents[2]


async def wait_for(condition: Any, seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.2)
    return bool(condition())


async def test_two_instances_send_the_confirmation_and_the_reminder_once(
    aiohttp_client: Any, database_url: str, tmp_path: Path, smtp: tuple[Inbox, SmtpServer]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances share PostgreSQL; SQLite serves one instance")
    inbox, server = smtp
    world = await prepare_world(aiohttp_client, database_url)

    async with (
        instances(
            2,
            database_url,
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=str(server.port),
            log_level="WARNING",
        ) as [first, second],
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await book_with_a_reminder_due_soon(http, world, staff=first, booking=second)

        def subjects() -> list[str]:
            return [
                message["Subject"].split(":")[0]
                for to, message in inbox.messages
                if to == ["a@example.com"]
            ]

        assert await wait_for(lambda: "Muistutus" in subjects(), seconds=150), subjects()
        await asyncio.sleep(12)  # two more drain rounds on both instances
        assert sorted(subjects()) == ["Aikasi on varattu", "Muistutus"]
