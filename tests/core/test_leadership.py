"""One leader at a time among instances sharing a database; another takes over when it goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import text

from core.db import create_engine
from core.leadership import SCHEDULER_LOCK, Leadership


class Work:
    def __init__(self) -> None:
        self.running = False
        self.started = 0

    async def gain(self) -> None:
        self.running = True
        self.started += 1

    async def loss(self) -> None:
        self.running = False


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110  (the condition lives in another object's task)
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), seconds)


async def test_only_one_instance_leads_and_the_other_takes_over(database_url: str) -> None:
    first_engine, second_engine = create_engine(database_url), create_engine(database_url)
    first_work, second_work = Work(), Work()
    first = Leadership(
        first_engine, on_gain=first_work.gain, on_loss=first_work.loss, retry_seconds=0.05
    )
    second = Leadership(
        second_engine, on_gain=second_work.gain, on_loss=second_work.loss, retry_seconds=0.05
    )
    try:
        first.start()
        await wait_for(lambda: first_work.running)
        second.start()
        if first_engine.dialect.name == "postgresql":
            await asyncio.sleep(0.3)
            assert not second_work.running, "two leaders at once"
            await first.stop()
            assert not first_work.running
            await wait_for(lambda: second_work.running)
            assert second_work.started == 1
            # The leader's database session dies (as when its process is killed): it notices and
            # stops its work, and a waiting instance takes the lock.
            first.start()
            async with first_engine.connect() as connection:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks"
                        " WHERE locktype = 'advisory' AND objid = :low AND granted"
                    ),
                    {"low": SCHEDULER_LOCK & 0xFFFFFFFF},
                )
            await wait_for(lambda: not second_work.running)
            await wait_for(lambda: first_work.running)
        else:
            # SQLite serves one instance: it always leads.
            await wait_for(lambda: second_work.running)
    finally:
        await first.stop()
        await second.stop()
        await first_engine.dispose()
        await second_engine.dispose()
    assert not first_work.running and not second_work.running
