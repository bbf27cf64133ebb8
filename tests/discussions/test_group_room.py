"""A group discussion through the real WebSockets: participants join with nicknames, the host
holds their messages for approval, approves or rejects them, a moderator hides one, mutes and
removes a participant whose browser is then refused; a dropped participant resumes with what
they missed; the room is full at its capacity; it ends at its time, or when the host ends it,
and what was said is gone. Only the staff's actions are written, never a word."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from core.db import Base
from discussions.keys import group_rooms_key
from tests.discussions.conftest import (
    ENDS,
    STARTS,
    GroupWorld,
    closed_with,
    expect,
    next_frame,
    quiet,
)

QUESTION = "Miten saan teinin puhumaan minulle?"
ANSWER = "Hyvä kysymys, kerrotaan kokemuksia vuorotellen."
REFUSED = "Tätä ei kannata julkaista."


async def test_held_messages_reach_the_others_only_once_the_host_approves(
    group_world: GroupWorld,
) -> None:
    host = await group_world.host()
    anna, welcome = await group_world.join("Anna")
    assert (welcome["role"], welcome["nickname"], welcome["messages"]) == (
        "participant",
        "Anna",
        [],
    )
    assert welcome["session"]["premoderation"] is True and welcome["resume"]
    ben, _ = await group_world.join("Ben")
    people = await expect(host, "members")
    while people["count"] < 3:
        people = await expect(host, "members")
    assert sorted(p["nickname"] for p in people["people"]) == ["Anna", "Ben", "Maria"]

    await anna.send_json({"type": "say", "text": QUESTION})
    held = await expect(anna, "held")
    assert (held["text"], held["state"], held["mine"]) == (QUESTION, "held", True)
    for_host = await expect(host, "message")
    assert (for_host["state"], for_host["member"]) == ("held", welcome["member"])
    await quiet(ben, "members")  # Ben sees nothing of it yet

    await host.send_json({"type": "approve", "seq": held["seq"]})
    seen_by_ben = await expect(ben, "message")
    assert (seen_by_ben["text"], seen_by_ben["state"], seen_by_ben["nickname"]) == (
        QUESTION,
        "approved",
        "Anna",
    )
    assert "member" not in seen_by_ben  # participants get no one's member id
    assert (await expect(anna, "message"))["state"] == "approved"

    # The host's own words need no approval.
    await host.send_json({"type": "say", "text": ANSWER})
    said = await expect(ben, "message")
    assert (said["text"], said["role"], said["nickname"]) == (ANSWER, "host", "Maria")

    await ben.send_json({"type": "say", "text": REFUSED})
    refused = await expect(ben, "held")
    await expect(host, "message")
    await host.send_json({"type": "reject", "seq": refused["seq"]})
    assert (await expect(ben, "message"))["state"] == "rejected"
    await host.send_json({"type": "approve", "seq": refused["seq"]})
    assert (await expect(host, "error"))["code"] == "no-message"
    await quiet(anna, "members", "message")
    await group_world.app[group_rooms_key].flush()

    async with group_world.app[sessions_key]() as session:
        actions = (await session.scalars(select(AccessLogEntry.action))).all()
        rows = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in (await session.execute(select(table))).all()
        ]
    assert {"group.host-joined", "group.approve", "group.reject"} <= set(actions)
    everything = "\n".join(rows)
    for words in (QUESTION, ANSWER, REFUSED, "Anna", "Ben"):
        assert words not in everything, words


async def test_a_moderator_hides_a_message_mutes_and_removes_a_participant(
    group_world: GroupWorld,
) -> None:
    group_world.session_id = await group_world.plan(premoderation=False)
    johan = await group_world.host("johan@example.com")
    anna_browser = await group_world.browser()
    anna, anna_welcome = await group_world.join("Anna", anna_browser)
    ben_browser = await group_world.browser()
    ben, ben_welcome = await group_world.join("Ben", ben_browser)

    await ben.send_json({"type": "say", "text": REFUSED})
    shown = await expect(anna, "message")
    assert (shown["text"], shown["state"]) == (REFUSED, "approved")
    await johan.send_json({"type": "hide", "seq": shown["seq"]})
    hidden = await expect(anna, "hidden")
    assert hidden["seq"] == shown["seq"] and "text" not in hidden
    assert (await expect(ben, "hidden"))["seq"] == shown["seq"]
    # Staff still see it, marked hidden.
    assert (await expect(johan, "message", state="hidden"))["text"] == REFUSED

    # Muted: Ben may read but not write, even after coming back from another tab.
    await johan.send_json({"type": "mute", "member": ben_welcome["member"]})
    assert (await expect(ben, "muted"))["on"] is True
    await ben.send_json({"type": "say", "text": "Miksi?"})
    assert (await expect(ben, "error"))["code"] == "muted"
    people = await expect(johan, "members")
    assert {p["nickname"]: p["muted"] for p in people["people"]}["Ben"] is True
    await johan.send_json({"type": "unmute", "member": ben_welcome["member"]})
    assert (await expect(ben, "muted"))["on"] is False
    await ben.send_json({"type": "say", "text": "Anteeksi."})
    assert (await expect(anna, "message"))["text"] == "Anteeksi."

    # Removed: out, and this browser is refused for the rest of the session.
    await johan.send_json({"type": "remove", "member": ben_welcome["member"]})
    await expect(ben, "removed")
    assert await closed_with(ben) == (4403, "removed")
    again = await group_world.connect(ben_browser, nickname="Bertta")
    assert await closed_with(again) == (4403, "removed")
    resumed = await group_world.connect(ben_browser, resume=ben_welcome["resume"])
    assert await closed_with(resumed) == (4403, "removed")
    # A participant cannot act as staff; Anna's own browser is still welcome.
    await anna.send_json({"type": "remove", "member": anna_welcome["member"]})
    assert (await closed_with(anna))[0] == 4400
    _, back = await group_world.join("Anna", anna_browser, resume=anna_welcome["resume"])
    assert back["member"] == anna_welcome["member"]
    await johan.send_json({"type": "mute", "member": "no-such-member"})
    assert (await expect(johan, "error"))["code"] == "no-member"
    await group_world.app[group_rooms_key].flush()
    async with group_world.app[sessions_key]() as session:
        actions = (await session.scalars(select(AccessLogEntry.action))).all()
    assert {"group.hide", "group.mute", "group.unmute", "group.remove"} <= set(actions)


async def test_a_dropped_participant_resumes_with_what_they_missed(
    group_world: GroupWorld,
) -> None:
    host = await group_world.host()
    browser = await group_world.browser()
    anna, welcome = await group_world.join("Anna", browser)
    ben, _ = await group_world.join("Ben")
    await ben.send_json({"type": "say", "text": "Ensimmäinen"})
    first = await expect(host, "message")
    await host.send_json({"type": "approve", "seq": first["seq"]})
    approved = await expect(anna, "message")
    await ben.send_json({"type": "say", "text": "Toinen, odottaa"})
    waiting = await expect(host, "message", state="held")
    await anna.close()

    # While Anna is away: the waiting one is approved, the host writes, the first is hidden.
    await host.send_json({"type": "approve", "seq": waiting["seq"]})
    await host.send_json({"type": "say", "text": ANSWER})
    await host.send_json({"type": "hide", "seq": first["seq"]})
    await expect(ben, "hidden")

    resumed, again = await group_world.join(
        "", browser, resume=welcome["resume"], seen=approved["mark"]
    )
    assert (again["member"], again["nickname"], again["resume"]) == (
        welcome["member"],
        "Anna",
        None,
    )
    missed = [(m["type"], m.get("text")) for m in again["messages"]]
    assert missed == [("hidden", None), ("message", "Toinen, odottaa"), ("message", ANSWER)]
    # A page that lost everything asks from the start: the hidden one comes without its words.
    _, from_start = await group_world.join("", browser, resume=welcome["resume"], seen=0)
    assert [m.get("text") for m in from_start["messages"]] == [None, "Toinen, odottaa", ANSWER]
    # The newer connection replaced the older one.
    assert await closed_with(resumed) == (4409, "replaced")


async def test_the_room_holds_its_capacity_and_staff_come_on_top(group_world: GroupWorld) -> None:
    group_world.session_id = await group_world.plan(capacity="2")
    anna, _ = await group_world.join("Anna")
    await group_world.join("Ben")
    full = await group_world.connect(nickname="Cecilia")
    assert await closed_with(full) == (4413, "full")
    await group_world.host()  # the host is not counted
    await anna.send_json({"type": "leave"})
    assert (await closed_with(anna))[0] == 1000
    _, welcome = await group_world.join("Cecilia")
    assert welcome["members"] == 3


async def test_nicknames_are_unique_and_never_pass_for_the_staff(group_world: GroupWorld) -> None:
    await group_world.join("Anna")
    for nickname, reason in [
        ("ANNA", "nickname-taken"),
        ("Ánna", "nickname-taken"),
        ("Host", "nickname-reserved"),
        ("M0deraattori", "nickname-reserved"),
        ("Maria", "nickname-reserved"),  # the host's name
        ("Johan L", "nickname-reserved"),  # a moderator's
        ("x", "nickname-invalid"),
        ("<script>", "nickname-invalid"),
        ("a" * 31, "nickname-invalid"),
    ]:
        socket = await group_world.connect(nickname=nickname)
        assert await closed_with(socket) == (4422, reason), nickname
    _, welcome = await group_world.join("  Äiti   kolmelle  ")
    assert welcome["nickname"] == "Äiti kolmelle"


async def test_joining_opens_ten_minutes_before_and_closes_at_the_end(
    group_world: GroupWorld,
) -> None:
    group_world.at(STARTS - timedelta(minutes=11))
    assert (await closed_with(await group_world.connect(nickname="Anna")))[0] == 4425
    group_world.at(STARTS - timedelta(minutes=10))
    await group_world.join("Anna")
    group_world.at(ENDS)
    assert (await closed_with(await group_world.connect(nickname="Ben")))[0] == 4410
    missing = await group_world.connect(
        await group_world.browser(), session="00000000-0000-0000-0000-000000000000", nickname="X"
    )
    assert (await closed_with(missing))[0] == 4404


async def test_the_room_ends_at_its_time_and_forgets_what_was_said(
    group_world: GroupWorld,
) -> None:
    group_world.session_id = await group_world.plan(premoderation=False)
    rooms = group_world.app[group_rooms_key]
    group_world.at(ENDS - timedelta(seconds=1))
    host = await group_world.host()
    anna, _ = await group_world.join("Anna")
    await anna.send_json({"type": "say", "text": QUESTION})
    await expect(host, "message")
    assert rooms.snapshot()["rooms"][0]["messages"][0]["text"] == QUESTION
    group_world.at(ENDS)
    assert (await expect(anna, "ended", within=3))["reason"] == "time"
    assert (await expect(host, "ended"))["reason"] == "time"
    assert (await closed_with(anna))[0] == 4410
    assert rooms.snapshot()["rooms"] == []
    assert rooms.present(group_world.session_id) == 0


async def test_the_host_ends_the_room_early_and_nobody_comes_back(
    group_world: GroupWorld,
) -> None:
    host = await group_world.host()
    anna, _ = await group_world.join("Anna")
    await host.send_json({"type": "end"})
    assert (await expect(anna, "ended"))["reason"] == "host"
    assert (await closed_with(anna))[0] == 4410
    assert (await closed_with(await group_world.connect(nickname="Ben")))[0] == 4410


async def test_staff_who_are_not_its_host_join_like_anyone(group_world: GroupWorld) -> None:
    group_world.session_id = await group_world.plan(moderator_ids=())
    johan = await group_world.staff("johan@example.com")
    refused = await group_world.connect(johan)  # no nickname: not the session's staff
    assert (await closed_with(refused))[0] == 4422
    socket = await group_world.connect(johan, nickname="Isä")
    welcome = await expect(socket, "welcome")
    assert welcome["role"] == "participant"
    await socket.send_json({"type": "hide", "seq": 1})
    assert (await closed_with(socket))[0] == 4400


async def test_a_second_tab_of_the_host_takes_over(group_world: GroupWorld) -> None:
    maria = await group_world.staff("maria@example.com")
    first = await group_world.connect(maria)
    welcome = await expect(first, "welcome")
    second = await group_world.connect(maria)
    again = await expect(second, "welcome")
    assert again["member"] == welcome["member"]
    assert await closed_with(first) == (4409, "replaced")
    frame = await next_frame(second)
    assert frame["type"] == "members"
    await asyncio.sleep(0)
