"""Kohtaamo's VideoRoom seats against a real Janus: publish, subscribe to everyone, remove."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiortc import RTCConfiguration

from sfu.janus import Janus, JanusError
from sfu.videoroom import RoomControl, RoomKeys, Seat
from tests.janus_gateway import JanusGateway
from tests.janus_gateway import janus as janus
from tests.janus_gateway import sfu_ice as sfu_ice
from tests.video.peers import BLUE, GREEN, RED, close_colour, until
from tests.video.sfu_peers import SfuMedia

pytestmark = pytest.mark.fenced


class Person:
    """A seat driven directly (no browser protocol): what Janus offers is answered at once."""

    def __init__(self, gateway: Janus, keys: RoomKeys, feed: str, colour: Any) -> None:
        self.feed = feed
        self.colour = colour
        self.media = SfuMedia(RTCConfiguration(iceServers=[]), colour=colour)
        self.seat = Seat(gateway, keys, feed, self._told)
        self._work: set[asyncio.Task[None]] = set()

    def _told(self, message: dict[str, Any]) -> None:
        if message["type"] == "sfu-offer":
            task = asyncio.create_task(self._answer(message))
            self._work.add(task)
            task.add_done_callback(self._work.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        answer = await self.media.subscription_answer(message["description"], message["streams"])
        await self.seat.answer_subscription(answer)
        await self.seat.trickle("subscribe", None)  # aiortc's candidates are all in its answer

    async def join(self) -> None:
        await self.seat.open(self.feed)
        await self.seat.start_receiving()
        await self.media.published(await self.seat.publish(await self.media.publish_offer()))
        await self.seat.trickle("publish", None)

    async def close(self) -> None:
        await self.seat.close()
        await self.media.close()


@pytest.fixture
async def control(janus: JanusGateway) -> AsyncIterator[RoomControl]:
    async with aiohttp.ClientSession() as http:
        gateway = Janus(janus.url, janus.api_secret, http)
        await gateway.start()
        control = RoomControl(gateway, janus.admin_key)
        await control.start()
        yield control
        await gateway.close()


async def test_three_seats_see_each_other_and_a_removed_one_is_gone(
    control: RoomControl, sfu_ice: None
) -> None:
    keys = await control.create("meeting-1", capacity=16)
    [room] = [r for r in await control.rooms() if r.room == keys.room]
    assert room.recording is False
    people = [
        Person(control.janus, keys, feed, colour)
        for feed, colour in (("anna", RED), ("bert", GREEN), ("cecilia", BLUE))
    ]
    try:
        for person in people:
            await person.join()
        for person in people:
            others = [p.feed for p in people if p is not person]
            await person.media.wait_for_video(others)
            for other in people:
                if other is not person:
                    assert close_colour(person.media.colour(other.feed), other.colour)

        await control.kick(keys, "cecilia")
        anna = people[0]
        before = anna.media.frames("cecilia")
        await asyncio.sleep(1.0)
        assert anna.media.frames("cecilia") - before < 5
        await until(lambda: anna.media.frames("bert") > 0, within=1, what="bert still")
    finally:
        for person in people:
            await person.close()
        await control.destroy(keys)
    assert keys.room not in [r.room for r in await control.rooms()]


async def test_a_wrong_api_secret_is_refused(janus: JanusGateway) -> None:
    async with aiohttp.ClientSession() as http:
        gateway = Janus(janus.url, "not-the-secret", http)
        await gateway.start()
        with pytest.raises(JanusError, match="Unauthorized"):
            await gateway.create_session()
        await gateway.close()
