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
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    bench_unit,
    free_port,
    fresh_postgres,
    percentile,
    postgres_base_url,
    server_environment,
    stop_process,
    video_booking,
    wait_until_healthy,
)
from calendars.models import BusyTime, CalendarImport

CONCURRENCY = 50
HELSINKI = ZoneInfo("Europe/Helsinki")


async def prepare(database_url: str, caseworkers: int) -> dict[str, object]:
    """Migrate and fill: a unit of caseworkers open 08–16 daily, one of them very busy."""
    async with bench_unit(database_url, threads=2) as unit:
        people = await unit.open_caseworkers(caseworkers)
        meeting_type = await unit.video_meeting_type(
            ("Tapaaminen", "Möte", "Meeting"),
            duration_minutes=30,
            horizon_days=90,
            buffer_after_minutes=5,
        )
        busy_one = people[0]
        start_day = datetime.now(UTC).date() + timedelta(days=1)
        async with unit.sessions.begin() as session:
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
                    video_booking(
                        busy_one,
                        meeting_type,
                        begins,
                        minutes=30,
                        client_name="Bench",
                        client_key=f"bench-{number}",
                        manage_token_hash=uuid.uuid4().hex + uuid.uuid4().hex[:32],
                    )
                )
        return {
            "unit": unit.id,
            "people": people,
            "meeting_type": meeting_type,
            "busy": busy_one,
            "start_day": start_day,
        }


@contextlib.asynccontextmanager
async def server_process(database_url: str) -> AsyncIterator[str]:
    port = free_port()
    environment = server_environment(database_url, port)
    process = subprocess.Popen([sys.executable, "server.py", "serve"], cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base, process, within=20)
        yield base
    finally:
        stop_process(process)


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
    shown = ", ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))
    return f"| {name} | {len(latencies)} | {statistics.median(latencies):.1f} | {percentile(latencies, 0.99):.1f} | {per_second:.0f} | {shown} |"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bookings", type=int, default=1000)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-"))
    if arguments.database == "sqlite":
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    else:
        database_url = await fresh_postgres(postgres_base_url())
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
