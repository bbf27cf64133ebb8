"""The leader's periodic work: draining the outbox every few seconds, concern reports' retention,
and the daily retention of personal data (docs/privacy.md).

An APScheduler ``AsyncIOScheduler`` runs them on the instance that leads (core/leadership.py),
with its jobs in memory. Nothing of them needs keeping: the messages are outbox rows, which
carry their own state, and the leader adds the jobs again whenever it takes over. (A job store
in the database was read synchronously on the event loop: on SQLite it froze the loop for
seconds behind the write lock and then stopped the scheduler for good.) Each tick catches and
logs its own failure, so a failed tick ("database is locked", a lost connection) is tried again
at the next one and never ends the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("kohtaamo.notifications")

Work = Callable[[], Awaitable[None]]


class LeaderJobs:
    def __init__(self, drain: Work, drain_seconds: float) -> None:
        self.drain = drain
        self._drain_seconds = drain_seconds
        self._periodic: list[tuple[str, Work, timedelta, timedelta]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self.failures = 0  # ticks that failed since this instance started

    def every(self, name: str, work: Work, *, period: timedelta, first_in: timedelta) -> None:
        """Run ``work`` every ``period`` while leading, the first time ``first_in`` after taking
        the lead (soon, so that frequent restarts never skip it)."""
        self._periodic.append((name, work, period, first_in))

    async def run(self, name: str) -> None:
        """Run the job named ``name`` now, here (tests, and an operator's nudge)."""
        works = {periodic[0]: periodic[1] for periodic in self._periodic}
        await works[name]()

    @property
    def state(self) -> str:
        """``running`` on the leader, ``standby`` elsewhere, ``stopped`` if the leader's
        scheduler has stopped (it should not)."""
        if self._scheduler is None:
            return "standby"
        return "running" if self._scheduler.running else "stopped"

    def start(self) -> None:
        scheduler = self._scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()}, timezone="UTC"
        )
        scheduler.start()
        now = datetime.now(UTC)
        # At once: what came due while no instance was leading goes out now. As a job, not
        # awaited here, so stopping never cancels a drain halfway (see stop).
        self._add(scheduler, "outbox drain", self.drain, {"seconds": self._drain_seconds}, now)
        for name, work, period, first_in in self._periodic:
            self._add(scheduler, name, work, {"seconds": period.total_seconds()}, now + first_in)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def _add(
        self,
        scheduler: AsyncIOScheduler,
        name: str,
        work: Work,
        interval: dict[str, Any],
        first: datetime,
    ) -> None:
        async def tick() -> None:
            try:
                await work()
            except Exception:
                self.failures += 1
                log.exception("a scheduled job failed; it runs again at its next time",
                              extra={"job": name})  # fmt: skip

        scheduler.add_job(
            tick,
            "interval",
            **interval,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            next_run_time=first,
        )
