"""Two instances share the advice chats through a real Redis: a person on one and the worker on
the other chat as if on one server, the waiting people keep their places, and when the instance
that ran the desk stops, everyone reconnects to the other and carries on where they were, with
the lines they missed. What Redis holds of a chat is encrypted and gone when the chat is."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from core.settings import Settings
from server import create_app
from tests.chat.conftest import WEDNESDAY, ChatWorld, closed_with, expect, set_clock
from tests.conftest import make_settings

pytestmark = pytest.mark.cluster

QUESTION = "Miten puhun teinille rahasta riitelemättä?"
ANSWER = "Hyvä kysymys. Mistä riidat yleensä alkavat?"
AFTER = "Kun hän pyytää rahaa kavereiden kanssa menemiseen."


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    """Instance A, the tests' ``client``, shares Redis with B."""
    return make_settings(database_url, redis_url=redis_url)


@pytest.fixture
async def other(aiohttp_client: Any, settings: Settings) -> TestClient[Any, Any]:
    b: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    set_clock(b, lambda: WEDNESDAY)
    return b


def on(world: ChatWorld, instance: TestClient[Any, Any]) -> ChatWorld:
    """The same people, reaching the service through ``instance``."""
    return dataclasses.replace(world, client=instance)


async def chat_values(redis: Redis) -> dict[str, str]:
    found: dict[str, str] = {}
    async for key in redis.scan_iter("kohtaamo:chat:*"):
        kind = await redis.type(key)
        if kind == "string":
            found[key] = await redis.get(key) or ""
        elif kind == "list":
            found[key] = "\n".join(await redis.lrange(key, 0, -1))
    return found


async def test_a_person_on_one_instance_chats_with_a_worker_on_the_other(
    chat_world: ChatWorld, other: TestClient[Any, Any], redis: Redis
) -> None:
    a, b = chat_world, on(chat_world, other)
    maria = await a.worker("maria@example.com")  # the desk now runs on A
    first, _ = await b.person()
    await first.send_json({"type": "say", "text": QUESTION})
    assert (await expect(first, "queue"))["position"] == 1
    second, _ = await b.person()
    await second.send_json({"type": "say", "text": "Hei"})
    assert (await expect(second, "queue"))["position"] == 2

    listing = await (await other.get("/api/v1/chat/services")).json()
    [service] = listing["services"]
    assert (service["on_duty"], service["waiting"]) == (1, 2)

    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    assert [line["text"] for line in chat["lines"]] == [QUESTION]
    assert (await expect(first, "joined"))["name"] == "Maria"
    assert (await expect(second, "queue"))["position"] == 1
    await first.send_json({"type": "typing", "on": True})
    assert (await expect(maria, "typing"))["on"] is True
    await maria.send_json({"type": "say", "chat": chat["chat"], "text": ANSWER})
    assert (await expect(first, "line"))["text"] == ANSWER

    # Redis holds the chat while it lasts, encrypted: none of the words can be read there.
    values = await chat_values(redis)
    assert any(key.endswith(":lines") for key in values)
    assert not any(words in value for value in values.values() for words in (QUESTION, ANSWER))

    await maria.send_json({"type": "end", "chat": chat["chat"], "topic": "parenting"})
    assert (await expect(first, "ended"))["reason"] == "worker"
    await first.send_json({"type": "leave"})
    assert await closed_with(first) == 1000
    await second.send_json({"type": "leave"})
    assert await closed_with(second) == 1000
    # Gone from Redis once nobody is in them (written a moment later, in the background).
    for _ in range(50):
        left = [key for key in await chat_values(redis) if ":c:" in key]
        if not left:
            break
        await asyncio.sleep(0.1)
    assert left == []


async def test_when_the_desks_instance_stops_everyone_carries_on_through_the_other(
    chat_world: ChatWorld, other: TestClient[Any, Any]
) -> None:
    a, b = chat_world, on(chat_world, other)
    maria = await a.worker("maria@example.com")
    talking, welcome = await b.person()
    await talking.send_json({"type": "say", "text": QUESTION})
    waiting, waiting_welcome = await b.person()
    await waiting.send_json({"type": "say", "text": "Hei"})
    assert (await expect(waiting, "queue"))["position"] == 2
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    await maria.send_json({"type": "say", "chat": chat["chat"], "text": ANSWER})
    seen = (await expect(talking, "line", within=5))["seq"]
    while seen < 2:
        seen = (await expect(talking, "line"))["seq"]

    await a.client.server.close()  # a graceful stop: every page is told to reconnect
    assert await closed_with(maria) == 4503
    assert await closed_with(talking) == 4503
    assert await closed_with(waiting) == 4503

    # The worker comes back first, through B, which now runs the desk from the saved state:
    # on duty as before, with the chat and its lines.
    staff = await b.staff("maria@example.com")
    console = await staff.ws_connect("/api/v1/chat/staff/ws")
    await console.send_json({"type": "hello", "v": 1})
    hello = await expect(console, "welcome")
    assert hello["services"] == [a.service_id]
    [held] = hello["chats"]
    assert held["chat"] == chat["chat"]
    assert [line["text"] for line in held["lines"]] == [QUESTION, ANSWER]
    back, again = await b.person(resume=welcome["resume"], seen=1)
    assert (again["state"], again["worker"]) == ("chatting", "Maria")
    assert [line["text"] for line in again["lines"]] == [ANSWER]
    assert (await expect(console, "person-back"))["chat"] == chat["chat"]
    await back.send_json({"type": "say", "text": AFTER})
    assert (await expect(console, "line"))["text"] == AFTER

    still, kept = await b.person(resume=waiting_welcome["resume"], seen=1)
    assert kept["state"] == "queued"
    assert (await expect(still, "queue"))["position"] == 1
