"""How fast ``server.py reencrypt`` moves stored personal data to a new key.

    .venv/bin/python bench/bench_reencrypt.py [--database sqlite|postgresql] [--bookings N]

Writes N bookings (each with a name, an email, a phone, answers: four encrypted values) and as
many outbox messages (recipient, subject, body: three) under one key, then re-encrypts everything under a
new key in batches of 500, and prints a Markdown table: rows and values a second, and the
encryption's own cost per value (the rest is the database).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    DATA_KEY,
    bench_unit,
    drop_postgres,
    fresh_postgres,
    postgres_base_url,
    sha256_hex,
    video_booking,
)

NEW_KEY = "YmVuY2gtbmV3LWRhdGEta2V5LTAxMjM0NTY3ODlhYmM="
BATCH = 500


async def fill(database_url: str, bookings: int) -> tuple[int, int]:
    """Bookings and their messages under the old key; (rows, encrypted values)."""
    from notifications.models import OutboxMessage

    async with bench_unit(database_url, threads=1) as unit:
        [caseworker] = await unit.open_caseworkers(1)
        meeting_type = await unit.video_meeting_type(
            ("Tapaaminen", "Möte", "Meeting"), duration_minutes=30, horizon_days=30
        )
        start = datetime(2027, 1, 4, 8, tzinfo=UTC)
        for first in range(0, bookings, 1000):
            async with unit.sessions.begin() as session:
                for number in range(first, min(first + 1000, bookings)):
                    booking = video_booking(
                        caseworker,
                        meeting_type,
                        start + timedelta(minutes=30 * number),
                        minutes=30,
                        client_name=f"Asiakas {number}",
                        client_key=sha256_hex(f"c{number}"),
                        manage_token_hash=sha256_hex(uuid.uuid4().hex),
                    )
                    booking.client_email = f"asiakas{number}@example.com"
                    booking.client_phone = "+358401234567"
                    booking.answers = {"topic": "Asuminen ja talous"}
                    session.add(booking)
                    session.add(
                        OutboxMessage(
                            idempotency_key=f"booking:{booking.id}:confirmation:0:email",
                            booking_id=booking.id,
                            kind="confirmation",
                            channel="email",
                            recipient=booking.client_email,
                            language="fi",
                            subject="Aikasi on varattu",
                            body_text="Hei, aikasi on varattu. " * 20,
                        )
                    )
    # name, email, phone, answers; recipient, subject, body
    return 2 * bookings, 7 * bookings


async def rotate(database_url: str) -> tuple[float, int]:
    from core.crypto import DataCipher
    from core.db import Base, create_engine, create_sessionmaker
    from core.reencryption import reencrypt

    cipher = DataCipher([NEW_KEY, DATA_KEY])
    engine = create_engine(database_url, cipher)
    try:
        started = time.perf_counter()
        progress = await reencrypt(create_sessionmaker(engine), cipher, Base.metadata, batch=BATCH)
        return time.perf_counter() - started, progress.rewritten
    finally:
        await engine.dispose()


def encryption_cost(values: int = 20_000) -> float:
    """Seconds per value to decrypt and encrypt again, with no database."""
    from core.crypto import DataCipher

    old = DataCipher([DATA_KEY])
    both = DataCipher([NEW_KEY, DATA_KEY])
    tokens = [old.encrypt_text("booking", f"asiakas{n}@example.com") for n in range(values)]
    started = time.perf_counter()
    for token in tokens:
        both.encrypt("booking", both.decrypt("booking", token))
    return (time.perf_counter() - started) / values


async def run(database: str, bookings: int) -> None:
    import server  # noqa: F401  (every package's tables on Base.metadata)

    with tempfile.TemporaryDirectory() as directory:
        if database == "postgresql":
            database_url = await fresh_postgres(postgres_base_url())
        else:
            database_url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.sqlite3'}"
        try:
            rows, values = await fill(database_url, bookings)
            seconds, rewritten = await rotate(database_url)
        finally:
            if database == "postgresql":
                await drop_postgres(database_url)
    assert rewritten == values, (rewritten, values)
    per_value = encryption_cost()
    print(
        f"| {database} | {rows} | {values} | {seconds:.1f} | {rows / seconds:,.0f} | "
        f"{values / seconds:,.0f} | {per_value * 1e6:.1f} µs |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bookings", type=int, default=10_000)
    arguments = parser.parse_args()
    print("| database | rows | values | seconds | rows/s | values/s | crypto per value |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    asyncio.run(run(arguments.database, arguments.bookings))


if __name__ == "__main__":
    main()
