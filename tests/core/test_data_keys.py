"""Data keys: a value opens only with its key and purpose; rotation moves everything to the new key
while bookings keep coming; a missing key stops the start with a clear error, never silently."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, text

from booking.models import Booking
from core.app_keys import sessions_key
from core.crypto import DataCipher, DataKeyError, UnreadableData, new_key
from core.data_keys import cipher_for
from core.db import Base
from core.reencryption import encrypted_tables, reencrypt
from server import create_app
from tests.booking.conftest import HELSINKI, BookingWorld, booking_body, make_world
from tests.conftest import TEST_DATA_KEY, TEST_SECRET_KEY, make_settings

NEW_KEY = "bmV3LWRhdGEta2V5LWZvci1yb3RhdGlvbi0wMTIzNDU="
REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_value_opens_only_with_its_key_and_purpose() -> None:
    cipher = DataCipher([TEST_DATA_KEY])
    token = cipher.encrypt_text("booking", "Liisa Asiakas")
    assert "Liisa" not in token
    assert token != cipher.encrypt_text("booking", "Liisa Asiakas")  # a new nonce each time
    assert cipher.decrypt_text("booking", token) == "Liisa Asiakas"
    with pytest.raises(UnreadableData):
        cipher.decrypt_text("outbox", token)  # copied into another purpose's column
    prefix, body = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[20] ^= 0x01  # one bit of the ciphertext (base64's last character may carry no data)
    tampered = f"{prefix}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(UnreadableData):
        cipher.decrypt_text("booking", tampered)
    with pytest.raises(UnreadableData, match="not configured"):
        DataCipher([new_key()]).decrypt_text("booking", token)
    with pytest.raises(UnreadableData, match="not an encrypted value"):
        cipher.decrypt_text("booking", "Liisa Asiakas")


def test_an_older_key_still_reads_and_the_newest_writes() -> None:
    old = DataCipher([TEST_DATA_KEY])
    both = DataCipher([NEW_KEY, TEST_DATA_KEY])
    token = old.encrypt_text("booking", "x")
    assert both.decrypt_text("booking", token) == "x"
    assert not both.is_current(token)
    assert both.is_current(both.encrypt_text("booking", "x"))


def test_every_encrypted_column_is_found_for_reencryption() -> None:
    import server  # noqa: F401  (every package's models on Base.metadata)

    columns = {
        (table.name, column)
        for table in encrypted_tables(Base.metadata)
        for column in table.purposes
    }
    assert {
        ("bookings", "client_name"),
        ("bookings", "client_email"),
        ("bookings", "client_phone"),
        ("bookings", "answers"),
        ("bookings", "cancel_reason"),
        ("notification_outbox", "recipient"),
        ("notification_outbox", "body_text"),
        ("notification_outbox", "ics"),
        ("assessment_results", "answers"),
        ("assessment_results", "score"),
        ("meeting_guests", "display_name"),
    } <= columns


def at_ten(days_after_tomorrow: int) -> datetime:
    day = BookingWorld.tomorrow() + timedelta(days=days_after_tomorrow)
    return datetime.combine(day, time(10), HELSINKI)


async def raw_key_ids(sessions: Any) -> set[str]:
    found = set()
    async with sessions() as session:
        for table in encrypted_tables(Base.metadata):
            for column in table.purposes:
                rows = await session.execute(
                    text(f'SELECT "{column}" FROM "{table.name}" WHERE "{column}" IS NOT NULL')  # noqa: S608
                )
                found |= {DataCipher.key_id_of(value) for (value,) in rows}
    return found


async def test_reencrypt_under_load_moves_everything_to_the_new_key(
    aiohttp_client: Any, database_url: str
) -> None:
    before = await aiohttp_client(create_app(make_settings(database_url)))
    world = await make_world(before)
    names = {}
    for day in range(16):
        name = f"Asiakas {day}"
        body = booking_body(
            world, at_ten(day), client={"name": name, "email": f"a{day}@example.com"}
        )
        booked = await before.post("/api/v1/bookings", json=body)
        assert booked.status == 201, await booked.text()
        names[(await booked.json())["id"]] = name
    await before.close()

    rotating = make_settings(database_url, data_keys=f"{NEW_KEY},{TEST_DATA_KEY}")
    during = await aiohttp_client(create_app(rotating))
    sessions = during.app[sessions_key]

    async def keep_booking() -> None:
        for day in range(16):
            name = f"Uusi asiakas {day}"
            body = booking_body(
                world,
                at_ten(day),
                caseworker_id=world.johan,
                client={"name": name, "email": f"b{day}@example.com"},
            )
            booked = await during.post("/api/v1/bookings", json=body)
            assert booked.status == 201, await booked.text()
            names[(await booked.json())["id"]] = name

    progress, _ = await asyncio.gather(
        reencrypt(sessions, cipher_for(rotating), Base.metadata, batch=3), keep_booking()
    )
    assert progress.rewritten > 0
    assert progress.retired_keys == (DataCipher([TEST_DATA_KEY]).newest_key_id,)
    assert await raw_key_ids(sessions) == {DataCipher([NEW_KEY]).newest_key_id}
    await during.close()

    # The old key can go: the service starts with the new key alone and reads everything.
    after = await aiohttp_client(create_app(make_settings(database_url, data_keys=NEW_KEY)))
    async with after.app[sessions_key]() as session:
        stored = {b.id: b.client_name for b in await session.scalars(select(Booking))}
    assert stored == names
    assert len(stored) == 32


async def test_a_start_without_a_key_in_use_stops_with_a_clear_error(
    aiohttp_client: Any, database_url: str
) -> None:
    first = await aiohttp_client(create_app(make_settings(database_url)))
    world = await make_world(first)
    booked = await first.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    assert booked.status == 201
    await first.close()
    in_use = DataCipher([TEST_DATA_KEY]).newest_key_id

    runner = web.AppRunner(create_app(make_settings(database_url, data_keys=NEW_KEY)))
    with pytest.raises(DataKeyError, match=f"lacks the key {in_use} that encrypted data"):
        await runner.setup()
    await runner.cleanup()

    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KOHTAAMO_")
    }
    environment |= {
        "KOHTAAMO_DATABASE_URL": database_url,
        "KOHTAAMO_SECRET_KEY": TEST_SECRET_KEY,
        "KOHTAAMO_DATA_KEYS": NEW_KEY,
        "KOHTAAMO_PORT": "0",
    }
    served = await asyncio.create_subprocess_exec(
        sys.executable,
        "server.py",
        "serve",
        cwd=REPOSITORY,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        _out, errors = await served.communicate()
    assert served.returncode == 2
    assert errors.decode().strip().splitlines()[-1] == (
        f"kohtaamo: configuration error: KOHTAAMO_DATA_KEYS lacks the key {in_use} that "
        "encrypted data in this database: add it back (older keys after the newest)"
    )
