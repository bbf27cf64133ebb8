"""Network meetings through a real Janus at their size: twelve people who all see each other,
and a protected meeting whose media goes only through TURN."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.settings import Settings
from tests.conftest import make_settings
from tests.janus_gateway import ADDRESS, JanusGateway
from tests.video.conftest import Coturn, People, invite_guest, make_video_meeting
from tests.video.peers import Participant, nominated_pairs, sdp_candidate_types, until

pytestmark = pytest.mark.fenced

# Twelve clearly different colours: whose video a participant decodes is told by its colour.
COLOURS = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    (0, 128, 128), (128, 128, 128),
]  # fmt: skip


@pytest.fixture
def relay_only() -> bool:
    return False


@pytest.fixture
def coturn_relay_ip(janus: JanusGateway) -> str:
    # Janus's ICE takes no packets from a loopback address: coturn relays from Janus's
    # interface, as a real deployment's coturn relays from an address Janus can reach.
    return ADDRESS


@pytest.fixture
def settings(database_url: str, janus: JanusGateway, coturn: Coturn, relay_only: bool) -> Settings:
    return make_settings(
        database_url,
        **janus.settings(),
        turn_urls=coturn.url,
        turn_secret=coturn.secret,
        video_relay_only="true" if relay_only else "false",
    )


def decoded_from(viewer: Participant, others: list[Participant], frames: int) -> bool:
    media = viewer.sfu
    return media is not None and all(media.frames(other.id) >= frames for other in others)


async def test_twelve_people_each_decode_every_other_through_the_sfu(
    client: TestClient[Any, Any], sfu_people: People
) -> None:
    meeting = await make_video_meeting(client)
    # Small video and no sound: twelve peers decoding eleven streams each share two cores here.
    small = {"width": 64, "height": 48, "fps": 10, "microphone": False}
    host = await sfu_people.host(meeting, colour=COLOURS[0], auto_admit=True, **small)
    await host.join()
    everyone = [host, sfu_people.client_of(meeting, colour=COLOURS[1], **small)]
    for number in range(10):
        token = await invite_guest(client, meeting, f"Ammattilainen {number + 1}")
        everyone.append(
            sfu_people.guest(
                meeting, token, colour=COLOURS[number + 2], label=f"guest {number}", **small
            )
        )
    for participant in everyone[1:]:
        await participant.join()
        await participant.wait_for("admitted", within=15)

    try:
        await until(
            lambda: all(
                decoded_from(viewer, [p for p in everyone if p is not viewer], frames=10)
                for viewer in everyone
            ),
            within=60,
            what="everyone decoding all eleven others",
        )
    except TimeoutError:
        seen = {
            viewer.label: {
                other.label: viewer.sfu.frames(other.id) if viewer.sfu else None
                for other in everyone
                if other is not viewer
            }
            for viewer in everyone
        }
        pytest.fail(f"frames decoded, by viewer: {seen}")
    for viewer in everyone:
        assert viewer.sfu is not None
        for other in everyone:
            if other is not viewer:
                seen = viewer.sfu.colour(other.id)
                assert seen is not None and all(
                    abs(a - b) <= 60 for a, b in zip(seen, other.colour, strict=True)
                ), (viewer.label, other.label, seen, other.colour)
        assert viewer.errors == []


@pytest.mark.parametrize("relay_only", [True])
async def test_a_relay_only_meeting_through_the_sfu_uses_only_turn_on_the_clients_side(
    client: TestClient[Any, Any], sfu_people: People, coturn: Coturn
) -> None:
    meeting = await make_video_meeting(client)
    host = await sfu_people.host(meeting, auto_admit=True)
    await host.join()
    assert host.ice["iceTransportPolicy"] == "relay"
    caller = sfu_people.client_of(meeting)
    await caller.join()
    token = await invite_guest(client, meeting)
    guest = sfu_people.guest(meeting, token)
    await guest.join()
    everyone = [host, caller, guest]
    for viewer in everyone:
        others = [p for p in everyone if p is not viewer]
        await until(
            lambda viewer=viewer, others=others: decoded_from(viewer, others, frames=10),
            within=30,
            what=f"{viewer.label} decoding the others through TURN",
        )
    for participant in everyone:
        media = participant.sfu
        assert media is not None
        for pc in (media.publisher, media.subscriber):
            pairs = nominated_pairs(pc)
            assert pairs and {local for local, _ in pairs} == {"relay"}, pairs
            assert sdp_candidate_types(pc.localDescription.sdp) == {"relay"}
