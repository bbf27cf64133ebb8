"""The access log is kept per the jurisdiction's rule (KOHTAAMO_ACCESS_LOG_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from audit.keys import access_log_retention_key
from audit.models import AccessLogEntry
from core.app_keys import sessions_key, settings_key
from core.db import utcnow
from tests.conftest import make_settings


async def test_only_entries_older_than_the_period_are_deleted_and_the_deletion_is_logged(
    client: TestClient[Any, Any],
) -> None:
    app = client.app
    days = app[settings_key].access_log_retention_days
    now = utcnow()
    ages = {"old": days + 1, "older": days + 400, "young": days - 1, "today": 0}
    async with app[sessions_key].begin() as session:
        for name, age in ages.items():
            session.add(
                AccessLogEntry(
                    at=now - timedelta(days=age),
                    actor_kind="client",
                    action="booking.read",
                    subject_type="booking",
                    subject_id=name,
                    purpose="client meeting",
                )
            )
    retention = app[access_log_retention_key]
    retention._clock = lambda: now
    assert await retention.delete_expired(batch=1) == 2
    async with app[sessions_key]() as session:
        left = sorted(
            (row.action, row.subject_id) for row in await session.scalars(select(AccessLogEntry))
        )
    assert left == [
        ("booking.read", "today"),
        ("booking.read", "young"),
        # One entry a batch (of one entry each here), young enough to be kept.
        ("retention.deleted", "count:1"),
        ("retention.deleted", "count:1"),
    ]
    assert await retention.delete_expired() == 0


def test_the_default_period_follows_the_jurisdiction(database_url: str) -> None:
    assert make_settings(database_url).access_log_retention_days == 12 * 365 + 3
    assert make_settings(database_url, jurisdiction="se").access_log_retention_days == 5 * 365 + 2
    assert (
        make_settings(
            database_url, jurisdiction="se", access_log_retention_days="3000"
        ).access_log_retention_days
        == 3000
    )
