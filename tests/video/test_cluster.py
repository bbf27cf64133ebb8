"""Two instances share meeting rooms through a real Redis: a participant on one and the host on
the other meet as if on one server, and a room survives the instance it ran on.

Fenced like the other media tests (aiortc peers on loopback only).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from core.settings import Settings
from server import create_app
from tests.conftest import PASSWORD, log_in, make_settings
from tests.servers import instances
from tests.video.conftest import (
    CASEWORKER_EMAIL,
    CLIENT_NAME,
    VideoMeeting,
    make_video_meeting,
    waiting_ids,
)
from tests.video.peers import GREEN, RED, Participant, ProtocolError, close_colour

pytestmark = [pytest.mark.fenced, pytest.mark.cluster]

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_settings(database_url: str, redis_url: str) -> Settings:
    return make_settings(database_url, redis_url=redis_url)


@pytest.fixture
async def pair(
    aiohttp_client: Any, shared_settings: Settings, loopback_ice: None
) -> tuple[TestClient[Any, Any], TestClient[Any, Any]]:
    """Instances A and B: one database, one Redis."""
    first = await aiohttp_client(create_app(shared_settings))
    second = await aiohttp_client(create_app(shared_settings))
    return first, second


@pytest.fixture
async def sessions() -> AsyncIterator[list[aiohttp.ClientSession]]:
    made: list[aiohttp.ClientSession] = []
    yield made
    for session in made:
        await session.close()


@pytest.fixture
async def participants() -> AsyncIterator[list[Participant]]:
    made: list[Participant] = []
    yield made
    await asyncio.gather(*(p.close() for p in made), return_exceptions=True)


def ws_url(base: str, meeting: VideoMeeting) -> str:
    return f"{base.rstrip('/')}{meeting.ws_path}"


def base_of(instance: TestClient[Any, Any]) -> str:
    return str(instance.make_url("/"))


async def rejoin(participant: Participant, url: str, resume: str, within: float = 30.0) -> None:
    """Reconnect with the resume token, as the browser does, until an instance seats us again:
    while a dead instance's claim on the room runs out, the answer is "reconnect" (4503)."""
    participant.url = url
    async with asyncio.timeout(within):
        while True:
            try:
                await participant.join(resume=resume)
                return
            except (ProtocolError, aiohttp.ClientError):
                assert participant.close_code in (None, 4503), participant.close_code
                await asyncio.sleep(0.5)


async def host_on_a_client_on_b(
    pair: tuple[TestClient[Any, Any], TestClient[Any, Any]],
    sessions: list[aiohttp.ClientSession],
    participants: list[Participant],
) -> tuple[VideoMeeting, Participant, Participant]:
    """A meeting booked on A; Maria logged in on both instances and about to join through A,
    its client (no cookies) about to join through B."""
    a, b = pair
    meeting = await make_video_meeting(a)
    await log_in(a, CASEWORKER_EMAIL)
    await log_in(b, CASEWORKER_EMAIL)
    host = Participant(a.session, ws_url(base_of(a), meeting), colour=RED, label="host")
    sessions.append(aiohttp.ClientSession())
    credential = {"kind": "client", "token": meeting.manage_token}
    booker = Participant(
        sessions[-1], ws_url(base_of(b), meeting), credential=credential, colour=GREEN
    )
    participants.extend([host, booker])
    return meeting, host, booker


async def test_client_on_one_instance_and_host_on_the_other_meet_with_audio_and_video(
    pair: tuple[TestClient[Any, Any], TestClient[Any, Any]],
    sessions: list[aiohttp.ClientSession],
    participants: list[Participant],
) -> None:
    meeting, host, booker = await host_on_a_client_on_b(pair, sessions, participants)
    await host.join()
    assert (await booker.join())["state"] == "lobby"
    lobby = await host.wait_for("lobby", where=lambda m: booker.id in waiting_ids(m))
    assert [person["name"] for person in lobby["waiting"]] == [CLIENT_NAME]

    # Instance B answers the host's meeting API with A's lobby.
    answer = await pair[1].get(f"/api/v1/meetings/{meeting.id}")
    assert answer.status == 200
    assert [person["name"] for person in (await answer.json())["lobby"]] == [CLIENT_NAME]

    mark = booker.mark()
    await host.admit(booker.id)
    admitted = await booker.wait_for("admitted", after=mark)
    assert [peer["id"] for peer in admitted["peers"]] == [host.id]
    from_host = await booker.wait_for_media_from(host.id)
    from_client = await host.wait_for_media_from(booker.id)
    assert close_colour(from_host.inbound["video"].colour, RED)
    assert close_colour(from_client.inbound["video"].colour, GREEN)
    assert from_client.inbound["audio"].loud_frames > 0

    await booker.send({"type": "chat", "text": "Hei, kuuluuko?"})
    said = await host.wait_for("chat")
    assert (said["name"], said["text"]) == (CLIENT_NAME, "Hei, kuuluuko?")
    assert host.errors == [] and booker.errors == []


async def test_a_refusal_from_the_room_reaches_the_participant_on_the_other_instance(
    pair: tuple[TestClient[Any, Any], TestClient[Any, Any]],
    sessions: list[aiohttp.ClientSession],
    participants: list[Participant],
) -> None:
    _, host, booker = await host_on_a_client_on_b(pair, sessions, participants)
    await host.join()
    await booker.join()
    await host.wait_for("lobby", where=lambda m: booker.id in waiting_ids(m))

    mark = host.mark()
    await booker.send({"type": "admit", "participant": booker.id})  # only the host may admit
    assert await booker.wait_closed() == 4403
    await host.wait_for("lobby", where=lambda m: m["waiting"] == [], after=mark)
    assert host.connected


async def test_a_stopped_instance_sends_everyone_to_the_other_without_a_new_admission(
    pair: tuple[TestClient[Any, Any], TestClient[Any, Any]],
    sessions: list[aiohttp.ClientSession],
    participants: list[Participant],
) -> None:
    a, b = pair
    meeting, host, booker = await host_on_a_client_on_b(pair, sessions, participants)
    await host.join()  # the room runs on A
    await booker.join()
    await host.wait_for("lobby", where=lambda m: booker.id in waiting_ids(m))
    await host.admit(booker.id)
    await booker.wait_for_media_from(host.id)
    ids = (host.id, booker.id)

    await a.server.close()  # a graceful stop: A tells everyone, B's client too, to reconnect
    assert await host.wait_closed() == 4503
    assert await booker.wait_closed() == 4503

    host.http = b.session
    host_mark, booker_mark = host.mark(), booker.mark()
    await rejoin(host, ws_url(base_of(b), meeting), host.welcome["resume"])
    await rejoin(booker, ws_url(base_of(b), meeting), booker.welcome["resume"])
    assert (host.id, booker.id) == ids
    assert host.welcome["state"] == booker.welcome["state"] == "admitted"
    await booker.wait_for_media_from(host.id, within=20)
    await host.wait_for_media_from(booker.id, within=20)
    assert not any(
        message["type"] == "lobby" and waiting_ids(message) for message in host.messages[host_mark:]
    )
    assert not any(m["type"] == "lobby" for m in booker.messages[booker_mark:])


# ---- real processes: one is killed during the meeting ------------------------------------------


async def test_killing_the_instance_during_a_meeting_moves_the_room_and_media_resumes(
    client: TestClient[Any, Any],
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    loopback_ice: None,
    sessions: list[aiohttp.ClientSession],
    participants: list[Participant],
) -> None:
    meeting = await make_video_meeting(client)
    await client.close()
    async with instances(2, database_url, tmp_path, redis_url=redis_url) as [a, b]:
        base_a, base_b = a.base, b.base
        staff = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        visitor = aiohttp.ClientSession()
        sessions.extend([staff, visitor])
        login = {"email": CASEWORKER_EMAIL, "password": PASSWORD}
        async with staff.post(f"{base_a}/api/v1/auth/login", json=login) as answer:
            assert answer.status == 200
        host = Participant(staff, ws_url(base_a, meeting), colour=RED, label="host")
        credential = {"kind": "client", "token": meeting.manage_token}
        booker = Participant(visitor, ws_url(base_b, meeting), credential=credential, colour=GREEN)
        participants.extend([host, booker])
        await host.join()  # the room runs on A, the host's instance
        await booker.join()
        await host.wait_for("lobby", where=lambda m: booker.id in waiting_ids(m))
        await host.admit(booker.id)
        await booker.wait_for_media_from(host.id)
        await host.wait_for_media_from(booker.id)
        ids = (host.id, booker.id)
        resumes = (host.welcome["resume"], booker.welcome["resume"])

        a.process.send_signal(signal.SIGKILL)
        await a.process.wait()
        await host.wait_closed()
        # B notices that A is gone once A's claim runs out, and sends its client to reconnect.
        assert await booker.wait_closed(within=20) == 4503

        host_mark = host.mark()
        await rejoin(host, ws_url(base_b, meeting), resumes[0])
        await rejoin(booker, ws_url(base_b, meeting), resumes[1])
        assert (host.id, booker.id) == ids
        assert host.welcome["state"] == booker.welcome["state"] == "admitted"
        from_host = await booker.wait_for_media_from(host.id, within=20)
        from_client = await host.wait_for_media_from(booker.id, within=20)
        assert close_colour(from_host.inbound["video"].colour, RED)
        assert close_colour(from_client.inbound["video"].colour, GREEN)
        assert not any(
            message["type"] == "lobby" and waiting_ids(message)
            for message in host.messages[host_mark:]
        )
