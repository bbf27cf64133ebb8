"""The leader's scheduler: a tick that fails is logged and tried again at the next, and never
stops the scheduler; /healthz tells whether the scheduler runs and how long the oldest due
message has waited."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from core.app_keys import sessions_key
from core.db import utcnow
from notifications import outbox
from notifications.leader_jobs import LeaderJobs
from notifications.models import SENDING, OutboxMessage
from tests.conftest import TEST_HASHER
from tests.notifications.test_outbox import message


async def test_a_failing_tick_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks: list[int] = []
    enough = asyncio.Event()

    async def flaky_drain() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise OSError("database is locked")
        if len(ticks) >= 3:
            enough.set()

    jobs = LeaderJobs(flaky_drain, drain_seconds=0.05)
    assert jobs.state == "standby"
    jobs.start()
    try:
        await asyncio.wait_for(enough.wait(), timeout=5)
        assert jobs.state == "running"
        assert jobs.failures == 1
        assert "a scheduled job failed" in caplog.text
    finally:
        jobs.stop()
    assert jobs.state == "standby"


async def wait_for_the_scheduler(client: TestClient[Any, Any]) -> dict[str, Any]:
    for _ in range(100):
        report: dict[str, Any] = await (await client.get("/healthz")).json()
        if report["scheduler"] == "running":
            return report
        await asyncio.sleep(0.05)
    pytest.fail(f"the scheduler did not start: {report}")


async def test_healthz_reports_the_scheduler_and_the_oldest_unsent_message(
    client: TestClient[Any, Any],
) -> None:
    report = await wait_for_the_scheduler(client)
    assert report == {
        "status": "ok",
        "database": "ok",
        "scheduler": "running",
        "oldest_unsent_seconds": None,
    }
    # A message due two minutes ago, claimed by a sender that has not finished it.
    async with client.app[sessions_key].begin() as session:
        await outbox.add(session, [message()], TEST_HASHER)
        await session.execute(
            update(OutboxMessage).values(
                status=SENDING,
                claimed_at=utcnow(),
                send_after=utcnow() - timedelta(minutes=2),
            )
        )
    report = await (await client.get("/healthz")).json()
    assert 115 <= report["oldest_unsent_seconds"] <= 180, report
