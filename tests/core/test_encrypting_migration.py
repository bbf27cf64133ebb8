"""Migration 0009 encrypts what a database already holds, and the service then reads it;
migration 0010 gives it the keyed hashes the person's-rights search finds it by.

A database made by the migrations up to 0008 gets a booking that other rows refer to (an outbox
message, a guest link, an assessment result), written in clear as the service wrote them then.
After the upgrade every personal field is ciphertext, the references hold, and the models read
the same values back. On SQLite this is the path that rebuilds the referred-to table with
foreign keys off.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from assessments.models import AssessmentResult
from booking.models import Booking
from core.data_keys import cipher_for
from core.db import alembic_config, create_engine, create_sessionmaker, migrate
from core.lookup import load_person_hasher
from notifications.models import OutboxMessage
from tests.conftest import (
    TEST_DATABASE_URL,
    _create_postgres_database,
    _drop_postgres_database,
    make_settings,
)
from video.models import MeetingGuest

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"kohtaamo_migration_{uuid.uuid4().hex[:10]}"
    await _create_postgres_database(TEST_DATABASE_URL, name)
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    await _drop_postgres_database(TEST_DATABASE_URL, name)


def filler(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float):
        return 0
    if isinstance(kind, sa.DateTime):
        return NOW if kind.timezone else NOW.replace(tzinfo=None)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b""
    return uuid.uuid4().hex[: min(8, getattr(kind, "length", None) or 8)]


def insert(connection: sa.Connection, name: str, **values: Any) -> str:
    """A row with ``values`` and a plain stand-in for every other required column."""
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    row = {
        column.name: filler(column)
        for column in table.columns
        if not column.nullable and column.server_default is None
    }
    row.update(values)
    connection.execute(table.insert().values(**row))
    return str(row.get("id", ""))


def old_world(connection: sa.Connection) -> dict[str, str]:
    caseworker = insert(connection, "users", id=str(uuid.uuid4()), email="m@example.com")
    meeting_type = insert(connection, "meeting_types", id=str(uuid.uuid4()))
    booking = insert(
        connection,
        "bookings",
        id=str(uuid.uuid4()),
        caseworker_id=caseworker,
        meeting_type_id=meeting_type,
        assigned_from_unit_id=None,
        status="cancelled",
        client_name="Vanha Asiakasxq",
        client_email="vanha.asiakasxq@example.com",
        client_phone="+358401110000",
        answers={"topic": "Vanha huolixq"},
        cancel_reason="Muuttoxq",
    )
    outbox = insert(
        connection,
        "notification_outbox",
        id=str(uuid.uuid4()),
        booking_id=booking,
        recipient="vanha.asiakasxq@example.com",
        subject="Aikasi on varattu",
        body_text="Hei Vanha Asiakasxq",
        body_html=None,
        ics=b"BEGIN:VCALENDAR\r\nSUMMARY:Vanha Asiakasxq\r\nEND:VCALENDAR\r\n",
    )
    guest = insert(
        connection,
        "meeting_guests",
        id=str(uuid.uuid4()),
        booking_id=booking,
        display_name="Tulkki Vanhaxq",
        invited_by=caseworker,
        claimed_at=None,
        revoked_at=None,
    )
    result = insert(
        connection,
        "assessment_results",
        id=str(uuid.uuid4()),
        booking_id=booking,
        answers={"q1": 3},
        score={"total": 12},
        correction_reason=None,
        submitted_by=None,
        replaces_id=None,
        once_key=None,
    )
    return {"booking": booking, "outbox": outbox, "guest": guest, "result": result}


async def test_the_upgrade_encrypts_what_is_there_and_the_models_read_it(
    empty_database: str,
) -> None:
    settings = make_settings(empty_database)
    engine = create_engine(empty_database, cipher_for(settings))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0008"))
        async with engine.begin() as connection:
            ids = await connection.run_sync(old_world)

        await migrate(engine)

        async with engine.connect() as connection:
            raw = {
                table: (await connection.exec_driver_sql(f"SELECT * FROM {table}")).mappings().one()  # noqa: S608
                for table in (
                    "bookings",
                    "notification_outbox",
                    "meeting_guests",
                    "assessment_results",
                )
            }
            if engine.dialect.name == "sqlite":
                assert (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all() == []
                assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        everything = json.dumps({t: {k: str(v) for k, v in r.items()} for t, r in raw.items()})
        for needle in ("asiakasxq", "huolixq", "muuttoxq", "vanhaxq", "401110000"):
            assert needle not in everything.casefold()
        assert raw["bookings"]["client_name"].startswith("k1.")
        assert raw["notification_outbox"]["ics"].startswith("k1.")
        assert raw["assessment_results"]["score"].startswith("k1.")

        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            booking = await session.get(Booking, ids["booking"])
            message = await session.get(OutboxMessage, ids["outbox"])
            guest = await session.get(MeetingGuest, ids["guest"])
            result = await session.get(AssessmentResult, ids["result"])
        assert booking is not None and message is not None
        assert guest is not None and result is not None
        assert (booking.client_name, booking.client_email, booking.client_phone) == (
            "Vanha Asiakasxq",
            "vanha.asiakasxq@example.com",
            "+358401110000",
        )
        assert booking.answers == {"topic": "Vanha huolixq"}
        assert booking.cancel_reason == "Muuttoxq"
        assert message.recipient == "vanha.asiakasxq@example.com"
        assert message.body_text == "Hei Vanha Asiakasxq"
        assert message.ics is not None and b"SUMMARY:Vanha Asiakasxq" in message.ics
        assert guest.display_name == "Tulkki Vanhaxq"
        assert (result.answers, result.score) == ({"q1": 3}, {"total": 12})

        # Migration 0010 gave the rows their keyed hashes, under the key the service then loads:
        # the person's-rights search finds them by the address and number as a person types them.
        hasher = await load_person_hasher(sessions)
        assert booking.client_email_hash == hasher.email(" Vanha.Asiakasxq@example.com")
        assert booking.client_phone_hash == hasher.phone("040 111 0000")
        assert message.recipient_hash == hasher.email("vanha.asiakasxq@example.com")
        async with engine.connect() as connection:
            stored_key = (await connection.exec_driver_sql("SELECT key FROM lookup_keys")).scalar()
        assert str(stored_key).startswith("k1.")  # the hash key itself is encrypted
    finally:
        await engine.dispose()
