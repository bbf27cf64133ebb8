"""Several Janus gateways: a new meeting goes to the least loaded one, a meeting stays pinned to
its gateway for every instance (the assignment in Redis), and no gateway means no room."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiortc import RTCConfiguration
from redis.asyncio import Redis

from sfu.gateways import Gateways, NoGateway
from sfu.janus import Janus
from sfu.videoroom import RoomControl, RoomKeys, Seat
from tests.janus_gateway import JanusGateway, running_janus
from tests.janus_gateway import janus as janus
from tests.janus_gateway import sfu_ice as sfu_ice
from tests.video.sfu_peers import SfuMedia
from tests.video.synthetic import RED

pytestmark = pytest.mark.fenced

HOUR = 3600


@pytest.fixture
def second_janus(janus: JanusGateway, tmp_path: Path) -> Iterator[JanusGateway]:
    """Another Janus on the same fenced bridge, with the first one's secrets."""
    with running_janus(tmp_path / "janus-2", like=janus) as gateway:
        yield gateway


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def gateways_of(
    http: aiohttp.ClientSession, *janus: JanusGateway, shared: Redis | None = None
) -> Gateways:
    first = janus[0]
    urls = tuple(gateway.url for gateway in janus)
    return Gateways(urls, first.api_secret, first.admin_key, http, shared)


class Publisher:
    """One aiortc person publishing in a meeting's room."""

    def __init__(self, gateways: Gateways, keys: RoomKeys, name: str) -> None:
        self.seat = Seat(gateways.gateway(keys).janus, keys, name, lambda _message: None)
        self.media = SfuMedia(RTCConfiguration(iceServers=[]), colour=RED)
        self.name = name

    async def publish(self) -> None:
        await self.seat.open(self.name)
        await self.media.published(await self.seat.publish(await self.media.publish_offer()))

    async def close(self) -> None:
        await self.seat.close()
        await self.media.close()


async def test_a_new_meeting_goes_to_the_least_loaded_gateway(
    http: aiohttp.ClientSession, janus: JanusGateway, second_janus: JanusGateway, sfu_ice: None
) -> None:
    gateways = gateways_of(http, janus, second_janus)
    await gateways.start()
    people: list[Publisher] = []
    try:
        first = await gateways.room_for("meeting-a", 16, HOUR)
        assert first.server == janus.url  # both empty: the first listed
        for name in ("anna", "bert"):
            people.append(Publisher(gateways, first, name))
            await people[-1].publish()
        second = await gateways.room_for("meeting-b", 16, HOUR)
        assert second.server == second_janus.url
        assert await gateways.room_for("meeting-a", 16, HOUR) == first  # pinned
        health = await gateways.health()
        assert health == {
            "janus-1": {"status": "ok", "rooms": 1, "participants": 2},
            "janus-2": {"status": "ok", "rooms": 1, "participants": 0},
        }
    finally:
        for person in people:
            await person.close()
        await gateways.close()


async def test_every_instance_finds_the_meeting_on_the_gateway_it_was_pinned_to(
    http: aiohttp.ClientSession, janus: JanusGateway, redis: Redis, sfu_ice: None
) -> None:
    one = gateways_of(http, janus, shared=redis)
    other = gateways_of(http, janus, shared=redis)
    await one.start()
    await other.start()
    try:
        keys = await one.room_for("meeting-a", 16, HOUR)
        assert await other.room_for("meeting-a", 16, HOUR) == keys
        person = Publisher(other, keys, "anna")
        await person.publish()
        assert (await one.health())["janus-1"] == {"status": "ok", "rooms": 1, "participants": 1}
        await person.close()
        await other.close_room("meeting-a")
        assert (await one.health())["janus-1"]["rooms"] == 0
        assert await redis.get("kohtaamo:sfu:meeting:meeting-a") is None
    finally:
        await one.close()
        await other.close()


async def test_without_a_reachable_gateway_no_room_is_made(
    http: aiohttp.ClientSession, janus: JanusGateway
) -> None:
    wrong = Gateways((janus.url,), "not-the-api-secret", janus.admin_key, http, None)
    await wrong.start()
    try:
        assert not wrong.healthy()
        assert (await wrong.health())["janus-1"]["status"].startswith("unreachable")
        with pytest.raises(NoGateway):
            await wrong.room_for("meeting-b", 16, HOUR)
    finally:
        await wrong.close()


async def test_a_janus_that_records_a_room_takes_no_meeting(
    http: aiohttp.ClientSession, janus: JanusGateway, tmp_path: Path
) -> None:
    # Someone made a recording room on this Janus behind Kohtaamo's back.
    outsider = Janus(janus.url, janus.api_secret, http)
    await outsider.start()
    control = RoomControl(outsider, janus.admin_key)
    await control.start()
    await outsider.message(
        control._session,
        control._handle,
        {
            "request": "create",
            "admin_key": janus.admin_key,
            "room": "recorded",
            "record": True,
            "rec_dir": str(tmp_path),
        },
    )
    try:
        gateways = gateways_of(http, janus)
        await gateways.start()
        try:
            assert not gateways.healthy()
            assert (await gateways.health())["janus-1"]["status"] == "records 1 room(s): refused"
            with pytest.raises(NoGateway):
                await gateways.room_for("meeting-c", 16, HOUR)
        finally:
            await gateways.close()
    finally:
        await outsider.close()
