"""Whether a slot search costs what the searched window holds, not what the history holds.

    .venv/bin/python bench/bench_growth.py [--database postgresql|sqlite] [--write]

One server process over one database holding:
- three caseworkers with 300, 3,000 and 30,000 bookings in the past (eight a day, going back
  from yesterday), each searched over the next 8 weeks, which hold 40 bookings of theirs;
- units of 20, 200 and 2,000 caseworkers (open 08–16 every day, 10 bookings each in the next
  2 weeks), each searched over 2 weeks, and for one day (the first free time).
The people are written straight into the tables (no password hashing), the bookings too.
Prints a Markdown table of the server's CPU per search (from /proc) and, on PostgreSQL, the
database's; with ``--write`` it replaces its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_booking import Measured, get, load, measured, server_process
from bench.common import (
    BenchUnit,
    bench_unit,
    fresh_postgres,
    postgres_base_url,
    replace_section,
    video_booking,
)

HISTORIES = (300, 3_000, 30_000)
UNIT_SIZES = (20, 200, 2_000)
HEADING = "## Growth: history and unit size (`bench/bench_growth.py`)"


async def caseworkers(unit: BenchUnit, unit_id: str, count: int, prefix: str) -> list[str]:
    """``count`` caseworkers of the unit, open 08–16 (Helsinki) every day of the week."""
    from accounts.models import User
    from calendars.models import CaseworkerCalendar, WorkingHours

    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with unit.sessions.begin() as session:
        session.add_all(
            User(
                id=user_id,
                email=f"{prefix}-{number}@example.com",
                name=f"{prefix} {number:04}",
                role="caseworker",
                password_hash="-",  # no login: these people are only searched
                unit_id=unit_id,
            )
            for number, user_id in enumerate(ids)
        )
        await session.flush()
        session.add_all(
            CaseworkerCalendar(caseworker_id=user_id, time_zone="Europe/Helsinki")
            for user_id in ids
        )
        session.add_all(
            WorkingHours(caseworker_id=user_id, weekday=day, starts_at=clock(8), ends_at=clock(16))
            for user_id in ids
            for day in range(7)
        )
    return ids


async def book(
    unit: BenchUnit, meeting_type: str, caseworker_id: str, days: list[date], per_day: int
) -> None:
    """``per_day`` 30-minute bookings on each of the days, an hour apart from 08:00 UTC."""
    async with unit.sessions.begin() as session:
        session.add_all(
            video_booking(
                caseworker_id,
                meeting_type,
                datetime.combine(day, clock(8 + hour), UTC),
                minutes=30,
                client_name="Bench",
                client_key=uuid.uuid4().hex,
                manage_token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            )
            for day in days
            for hour in range(per_day)
        )


async def prepare(database_url: str) -> dict[str, object]:
    from accounts.service import SYSTEM
    from calendars.meeting_types import MeetingTypeFields

    today = datetime.now(UTC).date()
    async with bench_unit(database_url, threads=2) as unit:
        municipality = await unit.accounts.organisation.ensure_municipality("Benchmark")
        meeting_types = {}
        units = {}
        for size in (0, *UNIT_SIZES):  # unit 0 holds the three caseworkers with a history
            unit_id = (
                unit.id
                if size == 0
                else await unit.accounts.organisation.ensure_unit(
                    municipality,
                    name_fi=f"Yksikkö {size}",
                    name_sv=f"Enhet {size}",
                    name_en=f"Unit {size}",
                )
            )
            people = await caseworkers(
                unit, unit_id, len(HISTORIES) if size == 0 else size, f"u{size}"
            )
            fields = MeetingTypeFields(
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
            )
            meeting_type = (
                await unit.calendars.create_meeting_type(SYSTEM, fields, unit_id=unit_id)
            ).id
            meeting_types[size] = meeting_type
            units[size] = (unit_id, people)
            if size == 0:
                for person, history in zip(people, HISTORIES, strict=True):
                    past = [today - timedelta(days=1 + n) for n in range(history // 8)]
                    for chunk in range(0, len(past), 500):
                        await book(unit, meeting_type, person, past[chunk : chunk + 500], 8)
                    coming = [today + timedelta(days=1 + n) for n in range(0, 56, 7)]
                    await book(unit, meeting_type, person, coming, 5)
            else:
                coming = [today + timedelta(days=1 + n) for n in range(0, 14, 3)]
                for chunk in range(0, len(people), 100):
                    for person in people[chunk : chunk + 100]:
                        await book(unit, meeting_type, person, coming, 2)
    return {"meeting_types": meeting_types, "units": units, "today": today}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    arguments = parser.parse_args()
    if arguments.database == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-"))
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    else:
        database_url = await fresh_postgres(postgres_base_url())
    world = await prepare(database_url)
    meeting_types = world["meeting_types"]
    units = world["units"]
    today = world["today"]
    assert isinstance(meeting_types, dict) and isinstance(units, dict)
    assert isinstance(today, date)
    first, eight_weeks, two_weeks = (
        today + timedelta(days=1),
        today + timedelta(days=56),
        today + timedelta(days=14),
    )
    rows: list[tuple[str, str, Measured]] = []
    async with server_process(database_url) as (base, pid):

        def search(size: int, who: str, last: date) -> str:
            return f"{base}/api/v1/slots?meeting_type_id={meeting_types[size]}&{who}&from={first}&to={last}"

        plans = []
        _, historians = units[0]
        for person, history in zip(historians, HISTORIES, strict=True):
            plans.append(
                (
                    f"1 caseworker, {history:,} bookings in history",
                    "8 weeks",
                    search(0, f"caseworker_id={person}", eight_weeks),
                    300,
                )
            )
        for size in UNIT_SIZES:
            unit_id, _ = units[size]
            plans.append(
                (f"unit of {size:,}", "2 weeks", search(size, f"unit_id={unit_id}", two_weeks), 100)
            )
            plans.append(
                (
                    f"unit of {size:,}",
                    "1 day (first free time)",
                    search(size, f"unit_id={unit_id}", first),
                    100,
                )
            )
        for name, window, url, count in plans:
            await load([get(url)])  # warm up
            rows.append(
                (
                    name,
                    window,
                    await measured(
                        name,
                        [get(url) for _ in range(count)],
                        pid,
                        on_postgres=arguments.database == "postgresql",
                    ),
                )
            )
    lines = [
        HEADING,
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {arguments.database}; Python "
        f"{sys.version.split()[0]}; {os.cpu_count()} cores shared with other work, so single "
        "figures are noisy. 50 concurrent clients; CPU from /proc over each measurement, divided "
        "by its searches. The unit searches answer each free time once.",
        "",
        "| what is searched | window | searches | p50 ms | server CPU ms per search | PostgreSQL CPU ms per search | answers |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, window, result in rows:
        count = len(result.latencies)
        median = sorted(result.latencies)[count // 2]
        database = f"{result.database_cpu / count * 1000:.2f}" if result.database_cpu else "–"
        shown = ", ".join(f"{status}×{n}" for status, n in sorted(result.statuses.items()))
        lines.append(
            f"| {name} | {window} | {count} | {median:.1f} | {result.server_cpu / count * 1000:.2f} | {database} | {shown} |"
        )
    print("\n".join(lines))
    if arguments.write:
        replace_section(HEADING, lines)


if __name__ == "__main__":
    asyncio.run(main())
