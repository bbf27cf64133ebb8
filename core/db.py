"""The data layer's shared parts: declarative base, UTC timestamps, engine and migrations."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import ARRAY, DateTime, MetaData, TypeDecorator, any_, bindparam, event, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from core.crypto import DataCipher
from core.encrypted_columns import attach_cipher

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

# Named constraints, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite has no time zones, so values are stored as naive UTC there and made aware again
    on the way out; naive values on the way in are a programming error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def create_engine(database_url: str, cipher: DataCipher | None = None) -> AsyncEngine:
    """An engine; with ``cipher``, one that reads and writes encrypted columns.

    ``hide_parameters``: a database error's message never carries the values of the statement
    (personal data) into a log or a traceback.
    """
    if database_url.startswith("sqlite"):
        _ensure_sqlite_directory(database_url)
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    else:
        engine = create_async_engine(
            database_url,
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=True,
            hide_parameters=True,
        )
    if cipher is not None:
        attach_cipher(engine.sync_engine.dialect, cipher)
    return engine


class Sessions:
    """Units of work: ``sessions()`` to read, ``sessions.begin()`` for a transaction that writes.

    The difference matters on SQLite only: a writing transaction takes the write lock when it
    begins (see ``_begin_sqlite_transaction``); a reading one does not, so readers never queue
    behind writers.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = async_sessionmaker(
            engine.execution_options(kohtaamo_writes=True), expire_on_commit=False
        )

    def __call__(self) -> AsyncSession:
        return self._read()

    def begin(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._write.begin()


def create_sessionmaker(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)


def one_of(
    session: AsyncSession, column: InstrumentedAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN values``, as ``column = ANY(:values)`` with one array parameter on PostgreSQL.

    SQLAlchemy renders an IN list anew at every execution, a cast parameter per value: for a
    unit of 200 caseworkers that cost a slot search more than reading all its rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


async def lock_until_commit(session: AsyncSession, space: int, key: str) -> None:
    """Queue this transaction behind any other that holds ``(space, key)``, until it ends.

    A count followed by an insert (at most so many of something) is only right when two such
    transactions cannot run side by side: on PostgreSQL an advisory lock makes them take turns.
    SQLite's writing transactions take turns already (``Sessions.begin``).
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": space, "key": key},
        )


def _ensure_sqlite_directory(database_url: str) -> None:
    path = database_url.split(":///", 1)[1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin_sqlite_immediately).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A transaction that writes takes SQLite's write lock up front. Writers are then serialized,
    # so a check-then-insert inside one transaction cannot interleave with another writer's, and
    # no transaction has to be upgraded from reader to writer halfway (which SQLite answers with
    # "database is locked" instead of waiting). Readers begin deferred and read a snapshot (WAL).
    if connection.get_execution_options().get("kohtaamo_writes"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(REPOSITORY_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPOSITORY_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration; the only way the schema is made."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
