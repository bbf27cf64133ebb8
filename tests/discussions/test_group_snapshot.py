"""The rooms as another instance would carry them on: a snapshot is plain JSON (resume tokens
and browsers only as hashes), and a registry restored from it goes on where the first left
off: a held message is approved, a dropped participant resumes with what they missed, the muted
stay muted, the removed stay out, and the room still ends at its time."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.websockets import Refusal
from discussions.protocol import Approve, Mute, Remove, Say
from discussions.room import Entry, Seat
from discussions.rooms import GroupRooms
from discussions.types import RoomInfo

NOW = datetime(2027, 3, 10, 16, 0, tzinfo=UTC)
INFO = RoomInfo(
    session_id="s1",
    topic="Arki",
    starts_at=NOW,
    ends_at=NOW + timedelta(minutes=90),
    capacity=10,
    premoderation=True,
    cancelled=False,
    host_id="maria",
    host_name="Maria Virtanen",
)


class Recorder:
    """A link that keeps what it was sent, and how it was closed."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def last(self, kind: str) -> dict[str, Any]:
        return next(m for m in reversed(self.sent) if m["type"] == kind)


class Records:
    def __init__(self) -> None:
        self.actions: list[tuple[str, str, str]] = []

    async def staff_action(self, user_id: str, action: str, session_id: str) -> None:
        self.actions.append((user_id, action, session_id))


def entry(nickname: str | None, browser: str, **more: Any) -> Entry:
    """A hello as the route resolves it (``browser`` stands for the keyed hash of a cookie)."""
    values = {"info": INFO, "nickname": nickname, "resume": None, "seen": 0, "browser": browser}
    return Entry(**(values | more))


async def test_a_restored_registry_carries_on() -> None:
    clock = [NOW]
    first = GroupRooms(Records(), clock=lambda: clock[0])
    host_link, anna_link, ben_link = Recorder(), Recorder(), Recorder()
    host = first.enter(
        entry(None, "b-host", staff_id="maria", staff_name="Maria Virtanen"), host_link
    )
    anna = first.enter(entry("Anna", "b-anna"), anna_link)
    ben = first.enter(entry("Ben", "b-ben"), ben_link)
    anna_resume = anna_link.last("welcome")["resume"]
    first.message(anna, Say(text="Kuuleeko kukaan?"))
    first.message(anna, Say(text="Toinen viesti"))
    held = host_link.last("message")
    first.message(host, Approve(seq=1))
    seen = anna_link.last("message")["mark"]
    first.message(host, Mute(member=ben.member_id))

    state = json.loads(json.dumps(first.snapshot()))  # JSON through and through
    text = json.dumps(state)
    assert anna_resume not in text  # only the token's hash
    assert [m["state"] for m in state["rooms"][0]["messages"]] == ["approved", "held"]
    first.drop()

    second = GroupRooms(Records(), clock=lambda: clock[0])
    second.restore(state)
    assert second.present("s1") == 3
    # The host comes back (known by who she is) and approves what was waiting.
    back_host = Recorder()
    host_again = second.enter(
        entry(None, "b-host", staff_id="maria", staff_name="Maria Virtanen"), back_host
    )
    assert host_again == host
    assert held["seq"] == 2
    second.message(host_again, Approve(seq=2))
    # Anna resumes with what she missed: the second message, approved meanwhile.
    back_anna = Recorder()
    anna_again = second.enter(entry("", "b-anna", resume=anna_resume, seen=seen), back_anna)
    assert anna_again == anna
    welcome = back_anna.last("welcome")
    assert [(m["text"], m["state"]) for m in welcome["messages"]] == [("Toinen viesti", "approved")]
    # Ben is still muted; once removed his browser stays out.
    back_ben = Recorder()
    ben_again = second.enter(
        entry("", "b-ben", resume=ben_link.last("welcome")["resume"]), back_ben
    )
    assert back_ben.last("welcome")["muted"] is True
    second.message(ben_again, Say(text="Saanko puhua?"))
    assert back_ben.last("error")["code"] == "muted"
    second.message(host_again, Remove(member=ben.member_id))
    assert back_ben.closed == (4403, "removed")
    restored_again = GroupRooms(Records(), clock=lambda: clock[0])
    restored_again.restore(json.loads(json.dumps(second.snapshot())))
    with pytest.raises(Refusal) as refused:
        restored_again.enter(entry("Bertta", "b-ben"), Recorder())
    assert refused.value.code == 4403
    restored_again.drop()

    # The room still ends at its time.
    clock[0] = INFO.ends_at
    second.update(INFO)  # nothing changed: no effect
    second._time_up("s1")
    assert back_anna.last("ended")["reason"] == "time" and back_anna.closed == (4410, "ended")
    assert second.snapshot()["rooms"] == []


async def test_a_restored_room_ends_by_its_timer() -> None:
    clock = [INFO.ends_at - timedelta(seconds=0.2)]
    first = GroupRooms(Records(), clock=lambda: clock[0])
    link = Recorder()
    seat = first.enter(entry("Anna", "b-anna"), link)
    state = first.snapshot()
    first.drop()
    second = GroupRooms(Records(), clock=lambda: clock[0])
    second.restore(state)
    clock[0] = INFO.ends_at
    await asyncio.sleep(0.4)
    assert second.present(seat.session_id) == 0
    assert second.snapshot()["rooms"] == []


def test_a_seat_is_plain_values() -> None:
    assert Seat("s1", "m1") == Seat(
        **json.loads(json.dumps({"session_id": "s1", "member_id": "m1"}))
    )
