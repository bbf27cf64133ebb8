"""Relay-only meetings go through a real coturn, with the server's REST-scheme credentials.

Fenced: coturn and the aiortc peers all live on 127.0.0.1 in a loopback-only namespace.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.settings import Settings
from tests.conftest import make_settings
from tests.video.conftest import (
    Coturn,
    People,
    admit_and_connect,
    make_video_meeting,
    turn_password,
)
from tests.video.peers import (
    GREEN,
    RED,
    MediaEndpoint,
    Participant,
    nominated_pairs,
    rtc_configuration,
    sdp_candidate_types,
    until,
)

pytestmark = pytest.mark.fenced

# How long relay-only peers with bad TURN credentials get to prove they cannot connect
# (good ones connect in about half a second here).
REFUSAL_WAIT_SECONDS = 6


@pytest.fixture
def relay_only() -> bool:
    return False


@pytest.fixture
def settings(database_url: str, coturn: Coturn, relay_only: bool) -> Settings:
    return make_settings(
        database_url,
        turn_urls=coturn.url,
        turn_secret=coturn.secret,
        video_relay_only="true" if relay_only else "false",
    )


def assert_turn_credentials(participant: Participant, coturn: Coturn) -> None:
    """The welcome's TURN entry: coturn's REST scheme for this participant, valid past the
    room's closing (plus up to an hour)."""
    [server] = participant.ice["iceServers"]
    assert server["urls"] == [coturn.url]
    expiry, name = server["username"].split(":", 1)
    assert name == participant.id
    closes_at = datetime.fromisoformat(participant.welcome["meeting"]["closes_at"])
    assert closes_at.timestamp() <= int(expiry) <= (closes_at + timedelta(hours=1)).timestamp()
    assert int(expiry) > time.time()
    assert server["credential"] == turn_password(coturn.secret, server["username"])


@pytest.mark.parametrize(
    ("protected", "relay_only", "policy"),
    [
        (True, False, "relay"),
        (False, True, "relay"),
        (False, False, "all"),
    ],
    ids=["protected booking", "relay-only setting", "neither"],
)
async def test_meeting_media_is_relayed_when_the_booking_is_protected_or_relay_only_is_on(
    client: TestClient[Any, Any],
    people: People,
    coturn: Coturn,
    protected: bool,
    relay_only: bool,
    policy: str,
) -> None:
    meeting = await make_video_meeting(client, protected=protected)
    host = await people.host(meeting)
    await host.join()
    booker = people.client_of(meeting)
    await booker.join()
    for participant in (host, booker):
        assert participant.ice["iceTransportPolicy"] == policy
        assert_turn_credentials(participant, coturn)

    await admit_and_connect(host, booker)

    from_host = booker.peers[host.id]
    from_client = host.peers[booker.id]
    assert from_host.inbound["video"].colour is not None
    assert from_client.inbound["video"].colour is not None
    if policy == "relay":
        # Each side's own candidate is coturn's, and so is the other side's: no participant
        # ever saw another's address.
        assert set(nominated_pairs(from_host.pc)) == {("relay", "relay")}
        assert set(nominated_pairs(from_client.pc)) == {("relay", "relay")}
        for endpoint in (from_host, from_client):
            assert sdp_candidate_types(endpoint.pc.localDescription.sdp) == {"relay"}
            assert sdp_candidate_types(endpoint.pc.remoteDescription.sdp) == {"relay"}
    else:
        assert "host" in sdp_candidate_types(from_host.pc.localDescription.sdp)
    assert host.errors == [] and booker.errors == []


async def connect_directly(ice: dict[str, Any], within: float) -> tuple[str, set[str]]:
    """Two aiortc peers in this process, offer and answer handed over by hand; returns the
    offerer's connection state after at most ``within`` seconds and the offer's candidate types."""
    offerer = MediaEndpoint(
        rtc_configuration(ice), colour=RED, hertz=400, width=160, height=120, fps=15
    )
    answerer = MediaEndpoint(
        rtc_configuration(ice), colour=GREEN, hertz=600, width=160, height=120, fps=15
    )
    try:
        offerer.add_tracks()
        await offerer.pc.setLocalDescription(await offerer.pc.createOffer())
        await answerer.pc.setRemoteDescription(offerer.pc.localDescription)
        answerer.add_tracks()
        await answerer.pc.setLocalDescription(await answerer.pc.createAnswer())
        await offerer.pc.setRemoteDescription(answerer.pc.localDescription)
        with contextlib.suppress(TimeoutError):
            await until(
                lambda: offerer.pc.connectionState in ("connected", "failed"),
                within=within,
                what="a connection",
            )
        return offerer.pc.connectionState, sdp_candidate_types(offerer.pc.localDescription.sdp)
    finally:
        await offerer.close()
        await answerer.close()


async def test_relay_only_peers_connect_through_coturn_with_valid_credentials(
    coturn: Coturn, loopback_ice: None
) -> None:
    """The control for the refusals below: the same setup with good credentials works."""
    username, password = coturn.credentials("control")
    state, candidates = await connect_directly(coturn.ice(username, password), within=10)
    assert candidates == {"relay"}
    assert state == "connected"


@pytest.mark.parametrize("problem", ["wrong secret", "expired"])
async def test_coturn_refuses_bad_credentials_and_relay_only_peers_never_connect(
    coturn: Coturn, loopback_ice: None, problem: str
) -> None:
    if problem == "wrong secret":
        username, password = coturn.credentials("intruder", secret="not-the-turn-secret")
    else:
        username, password = coturn.credentials("late", valid_for=-60)
    state, candidates = await connect_directly(
        coturn.ice(username, password), within=REFUSAL_WAIT_SECONDS
    )
    assert candidates == set(), "coturn handed out a relay address"
    assert state != "connected"
    # coturn answered the allocation with 401 and says why.
    await coturn.wait_for_log(f"Cannot find credentials of user <{username}>")
