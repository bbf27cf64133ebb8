"""Two real server processes (``server.py serve``) sharing one PostgreSQL database.

A slot raced for through both instances is booked once; and when the instance that runs the
scheduler dies (SIGKILL, no goodbye), PostgreSQL drops its advisory lock and the other instance
takes over, sending the next messages once.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.leadership import SCHEDULER_LOCK
from tests.booking.conftest import booking_body
from tests.notifications.conftest import Inbox, SmtpServer
from tests.servers import (
    LEADING,
    Instance,
    book_with_a_reminder_due_soon,
    instances,
    log_in,
    prepare_world,
)

pytestmark = pytest.mark.cluster

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


RACERS = 40


def errors_logged(servers: list[Instance]) -> list[str]:
    """What the instances logged at ERROR, to say why a request failed."""
    return [
        line
        for instance in servers
        for line in instance.log.read_text(encoding="utf-8", errors="replace").splitlines()
        if '"level": "ERROR"' in line
    ]


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
        assert statuses == {201: 1, 409: RACERS - 1}, (results, errors_logged(servers))
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
                await book_with_a_reminder_due_soon(http, world, survivor, survivor)

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
