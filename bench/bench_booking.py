"""End-to-end booking figures through a real server process on 127.0.0.1.

    .venv/bin/python bench/bench_booking.py [--database sqlite|postgresql] [--bookings N]

Measures, with 50 concurrent HTTP clients:
- plain aiohttp "hello" requests per second on this machine (the ceiling for any handler),
- booking throughput (POST /api/v1/bookings, each client a different free slot),
- slot search for one busy caseworker over 8 weeks (300 bookings, a year of weekly busy times),
- slot search over a unit of 200 caseworkers (2 weeks),
and prints a Markdown table (p50/p99 latency in ms and requests per second).
PostgreSQL is reached at KOHTAAMO_BENCH_POSTGRES (default: the local Unix socket, database test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accounts.service import SYSTEM, AccountService  # noqa: E402
from booking.models import Booking  # noqa: E402
from calendars.models import BusyTime, CalendarImport  # noqa: E402
from calendars.service import CalendarService, MeetingTypeFields, OpeningInterval  # noqa: E402
from core.db import create_engine, create_sessionmaker, migrate  # noqa: E402
from core.principal import Role  # noqa: E402
from core.settings import Settings  # noqa: E402

CONCURRENCY = 50
SECRET = "bench-secret-key-0123456789abcdef0123"
HELSINKI = ZoneInfo("Europe/Helsinki")
EVERY_DAY = [OpeningInterval(day, clock(8, 0), clock(16, 0)) for day in range(7)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def fresh_postgres(base_url: str) -> str:
    name = f"kohtaamo_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(
        make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def prepare(database_url: str, caseworkers: int) -> dict[str, object]:
    """Migrate and fill: a unit of caseworkers open 08–16 daily, one of them very busy."""
    engine = create_engine(database_url)
    await migrate(engine)
    sessions = create_sessionmaker(engine)
    settings = Settings.from_env(
        {"KOHTAAMO_SECRET_KEY": SECRET, "KOHTAAMO_DATABASE_URL": database_url}
    )
    executor = ThreadPoolExecutor(2)
    accounts = AccountService(sessions, settings, executor)
    calendars = CalendarService(sessions)
    municipality = await accounts.ensure_municipality("Benchmark")
    unit = await accounts.ensure_unit(
        municipality, name_fi="Yksikkö", name_sv="Enhet", name_en="Unit"
    )
    people = []
    for number in range(caseworkers):
        user = await accounts.create_user(
            SYSTEM,
            email=f"cw{number}@example.com",
            name=f"Caseworker {number:03}",
            role=Role.CASEWORKER,
            password="benchmark-password",
            unit_id=unit,
        )
        await calendars.set_working_hours(user.id, "Europe/Helsinki", EVERY_DAY)
        people.append(user.id)
    meeting_type = await calendars.create_meeting_type(
        SYSTEM,
        MeetingTypeFields(
            name_fi="Tapaaminen",
            name_sv="Möte",
            name_en="Meeting",
            duration_minutes=30,
            slot_step_minutes=15,
            buffer_after_minutes=5,
            minimum_notice_minutes=0,
            horizon_days=90,
            modes=("video",),
            max_active_bookings_per_client=1,
        ),
        unit_id=unit,
    )
    busy_one = people[0]
    start_day = datetime.now(UTC).date() + timedelta(days=1)
    async with sessions.begin() as session:
        source = CalendarImport(caseworker_id=busy_one, busy_count=0)
        session.add(source)
        await session.flush()
        for week in range(52):  # a year of 40 weekly recurring events, already expanded
            for event in range(40):
                day = start_day + timedelta(weeks=week, days=event % 7)
                begins = datetime.combine(day, clock(8 + (event % 8), 0), UTC)
                session.add(
                    BusyTime(
                        import_id=source.id,
                        caseworker_id=busy_one,
                        starts_at=begins,
                        ends_at=begins + timedelta(minutes=20),
                    )
                )
        for number in range(300):  # 300 bookings over the 8 weeks
            day = start_day + timedelta(days=number % 56)
            begins = datetime.combine(day, clock(8, 0), UTC) + timedelta(
                minutes=30 * (number // 56) + 15
            )
            session.add(
                Booking(
                    caseworker_id=busy_one,
                    meeting_type_id=meeting_type.id,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=30),
                    blocked_from=begins,
                    blocked_until=begins + timedelta(minutes=30),
                    mode="video",
                    language="fi",
                    client_name="Bench",
                    client_key=f"bench-{number}",
                    manage_token_hash=uuid.uuid4().hex + uuid.uuid4().hex[:32],
                    ical_uid=f"{uuid.uuid4()}@bench",
                )
            )
    executor.shutdown()
    await engine.dispose()
    return {
        "unit": unit,
        "people": people,
        "meeting_type": meeting_type.id,
        "busy": busy_one,
        "start_day": start_day,
    }


@contextlib.asynccontextmanager
async def server_process(database_url: str) -> AsyncIterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "KOHTAAMO_DATABASE_URL": database_url,
        "KOHTAAMO_SECRET_KEY": SECRET,
        "KOHTAAMO_PORT": str(port),
        "KOHTAAMO_BOOKING_RATE_LIMIT": "0",
        "KOHTAAMO_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "server.py", "serve"], cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{base}/healthz") as answer:
                        if answer.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.asynccontextmanager
async def hello_server() -> AsyncIterator[str]:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def load(
    requests: list[Callable[[aiohttp.ClientSession], Awaitable[int]]],
) -> tuple[list[float], float, dict[int, int]]:
    """Run the requests with CONCURRENCY workers; latencies in ms, requests per second, statuses."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while queue:
                request = queue.pop()
                started = time.perf_counter()
                status = await request(http)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
    return latencies, len(requests) / elapsed, statuses


def get(url: str) -> Callable[[aiohttp.ClientSession], Awaitable[int]]:
    async def send(http: aiohttp.ClientSession) -> int:
        async with http.get(url) as answer:
            await answer.read()
            return answer.status

    return send


def post(url: str, body: dict[str, object]) -> Callable[[aiohttp.ClientSession], Awaitable[int]]:
    async def send(http: aiohttp.ClientSession) -> int:
        async with http.post(url, json=body) as answer:
            await answer.read()
            return answer.status

    return send


def row(name: str, latencies: list[float], per_second: float, statuses: dict[int, int]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    shown = ", ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))
    return f"| {name} | {len(latencies)} | {statistics.median(ordered):.1f} | {p99:.1f} | {per_second:.0f} | {shown} |"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bookings", type=int, default=1000)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-"))
    if arguments.database == "sqlite":
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    else:
        database_url = await fresh_postgres(
            os.environ.get(
                "KOHTAAMO_BENCH_POSTGRES",
                "postgresql+asyncpg://postgres@/test?host=/var/run/postgresql",
            )
        )
    world = await prepare(database_url, caseworkers=200)
    lines = [
        f"Database: {arguments.database}; {CONCURRENCY} concurrent clients; Python {sys.version.split()[0]}; {os.cpu_count()} cores.",
        "",
        "| measurement | requests | p50 ms | p99 ms | per second | answers |",
        "|---|---:|---:|---:|---:|---|",
    ]
    async with hello_server() as hello:
        lines.append(
            row(
                "plain aiohttp hello (same machine)",
                *await load([get(hello + "/") for _ in range(5000)]),
            )
        )
    async with server_process(database_url) as base:
        start_day = world["start_day"]
        assert isinstance(start_day, type(datetime.now().date()))
        one = f"{base}/api/v1/slots?meeting_type_id={world['meeting_type']}&caseworker_id={world['busy']}&from={start_day}&to={start_day + timedelta(days=55)}"
        lines.append(
            row(
                "slot search, 1 busy caseworker, 8 weeks",
                *await load([get(one) for _ in range(200)]),
            )
        )
        unit = f"{base}/api/v1/slots?meeting_type_id={world['meeting_type']}&unit_id={world['unit']}&from={start_day}&to={start_day + timedelta(days=13)}"
        lines.append(
            row("slot search, unit of 200, 2 weeks", *await load([get(unit) for _ in range(50)]))
        )
        people = world["people"]
        assert isinstance(people, list)
        bookings = []
        for number in range(arguments.bookings):
            caseworker = people[1 + number % (len(people) - 1)]
            slot = number // (len(people) - 1)
            day = start_day + timedelta(days=1 + slot // 8)
            # An hour apart: a 30-minute meeting and its 5-minute buffer never touch the next.
            begins = datetime.combine(day, clock(8, 0), HELSINKI) + timedelta(hours=slot % 8)
            body = {
                "meeting_type_id": world["meeting_type"],
                "caseworker_id": caseworker,
                "start": begins.isoformat(),
                "mode": "video",
                "language": "fi",
                "client": {"name": f"Client {number}", "email": f"c{number}@example.com"},
            }
            bookings.append(post(f"{base}/api/v1/bookings", body))
        lines.append(row("bookings (POST /api/v1/bookings)", *await load(bookings)))
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
