"""Alembic environment: runs on the connection core.db.migrate hands over, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import accounts.models  # noqa: F401  (registers the tables on Base.metadata)
import assessments.models  # noqa: F401
import audit.models  # noqa: F401
import booking.models  # noqa: F401
import calendars.models  # noqa: F401
import chat.models  # noqa: F401
import consents.models  # noqa: F401
import core.data_keys
import core.lookup  # noqa: F401
import discussions.models  # noqa: F401
import documents.models  # noqa: F401
import identification.models  # noqa: F401
import messaging.models  # noqa: F401
import notifications.models  # noqa: F401
import plans.models  # noqa: F401
import publicinfo.models  # noqa: F401
import reports.models  # noqa: F401
import video.models  # noqa: F401
from core.db import Base, create_engine
from core.settings import DEFAULT_SQLITE_URL

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    # For `alembic revision --autogenerate` from a shell; the service itself uses core.db.migrate.
    engine = create_engine(os.environ.get("KOHTAAMO_DATABASE_URL", DEFAULT_SQLITE_URL))
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_standalone())
