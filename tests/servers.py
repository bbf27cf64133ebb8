"""Real ``server.py serve`` processes on 127.0.0.1 for tests of several instances."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import sys
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calendars.keys import calendar_service_key
from calendars.working_time import OpeningInterval
from core.db import utcnow
from server import create_app
from tests.booking.conftest import HELSINKI, BookingWorld, booking_body, make_world
from tests.conftest import PASSWORD, TEST_DATA_KEY, TEST_SECRET_KEY, make_settings
from tests.notifications.conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[1]
LEADING = "this instance now runs the scheduler"  # core.leadership's log line on taking the lock


@dataclasses.dataclass
class Instance:
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_messages(self) -> list[str]:
        """The ``message`` of each JSON log line the instance has written so far."""
        messages = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    messages.append(str(entry.get("message", "")))
        return messages

    def leads(self) -> bool:
        return LEADING in self.log_messages()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(30):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def instances(
    count: int, database_url: str, directory: Path, **settings: str
) -> AsyncIterator[list[Instance]]:
    """``count`` processes of ``server.py serve`` on 127.0.0.1, each answering /healthz."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KOHTAAMO_")
    }
    environment.update(
        KOHTAAMO_DATABASE_URL=database_url,
        KOHTAAMO_SECRET_KEY=TEST_SECRET_KEY,
        KOHTAAMO_DATA_KEYS=TEST_DATA_KEY,
        KOHTAAMO_HOST="127.0.0.1",
        KOHTAAMO_LOG_LEVEL="INFO",
    )
    environment.update({f"KOHTAAMO_{key.upper()}": value for key, value in settings.items()})
    started: list[Instance] = []
    try:
        for number in range(count):
            port = free_port()
            log = directory / f"instance-{number}.log"
            with log.open("wb") as output:  # the child keeps its own copy of the descriptor
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "server.py",
                    "serve",
                    cwd=REPOSITORY,
                    env={**environment, "KOHTAAMO_PORT": str(port)},
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                )
            started.append(Instance(port, process, log))
        async with aiohttp.ClientSession() as http:
            for instance in started:
                async with asyncio.timeout(60):
                    while True:
                        if instance.process.returncode is not None:
                            pytest.fail(
                                f"instance on port {instance.port} exited with "
                                f"{instance.process.returncode}:\n{instance.log.read_text()}"
                            )
                        with contextlib.suppress(aiohttp.ClientError):
                            async with http.get(f"{instance.base}/healthz") as answer:
                                if answer.status == 200:
                                    break
                        await asyncio.sleep(0.1)
        yield started
    finally:
        await asyncio.gather(*(stop(instance.process) for instance in started))


async def prepare_world(aiohttp_client: Any, database_url: str) -> BookingWorld:
    """Maria and Johan, a unit meeting type, and Maria open around the clock every day, made
    in-process before the server processes start."""
    client = await aiohttp_client(create_app(make_settings(database_url)))
    world = await make_world(client)
    all_day = [OpeningInterval(day, time(0, 0), time(23, 59)) for day in range(7)]
    await client.app[calendar_service_key].set_working_hours(
        world.maria, "Europe/Helsinki", all_day
    )
    await client.close()
    return world


async def log_in(http: aiohttp.ClientSession, instance: Instance) -> None:
    """Maria, on ``http``'s cookie jar, through ``instance``."""
    login = {"email": "maria@example.com", "password": PASSWORD}
    async with http.post(f"{instance.base}/api/v1/auth/login", json=login) as answer:
        assert answer.status == 200, await answer.text()


async def book_with_a_reminder_due_soon(
    http: aiohttp.ClientSession, world: BookingWorld, staff: Instance, booking: Instance
) -> None:
    """Maria (logged in through ``staff``) makes a meeting type whose reminder comes due 10 to
    70 seconds from now, and a@example.com books its next slot, a few minutes ahead, through
    ``booking``."""
    now = utcnow()
    start = now.astimezone(HELSINKI).replace(second=0, microsecond=0) + timedelta(minutes=3)
    start += timedelta(minutes=-start.minute % 15)
    if start.time() > time(23, 30):  # keep the 15-minute meeting inside the day's opening
        start = datetime.combine(start.date() + timedelta(days=1), time(0, 0), HELSINKI)
    reminder = math.floor((start - now - timedelta(seconds=10)).total_seconds() / 60)
    await log_in(http, staff)
    short = {
        "name": {"fi": "Lyhyt", "sv": "Kort", "en": "Short"},
        "duration_minutes": 15,
        "minimum_notice_minutes": 0,
        "modes": ["video"],
        "reminder_minutes": [reminder],
    }
    async with http.post(f"{staff.base}/api/v1/me/meeting-types", json=short) as answer:
        assert answer.status == 201, await answer.text()
        meeting_type_id = (await answer.json())["id"]
    body = booking_body(
        world,
        start,
        meeting_type_id=meeting_type_id,
        client={"name": "A", "email": "a@example.com"},
    )
    async with http.post(f"{booking.base}/api/v1/bookings", json=body) as answer:
        assert answer.status == 201, await answer.text()
