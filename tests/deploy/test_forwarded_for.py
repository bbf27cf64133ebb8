"""Behind a trusted proxy, rate limits count each real client, not the proxy."""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import Settings, SettingsError
from server import create_app
from tests.conftest import make_settings


async def test_a_trusted_proxys_forwarded_address_is_the_client(
    aiohttp_client: Any, database_url: str
) -> None:
    settings = make_settings(database_url, trusted_proxies="127.0.0.1", booking_rate_limit="2")
    client = await aiohttp_client(create_app(settings))

    async def units(forwarded_for: str) -> int:
        answer = await client.get("/api/v1/units", headers={"X-Forwarded-For": forwarded_for})
        return answer.status

    assert [await units("198.51.100.7") for _ in range(3)] == [200, 200, 429]
    # Another client behind the same proxy has its own budget; a hop the client wrote itself
    # (left of the proxy's own entry) does not let it pose as someone else.
    assert await units("198.51.100.8") == 200
    assert await units("203.0.113.1, 198.51.100.7") == 429


async def test_an_untrusted_peer_cannot_choose_its_address(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url, booking_rate_limit="1")))
    first = await client.get("/api/v1/units", headers={"X-Forwarded-For": "198.51.100.1"})
    second = await client.get("/api/v1/units", headers={"X-Forwarded-For": "198.51.100.2"})
    assert (first.status, second.status) == (200, 429)


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(SettingsError, match="KOHTAAMO_TRUSTED_PROXIES"):
        Settings.from_env({"KOHTAAMO_TRUSTED_PROXIES": "nginx"})
