"""Network meetings through a real Janus: the third admission moves the room to the SFU, and
everyone keeps seeing everyone; a removed participant's media stops; old pages are refused
clearly; the browsers never learn Janus's room, secret or PIN."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from calendars.models import MeetingType
from core.app_keys import sessions_key
from core.settings import Settings
from tests.conftest import make_settings
from tests.janus_gateway import JanusGateway
from tests.video.conftest import (
    People,
    VideoMeeting,
    invite_guest,
    log_in_caseworker,
    make_video_meeting,
)
from tests.video.peers import BLUE, GREEN, RED, Participant, close_colour, until

pytestmark = pytest.mark.fenced


@pytest.fixture
def settings(database_url: str, janus: JanusGateway) -> Settings:
    return make_settings(database_url, **janus.settings())


async def admitted(host: Participant, newcomer: Participant) -> None:
    await newcomer.join()
    await host.wait_for("lobby", where=lambda m: newcomer.id in [w["id"] for w in m["waiting"]])
    mark = newcomer.mark()
    await host.admit(newcomer.id)
    await newcomer.wait_for("admitted", after=mark)


async def sees(viewer: Participant, other: Participant, within: float = 20) -> None:
    """``viewer`` decodes ``other``'s camera through the SFU (its colour, 10 frames)."""

    def decoded() -> bool:
        media = viewer.sfu
        return (
            media is not None
            and media.frames(other.id) >= 10
            and close_colour(media.colour(other.id), other.colour)
        )

    await until(decoded, within=within, what=f"{viewer.label} seeing {other.label}")


async def test_the_third_admission_moves_the_room_to_the_sfu_and_everyone_sees_everyone(
    meeting: VideoMeeting, sfu_people: People, client: TestClient[Any, Any], janus: JanusGateway
) -> None:
    host = await sfu_people.host(meeting, colour=RED)
    await host.join()
    caller = sfu_people.client_of(meeting, colour=GREEN)
    await admitted(host, caller)
    # Two people: browser to browser, as before.
    await caller.wait_for_media_from(host.id)
    assert host.path == caller.path == "mesh"

    token = await invite_guest(client, meeting, "Tulkki Tuula")
    guest = sfu_people.guest(meeting, token, colour=BLUE, label="guest")
    await admitted(host, guest)
    assert guest.messages[-1]["path"] == "sfu" or guest.path == "sfu"
    await host.wait_for("media-path", where=lambda m: m["path"] == "sfu")
    await caller.wait_for("media-path", where=lambda m: m["path"] == "sfu")

    people = (host, caller, guest)
    for viewer in people:
        for other in people:
            if other is not viewer:
                await sees(viewer, other)
    # The pages renegotiated with the SFU by themselves: nobody joined again.
    assert [m["type"] for m in host.messages].count("welcome") == 1
    assert [m["type"] for m in caller.messages].count("welcome") == 1

    # /healthz counts them in Janus; nothing of Janus's reached a page but its media address.
    async with client.get("/healthz") as answer:
        health = await answer.json()
    assert health["sfu"] == {"janus-1": {"status": "ok", "rooms": 1, "participants": 3}}
    said = json.dumps([p.messages for p in people])
    assert meeting.id + "-" not in said
    assert janus.api_secret not in said and janus.admin_key not in said

    # Removing the guest stops their media within a second.
    await host.send({"type": "remove", "participant": guest.id})
    assert await guest.wait_closed() == 4403
    await asyncio.sleep(1.0)
    assert host.sfu is not None and caller.sfu is not None
    before = host.sfu.frames(guest.id), caller.sfu.frames(guest.id)
    await asyncio.sleep(1.0)
    assert (host.sfu.frames(guest.id), caller.sfu.frames(guest.id)) == before
    start = host.sfu.frames(caller.id)
    await until(lambda: host.sfu.frames(caller.id) > start + 5, within=3, what="caller still")


async def test_an_old_page_is_asked_to_reload_when_the_room_moves_and_after(
    meeting: VideoMeeting, sfu_people: People, client: TestClient[Any, Any]
) -> None:
    host = await sfu_people.host(meeting)
    await host.join()
    old = sfu_people.client_of(meeting, protocol=1, label="old page")
    welcome = await old.join()
    assert welcome["v"] == 1
    await host.wait_for("lobby", where=lambda m: old.id in [w["id"] for w in m["waiting"]])
    await host.admit(old.id)
    await old.wait_for("admitted")
    await old.wait_for_media_from(host.id)  # a 1:1 meeting works for a version 1 page

    token = await invite_guest(client, meeting, "Kuraattori Kalle")
    guest = sfu_people.guest(meeting, token, label="guest")
    await admitted(host, guest)
    assert await old.wait_closed() == 4426
    assert "reload" in old.close_reason

    again = sfu_people.client_of(meeting, protocol=1, label="old page again")
    with pytest.raises(AssertionError):
        await again.join(within=3)
    assert again.close_code == 4426


async def test_with_an_sfu_a_meeting_takes_fourteen_guests_and_the_host_is_told(
    meeting: VideoMeeting, client: TestClient[Any, Any]
) -> None:
    await log_in_caseworker(client)
    for number in range(14):
        await invite_guest(client, meeting, f"Ammattilainen {number + 1}")
    answer = await client.post(
        f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": "Viidestoista"}
    )
    assert answer.status == 409
    assert (await answer.json())["detail"] == "Tapaamiseen voi kutsua enintään 14 osallistujaa."
    page = await client.get(f"/caseworker/bookings/{meeting.id}/meeting/settings")
    assert "enintään 14" in await page.text()


async def test_descriptions_and_candidates_that_are_not_the_pages_own_are_refused(
    meeting: VideoMeeting, sfu_people: People, client: TestClient[Any, Any]
) -> None:
    host = await sfu_people.host(meeting, auto_admit=True)
    await host.join()
    caller = sfu_people.client_of(meeting)
    await caller.join()
    token = await invite_guest(client, meeting)
    guest = sfu_people.guest(meeting, token)
    await guest.join()
    await sees(caller, host)

    mark = caller.mark()
    await caller.send(
        {
            "type": "sfu-candidate",
            "target": "publish",
            "candidate": {
                "candidate": "candidate:1 1 udp 2130706431 10.213.0.1 9 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": "someone-elses",
            },
        }
    )
    error = await caller.wait_for("error", after=mark)
    assert error["code"] == "sfu-foreign-ice"
    two_sessions = (
        "v=0\r\na=ice-ufrag:aaaa\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:bbbb\r\n"
    )
    await caller.send(
        {"type": "sfu-publish", "description": {"type": "offer", "sdp": two_sessions}}
    )
    error = await caller.wait_for(
        "error", after=mark, where=lambda m: m["code"] != "sfu-foreign-ice"
    )
    assert error["code"] == "sfu-bad-description"
    # Refused messages change nothing: the connection and the media go on.
    start = caller.sfu.frames(host.id) if caller.sfu else 0
    await until(
        lambda: caller.sfu is not None and caller.sfu.frames(host.id) > start + 5,
        within=5,
        what="media",
    )

    # /metrics counts the SFU's rooms and participants (refreshed every 5 s).
    async def participants_metric() -> str:
        async with client.get("/metrics") as answer:
            text = await answer.text()
        return next(
            (line for line in text.splitlines() if line.startswith("kohtaamo_sfu_participants{")),
            "",
        )

    deadline = asyncio.get_running_loop().time() + 8
    while not (await participants_metric()).endswith(" 3.0"):
        assert asyncio.get_running_loop().time() < deadline, await participants_metric()
        await asyncio.sleep(0.5)
    assert 'gateway="janus-1"' in await participants_metric()


async def test_a_network_meeting_goes_through_the_sfu_from_the_first_admission(
    sfu_people: People, client: TestClient[Any, Any]
) -> None:
    meeting = await make_video_meeting(client)
    async with client.app[sessions_key].begin() as session:
        await session.execute(
            update(MeetingType)
            .where(MeetingType.id == meeting.world.meeting_type_id)
            .values(network_meeting=True)
        )
    host = await sfu_people.host(meeting, colour=RED)
    await host.join()
    caller = sfu_people.client_of(meeting, colour=GREEN)
    await admitted(host, caller)
    assert caller.messages[-1]["path"] == "sfu" or caller.path == "sfu"
    await host.wait_for("media-path", where=lambda m: m["path"] == "sfu")
    await sees(caller, host)
    await sees(host, caller)
