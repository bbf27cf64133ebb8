"""Instances that share Redis enforce the public forms' limit together, not once each."""

from __future__ import annotations

from typing import Any

from server import create_app
from tests.conftest import make_settings


async def test_the_public_limit_counts_requests_to_every_instance(
    aiohttp_client: Any, database_url: str, redis_url: str
) -> None:
    settings = make_settings(database_url, booking_rate_limit="3", redis_url=redis_url)
    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    statuses = [
        (await instance.get("/api/v1/units")).status for instance in (first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = await first.get("/api/v1/units", headers={"Accept-Language": "en"})
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Content-Type"].startswith("application/problem+json")

    # A concern report's limit is counted apart from the booking pages'.
    report = await second.post("/api/v1/concern-reports", json={})
    assert report.status == 422


async def test_without_shared_redis_each_instance_counts_alone(
    aiohttp_client: Any, database_url: str
) -> None:
    settings = make_settings(database_url, booking_rate_limit="3")
    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    statuses = [
        (await instance.get("/api/v1/units")).status for instance in (first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 200]
