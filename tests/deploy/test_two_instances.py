"""Two real server processes (``server.py serve``) sharing one PostgreSQL database.

A slot raced for through both instances is booked once; and when the instance that runs the
scheduler dies (SIGKILL, no goodbye), PostgreSQL drops its advisory lock and the other instance
takes over, sending the next messages once.
"""

from __future__ import annotations

import asyncio
import math
import signal
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from calendars.routes import calendar_service_key
from calendars.service import OpeningInterval
from core.db import utcnow
from core.leadership import SCHEDULER_LOCK
from server import create_app
from tests.booking.conftest import HELSINKI, BookingWorld, booking_body, make_world
from tests.conftest import PASSWORD, make_settings
from tests.notifications.conftest import Inbox, SmtpServer
from tests.servers import LEADING, Instance, instances

CONFIRMATION = "Aikasi on varattu"
REMINDER = "Muistutus"


def needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "two instances share one PostgreSQL database (set KOHTAAMO_TEST_DATABASE_URL); "
            "SQLite serves a single instance"
        )


async def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.2)
    except TimeoutError:
        pytest.fail(f"waited {seconds} s in vain for {what}")


async def prepare_world(aiohttp_client: Any, database_url: str) -> BookingWorld:
    """Maria and Johan, a unit meeting type, and Maria open around the clock every day."""
    client = await aiohttp_client(create_app(make_settings(database_url)))
    world = await make_world(client)
    all_day = [OpeningInterval(day, time(0, 0), time(23, 59)) for day in range(7)]
    await client.app[calendar_service_key].set_working_hours(
        world.maria, "Europe/Helsinki", all_day
    )
    await client.close()
    return world


async def log_in(http: aiohttp.ClientSession, instance: Instance) -> None:
    login = {"email": "maria@example.com", "password": PASSWORD}
    async with http.post(f"{instance.base}/api/v1/auth/login", json=login) as answer:
        assert answer.status == 200, await answer.text()


RACERS = 20


async def test_a_booking_race_split_across_two_instances_books_once(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    needs_postgresql(database_url)
    world = await prepare_world(aiohttp_client, database_url)
    start = world.tomorrow_at(11)

    async with (
        instances(2, database_url, tmp_path) as servers,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):

        async def attempt(number: int) -> tuple[int, int, dict[str, Any]]:
            instance = servers[number % 2]
            body = booking_body(
                world,
                start,
                client={"name": f"Racer {number}", "email": f"racer{number}@example.com"},
            )
            async with http.post(f"{instance.base}/api/v1/bookings", json=body) as answer:
                return instance.port, answer.status, await answer.json(content_type=None)

        async with asyncio.timeout(60):
            results = await asyncio.gather(*(attempt(number) for number in range(RACERS)))

        statuses = Counter(status for _, status, _ in results)
        assert statuses == {201: 1, 409: RACERS - 1}, results
        assert Counter(port for port, _, _ in results) == {
            servers[0].port: RACERS // 2,
            servers[1].port: RACERS // 2,
        }
        # Each loser is told the time was just taken, with other times to choose from.
        assert all("alternatives" in body for _, status, body in results if status == 409)
        [winner] = [body for _, status, body in results if status == 201]
        assert datetime.fromisoformat(winner["start"]) == start

        # Maria sees one booking at that time, whichever instance she asks.
        for instance in servers:
            await log_in(http, instance)
            day = world.tomorrow().isoformat()
            async with http.get(
                f"{instance.base}/api/v1/me/bookings", params={"from": day, "to": day}
            ) as answer:
                assert answer.status == 200, await answer.text()
                agenda = (await answer.json())["bookings"]
            assert [
                (booking["id"], datetime.fromisoformat(booking["start"])) for booking in agenda
            ] == [(winner["id"], start)]
            http.cookie_jar.clear()


async def lock_holders(engine: AsyncEngine) -> list[int]:
    """Backend PIDs holding the scheduler's advisory lock in this database."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND d.datname = current_database() AND l.objsubid = 1"
                " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
            ),
            {"key": SCHEDULER_LOCK},
        )
        return [int(pid) for pid in rows.scalars()]


async def test_killing_the_scheduler_leader_lets_the_other_instance_send_the_next_reminder(
    aiohttp_client: Any, database_url: str, tmp_path: Path, smtp: tuple[Inbox, SmtpServer]
) -> None:
    needs_postgresql(database_url)
    inbox, smtp_server = smtp
    world = await prepare_world(aiohttp_client, database_url)
    engine = create_async_engine(database_url)
    try:
        async with instances(
            2,
            database_url,
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=str(smtp_server.port),
        ) as servers:

            async def someone_leads() -> bool:
                return any(instance.leads() for instance in servers)

            await wait_until(someone_leads, 30, "an instance to take the scheduler lock")
            [leader] = [instance for instance in servers if instance.leads()]
            [survivor] = [instance for instance in servers if instance is not leader]
            [holder] = await lock_holders(engine)

            leader.process.send_signal(signal.SIGKILL)
            async with asyncio.timeout(10):
                assert await leader.process.wait() == -signal.SIGKILL

            # The killed process's socket is closed by the kernel: its backend ends and the
            # lock goes with it. Had we killed the wrong instance, the holder would live on.
            async def lock_released() -> bool:
                return holder not in await lock_holders(engine)

            await wait_until(lock_released, 10, "PostgreSQL to drop the killed leader's lock")
            assert inbox.messages == []

            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                # The next slot a few minutes ahead, on a meeting type whose reminder comes due
                # 10 to 70 seconds from now.
                now = utcnow()
                start = now.astimezone(HELSINKI).replace(second=0, microsecond=0)
                start += timedelta(minutes=3)
                start += timedelta(minutes=-start.minute % 15)
                if start.time() > time(23, 30):  # keep the 15-minute meeting inside the day
                    start = datetime.combine(start.date() + timedelta(days=1), time(0, 0), HELSINKI)
                reminder = math.floor((start - now - timedelta(seconds=10)).total_seconds() / 60)
                await log_in(http, survivor)
                short = {
                    "name": {"fi": "Lyhyt", "sv": "Kort", "en": "Short"},
                    "duration_minutes": 15,
                    "minimum_notice_minutes": 0,
                    "modes": ["video"],
                    "reminder_minutes": [reminder],
                }
                async with http.post(
                    f"{survivor.base}/api/v1/me/meeting-types", json=short
                ) as answer:
                    assert answer.status == 201, await answer.text()
                    meeting_type_id = (await answer.json())["id"]
                body = booking_body(
                    world,
                    start,
                    meeting_type_id=meeting_type_id,
                    client={"name": "A", "email": "a@example.com"},
                )
                async with http.post(f"{survivor.base}/api/v1/bookings", json=body) as answer:
                    assert answer.status == 201, await answer.text()

            async def survivor_leads() -> bool:
                return survivor.leads() and len(await lock_holders(engine)) == 1

            await wait_until(survivor_leads, 45, "the surviving instance to take over")

            def subjects() -> list[str]:
                return [
                    message["Subject"].split(":")[0]
                    for to, message in inbox.messages
                    if to == ["a@example.com"]
                ]

            async def reminded() -> bool:
                return REMINDER in subjects()

            await wait_until(reminded, 150, "the reminder")
            await asyncio.sleep(12)  # two more drain rounds: nothing goes out twice
            assert sorted(subjects()) == [CONFIRMATION, REMINDER]
            # Maria's own notice of the booking too: every message went out exactly once.
            sent = Counter((tuple(to), message["Subject"]) for to, message in inbox.messages)
            assert set(sent.values()) == {1}, sent
            assert [to for to, _ in sent].count(("maria@example.com",)) == 1, sent
            assert survivor.process.returncode is None
            assert survivor.log_messages().count(LEADING) == 1
    finally:
        await engine.dispose()
