"""Two server processes on one PostgreSQL database: each message, reminders included, goes out once."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calendars.routes import calendar_service_key
from calendars.service import OpeningInterval
from core.db import utcnow
from server import create_app
from tests.booking.conftest import HELSINKI, booking_body, make_world
from tests.conftest import PASSWORD, make_settings
from tests.notifications.conftest import Inbox, SmtpServer
from tests.servers import instances

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
    client = await aiohttp_client(create_app(make_settings(database_url)))
    world = await make_world(client)
    all_day = [OpeningInterval(day, time(0, 0), time(23, 59)) for day in range(7)]
    await client.app[calendar_service_key].set_working_hours(
        world.maria, "Europe/Helsinki", all_day
    )
    await client.close()

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
        # With both servers up: the next slot a few minutes ahead, on a meeting type whose
        # reminder comes due 10 to 70 seconds from now.
        now = utcnow()
        start = now.astimezone(HELSINKI).replace(second=0, microsecond=0) + timedelta(minutes=3)
        start += timedelta(minutes=-start.minute % 15)
        if start.time() > time(23, 30):  # keep the 15-minute meeting inside the day's opening
            start = datetime.combine(start.date() + timedelta(days=1), time(0, 0), HELSINKI)
        reminder = math.floor((start - now - timedelta(seconds=10)).total_seconds() / 60)
        login = {"email": "maria@example.com", "password": PASSWORD}
        async with http.post(f"{first.base}/api/v1/auth/login", json=login) as answer:
            assert answer.status == 200
        short = {
            "name": {"fi": "Lyhyt", "sv": "Kort", "en": "Short"},
            "duration_minutes": 15,
            "minimum_notice_minutes": 0,
            "modes": ["video"],
            "reminder_minutes": [reminder],
        }
        async with http.post(f"{first.base}/api/v1/me/meeting-types", json=short) as answer:
            assert answer.status == 201, await answer.text()
            meeting_type_id = (await answer.json())["id"]
        body = booking_body(
            world,
            start,
            meeting_type_id=meeting_type_id,
            client={"name": "A", "email": "a@example.com"},
        )
        async with http.post(f"{second.base}/api/v1/bookings", json=body) as answer:
            assert answer.status == 201, await answer.text()

        def subjects() -> list[str]:
            return [
                message["Subject"].split(":")[0]
                for to, message in inbox.messages
                if to == ["a@example.com"]
            ]

        assert await wait_for(lambda: "Muistutus" in subjects(), seconds=150), subjects()
        await asyncio.sleep(12)  # two more drain rounds on both instances
        assert sorted(subjects()) == ["Aikasi on varattu", "Muistutus"]
