"""End-to-end booking figures through a real server process on 127.0.0.1.

    .venv/bin/python bench/bench_booking.py [--database sqlite|postgresql] [--bookings N]

Measures, with 50 concurrent HTTP clients:
- plain aiohttp "hello" requests per second on this machine (the ceiling for any handler),
- booking throughput (POST /api/v1/bookings, each client a different free slot),
- slot search for one busy caseworker over 8 weeks (300 bookings, a year of weekly busy times),
- slot search over a unit of 200 caseworkers (2 weeks), and for one day (the first free time),
and prints a Markdown table (p50/p99 latency in ms, requests per second, the share of hello's
rate, and the server's CPU per request from /proc; on PostgreSQL also the database's).
PostgreSQL is reached at KOHTAAMO_BENCH_POSTGRES (default: the local Unix socket, database test).
With ``--write`` the table replaces its database's section of docs/benchmarks.md.
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
    process_seconds,
    replace_section,
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
async def server_process(database_url: str) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    environment = server_environment(database_url, port)
    process = subprocess.Popen([sys.executable, "server.py", "serve"], cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base, process, within=20)
        yield base, process.pid
    finally:
        stop_process(process)


def postgres_seconds() -> float:
    """CPU of every process named postgres on this machine (finished backends included, through
    their parent); 0 where there is none, as with SQLite."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split("(", 1)[1].startswith("postgres)"):
                total += process_seconds(int(stat.parent.name), children=True)
        except (OSError, IndexError):
            continue
    return total


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


class Measured:
    """One measurement's figures, with the server's and the database's CPU over it."""

    def __init__(
        self,
        name: str,
        latencies: list[float],
        per_second: float,
        statuses: dict[int, int],
        server_cpu: float = 0.0,
        database_cpu: float = 0.0,
    ) -> None:
        self.name, self.latencies, self.per_second = name, latencies, per_second
        self.statuses, self.server_cpu, self.database_cpu = statuses, server_cpu, database_cpu

    def line(self, hello_per_second: float) -> str:
        shown = ", ".join(f"{status}×{count}" for status, count in sorted(self.statuses.items()))
        count = len(self.latencies)
        server = f"{self.server_cpu / count * 1000:.2f}" if self.server_cpu else "–"
        database = f"{self.database_cpu / count * 1000:.2f}" if self.database_cpu else "–"
        return (
            f"| {self.name} | {count} | {statistics.median(self.latencies):.1f} "
            f"| {percentile(self.latencies, 0.99):.1f} | {self.per_second:.0f} "
            f"| {self.per_second / hello_per_second * 100:.2f} % | {server} | {database} | {shown} |"
        )


async def measured(
    name: str,
    requests: list[Callable[[aiohttp.ClientSession], Awaitable[int]]],
    server_pid: int,
    *,
    on_postgres: bool = True,
) -> Measured:
    """Run the requests; with ``on_postgres``, PostgreSQL's CPU over them too (it counts
    every postgres process of the machine, so anything else using it at the time counts)."""
    server_before = process_seconds(server_pid)
    database_before = postgres_seconds() if on_postgres else 0.0
    latencies, per_second, statuses = await load(requests)
    return Measured(
        name,
        latencies,
        per_second,
        statuses,
        process_seconds(server_pid) - server_before,
        postgres_seconds() - database_before if on_postgres else 0.0,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300, help="unit searches (default 300)")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-"))
    if arguments.database == "sqlite":
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    else:
        database_url = await fresh_postgres(postgres_base_url())
    on_postgres = arguments.database == "postgresql"
    world = await prepare(database_url, caseworkers=200)
    async with hello_server() as hello:
        hello_run = Measured(
            "plain aiohttp hello (same machine)",
            *await load([get(hello + "/") for _ in range(5000)]),
        )
    rows = [hello_run]
    async with server_process(database_url) as (base, pid):
        start_day = world["start_day"]
        assert isinstance(start_day, type(datetime.now().date()))
        search = f"{base}/api/v1/slots?meeting_type_id={world['meeting_type']}"
        one = f"{search}&caseworker_id={world['busy']}&from={start_day}&to={start_day + timedelta(days=55)}"
        unit = (
            f"{search}&unit_id={world['unit']}&from={start_day}&to={start_day + timedelta(days=13)}"
        )
        first = f"{search}&unit_id={world['unit']}&from={start_day}&to={start_day}"
        for url in (one, unit, first):  # warm up: the first request of a kind loads its code
            await load([get(url)])
        rows.append(
            await measured(
                "slot search, 1 busy caseworker, 8 weeks",
                [get(one) for _ in range(500)],
                pid,
                on_postgres=on_postgres,
            )
        )
        rows.append(
            await measured(
                "slot search, unit of 200, 2 weeks",
                [get(unit) for _ in range(arguments.searches)],
                pid,
                on_postgres=on_postgres,
            )
        )
        rows.append(
            await measured(
                "first free time in the unit of 200 (one day's search)",
                [get(first) for _ in range(500)],
                pid,
                on_postgres=on_postgres,
            )
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
        rows.append(
            await measured(
                "bookings (POST /api/v1/bookings)", bookings, pid, on_postgres=on_postgres
            )
        )
    title = "PostgreSQL" if arguments.database == "postgresql" else "SQLite"
    lines = [
        f"## Slot search and bookings on {title} (`bench/bench_booking.py --database {arguments.database}`)",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {CONCURRENCY} concurrent clients; Python "
        f"{sys.version.split()[0]}; {os.cpu_count()} cores shared with other work (figures are "
        "noisy: compare rows of one run, and the share of hello's rate rather than raw rates). "
        "Server CPU is the `server.py serve` process's user and system time over the "
        "measurement, from /proc, divided by its requests"
        + (
            "; PostgreSQL's is every postgres process's, the same way."
            if arguments.database == "postgresql"
            else "."
        ),
        "",
        "| measurement | requests | p50 ms | p99 ms | per second | of hello | server CPU ms per request | PostgreSQL CPU ms per request | answers |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *(measurement.line(hello_run.per_second) for measurement in rows),
    ]
    print("\n".join(lines))
    if arguments.write:
        replace_section(lines[0], lines)


if __name__ == "__main__":
    asyncio.run(main())
