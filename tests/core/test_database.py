"""The data layer: migrations are the schema, timestamps are UTC, SQLite is in WAL with foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from accounts.models import Municipality, UserSession
from core.db import Base, create_engine, create_sessionmaker


async def test_migrations_create_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    # Always on SQLite, whichever database the rest of this run uses.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        async with engine.connect() as connection:
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    finally:
        await engine.dispose()
    assert (journal, foreign_keys) == ("wal", 1)


async def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    now = datetime.now(UTC)
    try:
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                session.add(
                    UserSession(token_hash="x" * 64, user_id="no-such-user", expires_at=now)
                )
    finally:
        await engine.dispose()


async def test_timestamps_come_back_as_the_same_aware_utc_instant(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    helsinki_noon = datetime(2027, 3, 28, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    try:
        async with sessions.begin() as session:
            session.add(Municipality(name="Aikakunta", created_at=helsinki_noon))
        async with sessions() as session:
            stored = await session.scalar(select(Municipality.created_at))
            raw = (await session.execute(text("SELECT created_at FROM municipalities"))).scalar()
    finally:
        await engine.dispose()
    assert stored == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    assert stored is not None and stored.tzinfo is UTC
    assert "09:00:00" in str(raw)


async def test_naive_datetimes_are_refused(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with sessions.begin() as session:
                session.add(Municipality(name="Naiivi", created_at=datetime(2027, 1, 1, 12, 0)))
    finally:
        await engine.dispose()
