"""The wellbeing plan made together: the caseworker drafts goals and agreed actions, the client
proposes a change, the caseworker takes it up, the client accepts; versions are kept, nothing is
overwritten, and nobody else sees the plan."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import text

from core.app_keys import sessions_key
from tests.messaging.conftest import MessagesWorld, csrf_of, smtp, world
from tests.mypages.test_my_pages import book

__all__ = ["smtp", "world"]
GOAL = "Asunto säilyy ja vuokrarästit maksetaan"
ACTION = "Hakee toimeentulotukea"


def plan_form(token: str, rows: list[tuple[str, list[tuple[str, str, str]]]]) -> dict[str, str]:
    form = {"csrf_token": token}
    for i, (goal, actions) in enumerate(rows):
        form[f"goals.{i}.goal"] = goal
        for j, (what, who, by) in enumerate(actions):
            form |= {
                f"goals.{i}.actions.{j}.what": what,
                f"goals.{i}.actions.{j}.who": who,
                f"goals.{i}.actions.{j}.by": by,
            }
    return form


async def save(
    session: Any, booking_id: str, rows: list[tuple[str, list[tuple[str, str, str]]]]
) -> aiohttp.ClientResponse:
    path = f"/caseworker/bookings/{booking_id}/plan"
    page = await (await session.get(path)).text()
    return await session.post(path, data=plan_form(csrf_of(page), rows))


async def test_a_plan_is_drafted_changed_together_and_accepted(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    async with world.staff("maria@example.com") as maria:
        saved = await save(maria, family, [(GOAL, [(ACTION, "Aino", "2027-01-31")])])
        assert saved.status == 200
        assert "Suunnitelma tallennettiin uutena versiona" in await saved.text()

    await world.identify("aino")
    client = world.client
    [plan] = (await (await client.get("/api/v1/my/plans")).json())["plans"]
    page = await (await client.get(f"/my/plans/{plan['id']}")).text()
    assert GOAL in page and ACTION in page and "31.01.2027" in page
    assert "Hyväksyn suunnitelman" in page
    proposed = await client.post(
        f"/my/plans/{plan['id']}",
        data=plan_form(
            csrf_of(page),
            [(GOAL, [(ACTION, "Aino", "2027-01-31"), ("Soittaa vuokranantajalle", "Maria", "")])],
        ),
    )
    assert proposed.status == 200
    assert "Ehdotuksesi tallennettiin" in await proposed.text()
    own = await client.post(f"/api/v1/my/plans/{plan['id']}/accept", json={"number": 2})
    assert own.status == 409  # one's own proposal is not accepted: the caseworker takes it up

    async with world.staff("maria@example.com") as maria:
        waiting = await (await maria.get(f"/caseworker/bookings/{family}/plan")).text()
        assert "asiakkaan ehdotus" in waiting and "Soittaa vuokranantajalle" in waiting
        await save(
            maria,
            family,
            [(GOAL, [(ACTION, "Aino", "2027-01-31"), ("Soittaa vuokranantajalle", "Maria", "")])],
        )
    stale = await client.post(f"/api/v1/my/plans/{plan['id']}/accept", json={"number": 2})
    assert stale.status == 409
    page = await (await client.get(f"/my/plans/{plan['id']}")).text()
    accepted = await client.post(
        f"/my/plans/{plan['id']}",
        data={"csrf_token": csrf_of(page), "action": "accept", "number": "3"},
    )
    assert accepted.status == 200
    assert "Hyväksyit suunnitelman." in await accepted.text()
    [after] = (await (await client.get("/api/v1/my/plans")).json())["plans"]
    assert [
        (v["number"], v["author"], v["accepted_at"] is not None) for v in after["versions"]
    ] == [
        (1, "caseworker", False),
        (2, "client", False),
        (3, "caseworker", True),
    ]
    async with world.staff("maria@example.com") as maria:
        api = await (await maria.get(f"/api/v1/bookings/{family}/plan")).json()
        assert api["versions"][-1]["goals"][0]["actions"][1]["who"] == "Maria"


async def test_bad_input_is_named_and_kept(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    async with world.staff("maria@example.com") as maria:
        missing = await save(maria, family, [(GOAL, [(ACTION, "", "31.1.2027")])])
        assert missing.status == 422
        page = await missing.text()
        assert "Kerro, kuka sen tekee." in page and "Anna päivämäärä" in page
        assert f">{GOAL}</textarea>" in page and f'value="{ACTION}"' in page
        empty = await save(maria, family, [])
        assert empty.status == 422
        assert "Kirjoita vähintään yksi tavoite." in await empty.text()
        nobody = await book(
            world.client, world.family, world.family.maria, world.family.meeting_type_id, 15, ""
        )
        unidentified = await maria.get(f"/caseworker/bookings/{nobody}/plan")
        assert unidentified.status == 422
        assert "tunnistautuneen asiakkaan kanssa" in await unidentified.text()
        assert (await maria.get(f"/api/v1/bookings/{family}/plan")).status == 404  # none yet


async def test_nobody_else_sees_the_plan(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    async with world.staff("maria@example.com") as maria:
        await save(maria, family, [(GOAL, [(ACTION, "Aino", "")])])
    await world.identify("aino")
    [plan] = (await (await world.client.get("/api/v1/my/plans")).json())["plans"]
    await world.identify("erkki")
    assert (await world.client.get(f"/my/plans/{plan['id']}")).status == 404
    refused = await world.client.post(f"/api/v1/my/plans/{plan['id']}/accept", json={"number": 1})
    assert refused.status == 404
    assert (await (await world.client.get("/api/v1/my/plans")).json())["plans"] == []
    world.client.session.cookie_jar.clear()
    assert (await world.client.get("/api/v1/my/plans")).status == 401
    for other in ("johan@example.com", "sanna@example.com"):
        async with world.staff(other) as colleague:
            assert (await colleague.get(f"/api/v1/bookings/{family}/plan")).status == 404
            put = await colleague.put(
                f"/api/v1/bookings/{family}/plan", json={"goals": [{"goal": "x", "actions": []}]}
            )
            assert put.status == 404
    async with world.client.app[sessions_key]() as session:
        stored = await session.scalar(text("SELECT goals FROM wellbeing_plan_versions"))
    assert stored.startswith("k1.") and "vuokra" not in stored
