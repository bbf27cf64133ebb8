"""One leader among the instances sharing a database: it runs the scheduler and the outbox sender.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own. When
the leader dies its connection closes, the lock is released, and another instance, trying every
``retry_seconds``, takes over. SQLite means a single instance, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("kohtaamo.leadership")

# The advisory lock's key: "KOHTAAMO" in ASCII, read as one 64-bit number.
SCHEDULER_LOCK = int.from_bytes(b"KOHTAAMO", "big")


class Leadership:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
        lock_id: int = SCHEDULER_LOCK,
        retry_seconds: float = 15.0,
    ) -> None:
        self._engine = engine
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._lock_id = lock_id
        self._retry_seconds = retry_seconds
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kohtaamo-leadership")

    async def stop(self) -> None:
        """Step down (stopping the leader's work first) and release the lock."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._step_down()

    async def _run(self) -> None:
        while True:
            try:
                if not self.is_leader and await self._try_to_lead():
                    self.is_leader = True
                    log.info("this instance now runs the scheduler")
                    await self._on_gain()
                elif self.is_leader and not await self._still_leading():
                    log.warning("lost the scheduler lock")
                    await self._step_down()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leadership check failed")
                await self._step_down()
            await asyncio.sleep(self._retry_seconds)

    async def _try_to_lead(self) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": self._lock_id}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def _still_leading(self) -> bool:
        if self._connection is None:
            return self._engine.dialect.name != "postgresql"
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception:
            return False
        return True

    async def _step_down(self) -> None:
        if self.is_leader:
            self.is_leader = False
            try:
                await self._on_loss()
            except Exception:
                log.exception("stopping the leader's work failed")
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": self._lock_id}
                )
                await connection.commit()
            with contextlib.suppress(Exception):
                await connection.close()
