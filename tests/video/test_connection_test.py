"""The connection test: an aiortc "browser" offers, the server's peer sends its media back.

Fenced: the server's echo peer runs in this process, so the ``loopback_ice`` patch reaches it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from aiortc import RTCSessionDescription

from core.settings import Settings
from tests.conftest import make_settings
from tests.video.conftest import (
    Coturn,
    VideoMeeting,
    log_in_caseworker,
    make_video_meeting,
)
from tests.video.peers import (
    GREEN,
    RED,
    MediaEndpoint,
    close_colour,
    nominated_pairs,
    rtc_configuration,
    sdp_candidate_types,
)
from video.keys import connection_tests_key

pytestmark = pytest.mark.fenced

# What the browser uses for the test: its own addresses, no TURN (the API gives it none).
BROWSER_ICE: dict[str, Any] = {"iceServers": [], "iceTransportPolicy": "all"}


@pytest.fixture
def with_turn() -> bool:
    return False


@pytest.fixture
def test_limit() -> int:
    return 4


@pytest.fixture
def settings(
    database_url: str, with_turn: bool, test_limit: int, request: pytest.FixtureRequest
) -> Settings:
    overrides = {"video_test_limit": str(test_limit)}
    if with_turn:
        coturn: Coturn = request.getfixturevalue("coturn")
        overrides.update(turn_urls=coturn.url, turn_secret=coturn.secret)
    return make_settings(database_url, **overrides)


class BrowserTests:
    """The browser's side of connection tests; every peer it made is closed by the fixture."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.made: list[MediaEndpoint] = []

    async def offer(self, colour: tuple[int, int, int] = GREEN) -> MediaEndpoint:
        """A peer with camera and microphone whose offer holds all its candidates."""
        endpoint = MediaEndpoint(
            rtc_configuration(BROWSER_ICE), colour=colour, hertz=500, width=320, height=240, fps=30
        )
        self.made.append(endpoint)
        endpoint.add_tracks()
        await endpoint.pc.setLocalDescription(await endpoint.pc.createOffer())
        return endpoint

    async def post(self, meeting: VideoMeeting, body: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.client.post(f"/api/v1/meetings/{meeting.id}/connection-test", json=body)

    async def start(
        self, meeting: VideoMeeting, *, credential: dict[str, Any] | None
    ) -> tuple[MediaEndpoint, dict[str, Any]]:
        """Offer, post, and set the answer; returns the endpoint and the response body."""
        endpoint = await self.offer()
        body: dict[str, Any] = {"offer": offer_of(endpoint)}
        if credential is not None:
            body["credential"] = credential
        response = await self.post(meeting, body)
        assert response.status == 200, await response.text()
        answer = await response.json()
        assert answer["max_seconds"] == 60
        assert answer["answer"]["type"] == "answer"
        await endpoint.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer["answer"]["sdp"], type="answer")
        )
        return endpoint, answer

    async def close(self) -> None:
        # The server's echo peers first, while coturn still runs: a peer closed after the browser
        # left runs in a task the app does not wait for, and aioice retries deleting its TURN
        # allocation for a minute when coturn is already gone.
        await self.client.app[connection_tests_key].close_all()
        for endpoint in self.made:
            await endpoint.close()


def offer_of(endpoint: MediaEndpoint) -> dict[str, str]:
    return {"type": "offer", "sdp": endpoint.pc.localDescription.sdp}


def client_credential(meeting: VideoMeeting) -> dict[str, str]:
    return {"kind": "client", "token": meeting.manage_token}


@pytest.fixture
async def browser_tests(client: TestClient[Any, Any], loopback_ice: None) -> Any:
    tests = BrowserTests(client)
    try:
        yield tests
    finally:
        await tests.close()


async def test_client_sees_and_hears_its_own_camera_and_microphone_back(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    meeting = await make_video_meeting(client)
    endpoint, _ = await browser_tests.start(meeting, credential=client_credential(meeting))
    await endpoint.wait_for_media(video_frames=15, audio_frames=15)
    # The frames that come back are our own green ones, and our tone is audible.
    assert endpoint.inbound["video"].colour is not None
    assert close_colour(endpoint.inbound["video"].colour, GREEN)
    assert endpoint.inbound["audio"].loud_frames > 0


async def test_host_takes_the_test_with_the_staff_session(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    meeting = await make_video_meeting(client)
    await log_in_caseworker(client)
    endpoint, _ = await browser_tests.start(meeting, credential=None)
    await endpoint.wait_for_media()


async def test_the_test_may_be_taken_before_the_room_opens(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    meeting = await make_video_meeting(client, starts_in=timedelta(hours=20))
    endpoint, _ = await browser_tests.start(meeting, credential=client_credential(meeting))
    await endpoint.wait_for_media()


@pytest.mark.parametrize("with_turn", [True])
async def test_protected_client_is_tested_through_turn(
    client: TestClient[Any, Any], browser_tests: BrowserTests, coturn: Coturn
) -> None:
    meeting = await make_video_meeting(client, protected=True)
    endpoint, answer = await browser_tests.start(meeting, credential=client_credential(meeting))
    # The server's peer offers only coturn's address, so the media went through TURN.
    assert sdp_candidate_types(answer["answer"]["sdp"]) == {"relay"}
    await endpoint.wait_for_media()
    assert {remote for _, remote in nominated_pairs(endpoint.pc)} == {"relay"}


@pytest.mark.parametrize("test_limit", [2])
async def test_one_test_over_the_limit_gets_503_with_retry_after(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    meeting = await make_video_meeting(client)
    running = [
        (await browser_tests.start(meeting, credential=client_credential(meeting)))[0]
        for _ in range(2)
    ]
    for endpoint in running:
        await endpoint.wait_for_media(video_frames=3, audio_frames=3)

    extra = await browser_tests.offer(RED)
    body = {"offer": offer_of(extra), "credential": client_credential(meeting)}
    response = await browser_tests.post(meeting, body)
    assert response.status == 503, await response.text()
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0

    # When a browser ends its test, its place is free again (the server sees DTLS close).
    await running[0].close()
    statuses = []
    for _ in range(20):
        answer = await browser_tests.post(meeting, body)
        statuses.append(answer.status)
        if answer.status == 200:
            break
        await asyncio.sleep(0.5)
    assert statuses[-1] == 200, statuses


@pytest.mark.parametrize(
    "credential",
    [
        {"kind": "client", "token": "not-a-real-manage-token"},
        {"kind": "guest", "token": "not-a-real-guest-token"},
        None,  # neither a credential nor a staff session
    ],
    ids=["wrong client token", "wrong guest token", "nothing"],
)
async def test_unknown_credential_is_refused_with_problem_json(
    client: TestClient[Any, Any], browser_tests: BrowserTests, credential: dict[str, str] | None
) -> None:
    meeting = await make_video_meeting(client)
    endpoint = await browser_tests.offer()
    body: dict[str, Any] = {"offer": offer_of(endpoint)}
    if credential is not None:
        body["credential"] = credential
    response = await browser_tests.post(meeting, body)
    assert response.status in (401, 404), await response.text()
    assert response.content_type == "application/problem+json"


async def test_unknown_meeting_is_refused_with_problem_json(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    meeting = await make_video_meeting(client)
    endpoint = await browser_tests.offer()
    response = await client.post(
        "/api/v1/meetings/00000000-0000-0000-0000-000000000000/connection-test",
        json={"offer": offer_of(endpoint), "credential": client_credential(meeting)},
    )
    # A real token of another booking: 403 like the room's 4403 (or 404: no such meeting).
    assert response.status in (403, 404), await response.text()
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "offer",
    [
        {"type": "offer", "sdp": "this is not a session description"},
        {"type": "answer", "sdp": "v=0\r\n"},
        {"type": "offer"},
        "v=0",
        None,
    ],
    ids=["garbage sdp", "an answer", "no sdp", "a string", "missing"],
)
async def test_malformed_offer_is_422(
    client: TestClient[Any, Any], browser_tests: BrowserTests, offer: Any
) -> None:
    meeting = await make_video_meeting(client)
    body: dict[str, Any] = {"credential": client_credential(meeting)}
    if offer is not None:
        body["offer"] = offer
    response = await browser_tests.post(meeting, body)
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"


async def test_a_test_is_cut_off_at_its_time_limit(
    client: TestClient[Any, Any], browser_tests: BrowserTests
) -> None:
    tests = client.app[connection_tests_key]
    tests._max_seconds = 1.5  # 60 s in the app; the rule is what is tested here
    meeting = await make_video_meeting(client)
    endpoint, _ = await browser_tests.start(meeting, credential=client_credential(meeting))
    await endpoint.wait_for_media(video_frames=5, audio_frames=5)
    assert tests.running == 1
    await asyncio.sleep(3)  # well past the limit, well short of 60 s
    assert tests.running == 0
    # The place is free again: a new test may start.
    again, _ = await browser_tests.start(meeting, credential=client_credential(meeting))
    await again.wait_for_media(video_frames=5, audio_frames=5)
