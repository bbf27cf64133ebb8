"""The wellbeing plan beside the video, through the real WebSocket: the caseworker opens the
client's plan, both edit it and see each other's changes, the caseworker saves it as a new
version, and the client accepts that version on their own pages. A goal follow-up pushed in the
same meeting opens with the plan's goals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select, update

from assessments.service import goals_followed_up
from audit.models import AccessLogEntry
from booking.models import Booking
from core.app_keys import sessions_key
from plans.follow_up import with_plan_goals
from tests.messaging.conftest import MessagesWorld, smtp, world
from tests.plans.test_plans import ACTION, GOAL, save
from tests.video.test_signaling import Socket, closed_with, expect

__all__ = ["smtp", "world"]
CALL = "Soittaa vuokranantajalle"


async def open_now(world: MessagesWorld, booking_id: str) -> None:
    """Move the booking to begin in five minutes, so that its room is open."""
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    ends_at = starts_at + timedelta(minutes=45)
    async with world.client.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(
                starts_at=starts_at, ends_at=ends_at, blocked_from=starts_at, blocked_until=ends_at
            )
        )


async def in_the_room(
    world: MessagesWorld, maria: aiohttp.ClientSession, resume: str | None = None
) -> tuple[Socket, Socket, dict[str, Any]]:
    booking_id = world.bookings["family"]
    path = f"/api/v1/meetings/{booking_id}/ws"
    host = await maria.ws_connect(path)
    await host.send_json({"type": "hello", "v": 1})
    await expect(host, "welcome")
    aino = await world.client.ws_connect(path)
    credential = {"kind": "client", "token": world.manage_tokens["family"]}
    await aino.send_json({"type": "hello", "v": 1, "credential": credential})
    welcome = await expect(aino, "welcome")
    await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
    await expect(aino, "admitted")
    return host, aino, welcome


async def change(socket: Socket, plan: str, field: str, value: str) -> None:
    await socket.send_json({"type": "plan-change", "plan": plan, "field": field, "value": value})


async def test_the_plan_is_edited_together_in_the_meeting_and_accepted(
    world: MessagesWorld,
) -> None:
    family = world.bookings["family"]
    await open_now(world, family)
    async with world.staff("maria@example.com") as maria:
        assert (await save(maria, family, [(GOAL, [(ACTION, "Aino", "2027-01-31")])])).status == 200
        page = await (await maria.get(f"/caseworker/bookings/{family}/meeting")).text()
        assert "Avaa suunnitelma asiakkaan kanssa" in page
        host, aino, welcome = await in_the_room(world, maria)

        await host.send_json({"type": "plan-open"})
        shown = await expect(aino, "plan")
        assert (shown["number"], shown["goals"]) == (
            1,
            [{"goal": GOAL, "actions": [{"what": ACTION, "who": "Aino", "by": "2027-01-31"}]}],
        )
        plan = (await expect(host, "plan"))["id"]

        # The client adds an action; the caseworker sees it field by field.
        await change(aino, plan, "goals.0.actions.1.what", CALL)
        await change(aino, plan, "goals.0.actions.1.who", "Maria")
        seen = await expect(host, "plan-change")
        assert (seen["field"], seen["value"]) == ("goals.0.actions.1.what", CALL)
        assert (await expect(host, "plan-change"))["value"] == "Maria"
        # A row that cannot be there yet is refused, to the sender only.
        await change(aino, plan, "goals.3.goal", "Kolmas")
        assert (await expect(aino, "error"))["code"] == "plan-field"

        # Half an action is not saved: both are told which field is missing.
        await change(host, plan, "goals.0.actions.2.who", "Aino")
        await host.send_json({"type": "plan-save", "plan": plan})
        refused = await expect(host, "error")
        assert refused["code"] == "plan-not-saved"
        assert list(refused["fields"]) == ["goals.0.actions.2.what"]
        await change(host, plan, "goals.0.actions.2.who", "")
        await host.send_json({"type": "plan-save", "plan": plan})
        assert (await expect(aino, "plan-saved"))["number"] == 2
        saved = await expect(aino, "plan")
        assert [a["what"] for a in saved["goals"][0]["actions"]] == [ACTION, CALL]

        # The client drops and comes back: the plan is there as it is now.
        await aino.close()
        again = await world.client.ws_connect(f"/api/v1/meetings/{family}/ws")
        credential = {"kind": "client", "token": world.manage_tokens["family"]}
        hello = {"type": "hello", "v": 1, "credential": credential, "resume": welcome["resume"]}
        await again.send_json(hello)
        assert (await expect(again, "welcome"))["state"] == "admitted"
        assert (await expect(again, "plan"))["number"] == 2

        # Only the host opens, saves or closes it.
        await again.send_json({"type": "plan-save", "plan": plan})
        assert (await closed_with(again))[0] == 4403
        await host.close()

    # The client accepts the caseworker's new version on their own pages.
    await world.identify("aino")
    [mine] = (await (await world.client.get("/api/v1/my/plans")).json())["plans"]
    accepted = await world.client.post(f"/api/v1/my/plans/{mine['id']}/accept", json={"number": 2})
    assert accepted.status == 204, await accepted.text()
    async with world.client.app[sessions_key]() as session:
        reads = (
            await session.scalars(
                select(AccessLogEntry.action).where(AccessLogEntry.subject_id == mine["id"])
            )
        ).all()
    assert {"plan.read", "plan.write"} <= set(reads)


async def test_a_goal_follow_up_opens_with_the_plans_goals(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    await open_now(world, family)
    second = "Aino saa työkokeilupaikan"
    async with world.staff("maria@example.com") as maria:
        rows = [(GOAL, [(ACTION, "Aino", "")]), (second, [])]
        assert (await save(maria, family, rows)).status == 200
        host, aino, _welcome = await in_the_room(world, maria)
        await host.send_json({"type": "assessment-start", "template": "goal-follow-up"})
        pushed = await expect(aino, "assessment")
        assert pushed["answers"] == {
            "goal_1": GOAL,
            "goal_2": second,
            "more_goals": "yes",
            "third_goal": "no",
        }
        await host.close()


async def test_no_plan_opens_for_a_client_who_is_not_identified(world: MessagesWorld) -> None:
    erkki = world.bookings["erkki"]
    await open_now(world, erkki)
    async with world.client.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking).where(Booking.id == erkki).values(client_identity_hash=None)
        )
    async with world.staff("johan@example.com") as johan:
        page = await (await johan.get(f"/caseworker/bookings/{erkki}/meeting")).text()
        assert "plan-panel" not in page
        host = await johan.ws_connect(f"/api/v1/meetings/{erkki}/ws")
        await host.send_json({"type": "hello", "v": 1})
        await expect(host, "welcome")
        await host.send_json({"type": "plan-open"})
        refused = await expect(host, "error")
        assert refused["code"] == "plan-unavailable"
        assert "identity code" in refused["fields"]["goals.0.goal"]
        await host.close()


def test_the_last_follow_ups_ratings_carry_over_only_to_goals_worded_the_same() -> None:
    last = {
        "goal_1": GOAL,
        "goal_1_now": 6,
        "goal_1_note": "Vuokra maksettu",
        "goal_2": "Vanha tavoite",
        "goal_2_now": 3,
        "more_goals": "yes",
        "third_goal": "no",
    }
    carried = goals_followed_up(last)
    assert carried == {
        "goal_1": GOAL,
        "goal_1_before": 6,
        "goal_2": "Vanha tavoite",
        "goal_2_before": 3,
        "more_goals": "yes",
        "third_goal": "no",
    }
    assert with_plan_goals(carried, [GOAL, "Uusi tavoite", "Kolmas"]) == {
        "goal_1": GOAL,
        "goal_1_before": 6,
        "goal_2": "Uusi tavoite",
        "goal_3": "Kolmas",
        "more_goals": "yes",
        "third_goal": "yes",
    }
