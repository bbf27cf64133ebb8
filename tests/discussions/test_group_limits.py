"""What a group discussion's socket refuses: malformed, oversized, unknown and binary frames, a
second hello, another protocol version, too many frames a second, writing too fast, too many
sockets from one address; each closes only its own connection, and the room goes on."""

from __future__ import annotations

import asyncio

import pytest

from core.websockets import AddressLimits, Refusal
from discussions.keys import group_addresses_key
from discussions.limits import Pace
from discussions.protocol import Hello, Say, as_json, of_json, parse
from tests.discussions.conftest import GroupWorld, closed_with, expect


async def test_bad_frames_close_only_their_own_connection(group_world: GroupWorld) -> None:
    host = await group_world.host()
    cases = [
        ("not json", 4400),
        ("[1, 2]", 4400),
        ('{"type": "whisper", "to": "Ben", "text": "hei"}', 4400),  # no private messages
        ('{"type": "say", "text": "x", "extra": 1}', 4400),
        ('{"type": "say", "text": "' + "x" * 1001 + '"}', 4400),
        ('{"type": "say", "text": "   "}', 4400),
        ('{"type": "approve", "seq": "1"}', 4400),
        ('{"type": "approve", "seq": 1}', 4400),  # a moderator's action from a participant
        ('{"type": "end"}', 4400),
        ('{"type": "say", "text": "' + "x" * 17_000 + '"}', 1009),
        ('{"type": "hello", "v": 1, "session": "x", "nickname": "Toinen"}', 4400),
    ]
    for number, (frame, code) in enumerate(cases):
        # Each keeps its nickname a while after its close (to resume): a new one each time.
        person, _ = await group_world.join(f"Anna {number}")
        await person.send_str(frame)
        assert (await closed_with(person))[0] == code, frame
    binary, _ = await group_world.join("Bertta")
    await binary.send_bytes(b"\x00\x01")
    assert (await closed_with(binary))[0] == 4400
    old = await group_world.connect(nickname="Anna", v=2)
    assert (await closed_with(old))[0] == 4400
    first = await (await group_world.browser()).ws_connect("/api/v1/groups/ws")
    await first.send_json({"type": "say", "text": "hei"})  # hello must come first
    assert (await closed_with(first))[0] == 4400
    # The host's console goes on.
    await host.send_json({"type": "ping"})
    await expect(host, "pong")


async def test_floods_are_cut_per_connection_and_per_address(group_world: GroupWorld) -> None:
    flooding, _ = await group_world.join("Anna")
    for _ in range(30):
        await flooding.send_json({"type": "ping"})
    assert (await closed_with(flooding))[0] == 4429

    # Writing is slower than frames: five at once, then one every two seconds.
    writer, _ = await group_world.join("Ben")
    for number in range(6):
        await writer.send_json({"type": "say", "text": f"viesti {number}"})
    assert (await expect(writer, "error"))["code"] == "slow-down"

    # At most this many sockets from one address (the test client's 127.0.0.1).
    limits = group_world.app[group_addresses_key]
    limits._connections = 2  # Ben's, and one more
    third, _ = await group_world.join("Cecilia")
    extra = await group_world.connect(nickname="Daniel")
    code, reason = await closed_with(extra)
    assert (code, reason) == (4429, "too many connections from one address")
    await third.close()
    await writer.close()
    await asyncio.sleep(0.1)
    assert len(limits) == 0


def test_the_address_is_held_only_as_a_keyed_hash_and_forgotten() -> None:
    limits = AddressLimits(2, 20, 4429)
    with limits.hold("192.0.2.7") as bucket, limits.hold("192.0.2.7") as same:
        assert bucket is same  # the address's sockets share one bucket of frames
        assert "192.0.2.7" not in repr(limits._open)
        with pytest.raises(Refusal, match="too many"), limits.hold("192.0.2.7"):
            pass
    assert len(limits) == 0


def test_pace_allows_a_burst_then_one_at_a_time() -> None:
    pace = Pace(2, 60.0)
    assert [pace.allows() for _ in range(3)] == [True, True, False]


def test_frames_parse_to_plain_dataclasses_and_back() -> None:
    hello = parse('{"type": "hello", "v": 1, "session": "abc", "nickname": "Anna"}')
    assert isinstance(hello, Hello) and hello.seen == 0
    said = parse('{"type": "say", "text": "  hei  "}')
    assert said == Say(text="hei")
    assert as_json(said) == {"type": "say", "text": "hei"}
    assert of_json(as_json(said)) == said
