"""Real aiortc participants meet through the real WebSocket: lobby, admission, media, resume.

Fenced: run inside a loopback-only network namespace (tests/run-fenced), where aioice is told
that 127.0.0.1 is this machine's address (the ``loopback_ice`` fixture).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.video.conftest import (
    CLIENT_NAME,
    People,
    admit_and_connect,
    invite_guest,
    make_video_meeting,
    waiting_ids,
)
from tests.video.peers import BLUE, GREEN, RED, Participant, close_colour, until

pytestmark = pytest.mark.fenced


def assert_no_harness_errors(*participants: Participant) -> None:
    for participant in participants:
        assert participant.errors == [], f"{participant.label}: {participant.errors}"


async def test_client_waits_in_lobby_until_admitted_then_both_get_audio_and_video(
    client: TestClient[Any, Any], people: People
) -> None:
    meeting = await make_video_meeting(client)
    host = await people.host(meeting)
    welcome = await host.join()
    assert welcome["state"] == "admitted"
    assert welcome["you"]["role"] == "host"
    assert (await host.wait_for("admitted"))["peers"] == []

    booker = people.client_of(meeting)
    welcome = await booker.join()
    assert welcome["state"] == "lobby"
    assert welcome["you"]["role"] == "client"
    assert welcome["you"]["name"] == CLIENT_NAME
    assert welcome["meeting"]["id"] == meeting.id
    lobby = await host.wait_for("lobby", where=lambda m: booker.id in waiting_ids(m))
    [waiting] = lobby["waiting"]
    assert waiting["role"] == "client"
    assert waiting["name"] == CLIENT_NAME

    mark = booker.mark()
    host_mark = host.mark()
    await host.admit(booker.id)
    admitted = await booker.wait_for("admitted", after=mark)
    assert [peer["id"] for peer in admitted["peers"]] == [host.id]
    joined = await host.wait_for("peer-joined", after=host_mark)
    assert joined["peer"]["id"] == booker.id

    from_host = await booker.wait_for_media_from(host.id)
    from_client = await host.wait_for_media_from(booker.id)
    assert close_colour(from_host.inbound["video"].colour, RED)
    assert close_colour(from_client.inbound["video"].colour, GREEN)
    assert from_host.inbound["audio"].loud_frames > 0
    assert from_client.inbound["audio"].loud_frames > 0
    assert_no_harness_errors(host, booker)


async def test_guest_joins_a_three_party_mesh_and_everyone_sees_everyone(
    client: TestClient[Any, Any], people: People
) -> None:
    meeting = await make_video_meeting(client)
    host = await people.host(meeting)
    await host.join()
    booker = people.client_of(meeting)
    await booker.join()
    await admit_and_connect(host, booker)

    token = await invite_guest(client, meeting, "Tulkki Tuula")
    guest = people.guest(meeting, token)
    welcome = await guest.join()
    assert welcome["state"] == "lobby"
    assert welcome["you"]["role"] == "guest"
    assert welcome["you"]["name"] == "Tulkki Tuula"
    await host.wait_for("lobby", where=lambda m: guest.id in waiting_ids(m))
    mark = guest.mark()
    booker_mark = booker.mark()
    await host.admit(guest.id)
    admitted = await guest.wait_for("admitted", after=mark)
    assert {peer["id"] for peer in admitted["peers"]} == {host.id, booker.id}
    await booker.wait_for(
        "peer-joined", where=lambda m: m["peer"]["id"] == guest.id, after=booker_mark
    )

    # The newcomer offered to both; each of the three now receives the other two.
    expected = {host.id: RED, booker.id: GREEN, guest.id: BLUE}
    for receiver in (host, booker, guest):
        for sender_id, colour in expected.items():
            if sender_id == receiver.id:
                continue
            endpoint = await receiver.wait_for_media_from(sender_id, within=20)
            assert close_colour(endpoint.inbound["video"].colour, colour), (
                f"{receiver.label} sees {endpoint.inbound['video'].colour} from {sender_id}"
            )
    assert_no_harness_errors(host, booker, guest)


async def test_dropped_client_resumes_admitted_without_new_admission_and_media_flows_again(
    client: TestClient[Any, Any], people: People
) -> None:
    meeting = await make_video_meeting(client)
    host = await people.host(meeting)
    await host.join()
    booker = people.client_of(meeting)
    await booker.join()
    await admit_and_connect(host, booker)
    participant_id = booker.id
    resume = booker.welcome["resume"]
    old_to_host = booker.peers[host.id]
    old_to_client = host.peers[participant_id]

    host_mark = host.mark()
    booker.drop_connection()  # no close frame: the TCP connection just ends
    away = await host.wait_for("peer-away", after=host_mark, within=20)
    assert away["id"] == participant_id

    host_mark = host.mark()
    mark = booker.mark()
    welcome = await booker.join(resume=resume)
    assert welcome["state"] == "admitted"
    assert welcome["you"]["id"] == participant_id
    admitted = await booker.wait_for("admitted", after=mark)
    assert [peer["id"] for peer in admitted["peers"]] == [host.id]
    joined = await host.wait_for("peer-joined", after=host_mark)
    assert joined["peer"]["id"] == participant_id

    # aiortc cannot restart ICE: both sides rebuild their connection, and media flows on it.
    await until(
        lambda: (
            booker.peers.get(host.id) not in (None, old_to_host)
            and host.peers.get(participant_id) not in (None, old_to_client)
        ),
        within=10,
        what="rebuilt peer connections",
    )
    from_host = await booker.wait_for_media_from(host.id)
    from_client = await host.wait_for_media_from(participant_id)
    assert from_host is not old_to_host
    assert from_client is not old_to_client
    assert close_colour(from_host.inbound["video"].colour, RED)
    assert close_colour(from_client.inbound["video"].colour, GREEN)
    # Nobody was asked to admit the client again.
    assert not any(
        participant_id in waiting_ids(message)
        for message in host.messages[host_mark:]
        if message["type"] == "lobby"
    )
    assert_no_harness_errors(host, booker)
