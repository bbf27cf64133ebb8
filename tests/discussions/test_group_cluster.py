"""Two instances share the group discussions through a real Redis: the host on one and the
participants on both meet in one room, held messages and all; when the instance that runs the
rooms stops, everyone resumes on the other with what they missed. What Redis holds of a room is
encrypted."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from core.settings import Settings
from discussions.keys import group_sessions_key, groups_key
from server import create_app
from tests.conftest import make_settings
from tests.discussions.conftest import JUST_BEFORE, GroupWorld, closed_with, expect, set_clock

pytestmark = pytest.mark.cluster

QUESTION = "Miten saan teinin kotiin ajoissa?"
ANSWER = "Sopikaa kotiintuloajasta yhdessä."


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    """Instance A, the tests' ``client``, shares Redis with B."""
    return make_settings(database_url, redis_url=redis_url)


@pytest.fixture
async def other(aiohttp_client: Any, settings: Settings) -> TestClient[Any, Any]:
    b: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    set_clock(b, JUST_BEFORE)
    return b


def on(world: GroupWorld, instance: TestClient[Any, Any]) -> GroupWorld:
    return dataclasses.replace(world, client=instance)


async def test_a_room_spans_two_instances_and_survives_the_one_it_ran_on(
    group_world: GroupWorld, other: TestClient[Any, Any], redis: Redis
) -> None:
    a, b = group_world, on(group_world, other)
    host = await a.host()  # the rooms now run on A
    browser = await b.browser()
    anna, welcome = await b.join("Anna", browser)
    ben, _ = await a.join("Ben")

    await anna.send_json({"type": "say", "text": QUESTION})
    held = await expect(anna, "held")
    assert (await expect(host, "message"))["state"] == "held"
    await host.send_json({"type": "approve", "seq": held["seq"]})
    approved = await expect(ben, "message")
    assert (approved["text"], approved["nickname"]) == (QUESTION, "Anna")
    seen = (await expect(anna, "message"))["mark"]

    saved = "\n".join([value async for value in _values(redis)])
    assert saved and QUESTION not in saved and "Anna" not in saved

    # A stops: everyone is told to reconnect, and the host writes on B once back.
    await a.client.server.close()
    assert (await closed_with(host))[0] == 4503
    assert (await closed_with(anna))[0] == 4503
    assert (await closed_with(ben))[0] == 4503
    host = await b.host()
    await host.send_json({"type": "say", "text": ANSWER})
    assert (await expect(host, "message"))["text"] == ANSWER
    _, again = await b.join("", browser, resume=welcome["resume"], seen=seen)
    assert (again["member"], again["nickname"]) == (welcome["member"], "Anna")
    assert [m.get("text") for m in again["messages"]] == [ANSWER]


async def _values(redis: Redis) -> AsyncIterator[str]:
    async for key in redis.scan_iter("kohtaamo:groups:*"):
        if await redis.type(key) == "string":
            yield await redis.get(key) or ""


async def test_a_session_cancelled_on_the_other_instance_ends_its_room_at_once(
    group_world: GroupWorld, other: TestClient[Any, Any]
) -> None:
    a, b = group_world, on(group_world, other)
    anna, _ = await a.join("Anna")  # the rooms run on A
    service = other.app[group_sessions_key]
    cancelled = await service.cancel(b.maria, b.session_id)
    await other.app[groups_key].update(cancelled.room_info())  # as B's staff page does
    assert (await expect(anna, "ended"))["reason"] == "cancelled"
