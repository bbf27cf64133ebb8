"""An identified person may chat under their name: the worker sees it, and the person keeps the
transcript on their own pages (a closed thread with the unit; nobody notified, nothing filed).
An anonymous person's chat cannot be kept anywhere."""

from __future__ import annotations

import pytest

from chat.keys import chat_services_key
from core.principal import Role
from tests.chat.conftest import SLUG, WEDNESDAY, ChatWorld, add_service, expect
from tests.conftest import create_user
from tests.messaging.conftest import MessagesWorld, smtp, world

__all__ = ["smtp", "world"]


@pytest.fixture
async def identified_chat(world: MessagesWorld) -> ChatWorld:
    await create_user(world.client.app, Role.ADMIN, "admin@example.com")
    service = await add_service(world.client, world.family.unit_id)
    world.client.app[chat_services_key]._clock = lambda: WEDNESDAY
    return ChatWorld(world.client, world.family, service["id"], [])


async def test_an_identified_person_keeps_the_chat_on_their_own_pages(
    world: MessagesWorld, identified_chat: ChatWorld
) -> None:
    maria = await identified_chat.worker("maria@example.com")
    await world.identify("aino")
    person = await world.client.ws_connect("/api/v1/chat/ws")
    await person.send_json({"type": "hello", "v": 1, "service": SLUG, "identified": True})
    await expect(person, "welcome")
    await person.send_json({"type": "say", "text": "Tarvitsen apua vuokran kanssa."})
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    assert chat["identified_as"] == "Aino Asiakas"
    await maria.send_json({"type": "say", "chat": chat["chat"], "text": "Autan mielelläni."})
    await maria.send_json({"type": "end", "chat": chat["chat"], "topic": "money"})
    await expect(person, "ended")
    await person.send_json({"type": "keep"})
    kept = await expect(person, "kept")
    page = await (await world.client.get(kept["url"])).text()
    assert "Tarvitsen apua vuokran kanssa." in page and "Autan mielelläni." in page
    assert "Perheneuvonta" in page
    mine = await (await world.client.get("/api/v1/my/threads")).json()
    assert [t["status"] for t in mine["threads"]] == ["closed"]
    await world.deliver()
    assert world.notices() == [] and world.records == []
    await person.close()

    anonymous, _ = await identified_chat.person()
    await anonymous.send_json({"type": "say", "text": "Hei"})
    await anonymous.send_json({"type": "keep"})
    assert (await expect(anonymous, "error"))["code"] == "cannot-keep"
    await anonymous.close()
    await maria.close()
    for session in identified_chat.sessions:
        await session.close()
