"""How long the slot engine takes on a busy caseworker and on a large unit.

Run ``.venv/bin/python bench/bench_slots.py [--runs N] [--write]``; it prints a Markdown table
of the median (p50) and 99th percentile (p99) of repeated runs, in milliseconds (and with
``--write`` puts it in docs/benchmarks.md). The data is random
with a fixed seed, so runs on one machine compare.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from availability.slots import (
    Availability,
    Interval,
    Opening,
    Slot,
    SlotRules,
    buffered,
    free_slots,
    free_slots_for_unit,
    free_times_for_unit,
)
from bench.common import replace_section

ZONES = (ZoneInfo("Europe/Helsinki"), ZoneInfo("Europe/Stockholm"))
FIRST_DAY = date(2027, 3, 1)  # a Monday; eight weeks from here span the spring clock change
NOW = datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
RULES = SlotRules(
    duration=timedelta(minutes=30),
    step=timedelta(minutes=15),
    buffer_before=timedelta(minutes=5),
    buffer_after=timedelta(minutes=5),
    minimum_notice=timedelta(hours=24),
    horizon=timedelta(days=60),
)
OFFICE_HOURS = [
    Opening(weekday, starts_at, ends_at)
    for weekday in range(5)
    for starts_at, ends_at in ((time(8, 30), time(11, 30)), (time(12, 15), time(15, 45)))
]


def caseworker(
    generator: random.Random,
    caseworker_id: str,
    zone: ZoneInfo,
    weeks: int,
    bookings: int,
    weekly_busy: int,
) -> Availability:
    """Office hours, ``bookings`` booked meetings and a year of weekly busy events."""
    blocked = booked(generator, zone, weeks, bookings)
    year_start = FIRST_DAY - timedelta(weeks=20)
    for _ in range(weekly_busy):
        weekday, hour = generator.randrange(5), generator.randrange(7, 19)
        length = timedelta(minutes=15 * generator.randrange(1, 3))
        for week in range(52):
            day = year_start + timedelta(days=7 * week + weekday)
            # Busy times are stored in UTC, as every timestamp in the database is.
            start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
            blocked.append(Interval(start, start + length))
    # Absences and imported calendars arrive in no particular order.
    generator.shuffle(blocked)
    return Availability(caseworker_id, zone, OFFICE_HOURS, {}, blocked)


def booked(generator: random.Random, zone: ZoneInfo, weeks: int, count: int) -> list[Interval]:
    """Meetings at random office times whose buffered ranges never overlap.

    That is what the database's exclusion constraint lets through.
    """
    taken: list[Interval] = []
    for _ in range(count * 100):
        if len(taken) == count:
            break
        day = FIRST_DAY + timedelta(days=7 * generator.randrange(weeks) + generator.randrange(5))
        local = datetime.combine(day, time(8, 30), tzinfo=zone)
        start = local + timedelta(minutes=15 * generator.randrange(28))
        booking = buffered(start, start + RULES.duration, RULES)
        if not any(booking.start < other.end and other.start < booking.end for other in taken):
            taken.append(booking)
    if len(taken) < count:
        raise RuntimeError(f"could fit only {len(taken)} of {count} bookings")
    return taken


def measure(run: Callable[[], list[Slot]], runs: int) -> tuple[int, float, float]:
    run()  # warm up
    timings = []
    for _ in range(runs):
        gc.collect()  # each run starts from the same heap; collections during it still count
        started = clock.perf_counter()
        slots = run()
        timings.append((clock.perf_counter() - started) * 1000)
    percentiles = statistics.quantiles(timings, n=100, method="inclusive")
    return len(slots), statistics.median(timings), percentiles[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per scenario (default 200)")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    arguments = parser.parse_args()
    runs = arguments.runs
    generator = random.Random(2027)

    busy_one = caseworker(generator, "cw-0", ZONES[0], weeks=8, bookings=300, weekly_busy=40)
    eight_weeks = FIRST_DAY + timedelta(weeks=8) - timedelta(days=1)
    unit = [
        caseworker(generator, f"cw-{n:03}", ZONES[n % 2], weeks=2, bookings=30, weekly_busy=5)
        for n in range(200)
    ]
    two_weeks = FIRST_DAY + timedelta(weeks=2) - timedelta(days=1)

    scenarios = [
        (
            "1 caseworker, 8 weeks, 300 bookings, 2080 busy intervals (40 weekly events, a year)",
            lambda: free_slots(busy_one, RULES, FIRST_DAY, eight_weeks, NOW),
        ),
        (
            "Unit of 200 caseworkers, 2 weeks, 30 bookings and 260 busy intervals each",
            lambda: free_slots_for_unit(unit, RULES, FIRST_DAY, two_weeks, NOW),
        ),
        (
            "The same unit's free times, each once (what a unit search answers)",
            lambda: free_times_for_unit(unit, RULES, FIRST_DAY, two_weeks, NOW),
        ),
    ]
    lines = [
        "## Slot engine (`bench/bench_slots.py`)",
        "The pure engine, given everything up front (what the database reads feed it), on "
        f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()} on "
        f"{platform.machine()}; {runs} runs each; 30-minute meetings every 15 minutes with "
        "5-minute buffers.",
        "",
        "| Scenario | Free slots | p50 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|",
    ]
    for name, run in scenarios:
        found, p50, p99 = measure(run, runs)
        lines.append(f"| {name} | {found} | {p50:.2f} | {p99:.2f} |")
    print("\n".join(lines))
    if arguments.write:
        replace_section(lines[0], lines)


if __name__ == "__main__":
    main()
