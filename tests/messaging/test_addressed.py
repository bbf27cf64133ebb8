"""A client writes to a caseworker they have met rather than to the whole unit: the thread is
the caseworker's (addressed and assigned to them, and they alone are told of it), and only the
caseworkers of the client's own bookings can be chosen."""

from __future__ import annotations

from sqlalchemy import select

from core.app_keys import sessions_key
from messaging.models import MessageThread
from tests.messaging.conftest import MessagesWorld, smtp, world
from tests.messaging.test_messages import BODY, SUBJECT, thread_count, write

__all__ = ["smtp", "world"]


async def test_a_client_writes_to_their_own_caseworker(world: MessagesWorld) -> None:
    await world.identify("aino")
    client = world.client
    listed = await (await client.get("/api/v1/my/addressees")).json()
    met = {a["unit_name"]: [c["name"] for c in a["caseworkers"]] for a in listed["addressees"]}
    assert met == {"Perhepalvelut": ["Maria Virtanen"], "Aikuissosiaalityö": ["Sanna K"]}
    form = await (await client.get("/my/messages/new")).text()
    assert "Maria Virtanen, Perhepalvelut" in form
    assert "Johan" not in form  # Erkki's caseworker, never Aino's

    sent = await write(world, unit_id=f"{world.family.unit_id}+{world.family.maria}")
    assert sent.status == 303
    thread_path = sent.headers["Location"].split("?")[0]
    page = await (await client.get(thread_path)).text()
    assert "Maria Virtanen, Perhepalvelut" in page
    async with world.client.app[sessions_key]() as session:
        thread = await session.scalar(select(MessageThread))
    assert thread is not None
    assert (thread.caseworker_id, thread.assigned_to) == (world.family.maria, world.family.maria)

    async with world.staff("maria@example.com") as maria:
        inbox = await (await maria.get("/staff/messages")).text()
        assert "Vastaanottaja Maria Virtanen" in inbox
        thread_page = await (await maria.get(f"/staff/messages/{thread.id}")).text()
        assert "Asiakas kirjoitti työntekijälle Maria Virtanen." in thread_page
        [listed_thread] = (await (await maria.get("/api/v1/threads")).json())["threads"]
        assert listed_thread["addressed_to"] == "Maria Virtanen"

    await world.deliver()
    told = [to for to, _message in world.notices()]
    assert told == [["maria@example.com"]]
    for _to, message in world.notices():
        words = message.get_body(("plain",)).get_content()
        assert SUBJECT not in words and BODY not in words


async def test_only_a_caseworker_the_client_has_met_can_be_chosen(world: MessagesWorld) -> None:
    await world.identify("aino")
    johan = await write(world, unit_id=f"{world.family.unit_id}+{world.family.johan}")
    assert johan.status == 422
    page = await johan.text()
    assert "Valitse joku yksikön työntekijöistä, jonka olet tavannut." in page
    assert f'value="{SUBJECT}"' in page
    # Sanna works in the adult unit: she cannot be reached through the family unit.
    api = await world.client.post(
        "/api/v1/my/threads",
        json={
            "unit_id": world.family.unit_id,
            "caseworker_id": world.sanna,
            "subject": SUBJECT,
            "body": BODY,
        },
    )
    assert api.status == 422
    assert [e["field"] for e in (await api.json())["errors"]] == ["unit_id"]
    assert await thread_count(world) == 0
    fine = await world.client.post(
        "/api/v1/my/threads",
        json={
            "unit_id": world.adult_unit_id,
            "caseworker_id": world.sanna,
            "subject": SUBJECT,
            "body": BODY,
        },
    )
    assert fine.status == 201, await fine.text()
