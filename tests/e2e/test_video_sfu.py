"""A network meeting in real browsers through a real Janus: the caseworker and the client see
each other browser to browser; an interpreter who joins audio only moves the room to the SFU,
and the two keep seeing each other without joining again; the caseworker shares her screen
through the SFU; and a removed participant's media stops at once.

Fenced (tests/run-fenced): Chromium, Janus and the service talk on loopback and on Janus's
portless bridge only.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from core.settings import Settings
from tests.conftest import log_in, make_settings
from tests.e2e.conftest import url_of
from tests.e2e.test_video_room import (
    CLIENT_NAME,
    WAIT_MS,
    admit,
    open_as_client,
    open_as_host,
    wait_for_text,
)
from tests.e2e.test_video_room import media_browser as media_browser
from tests.janus_gateway import JanusGateway
from tests.janus_gateway import janus as janus
from tests.janus_gateway import sfu_ice as sfu_ice
from tests.video.conftest import CASEWORKER_EMAIL, People, invite_guest, make_video_meeting
from tests.video.peers import Participant, until

pytestmark = [pytest.mark.browser, pytest.mark.fenced]

GUEST_NAME = "Tulkki Tuula"


@pytest.fixture
def settings(database_url: str, janus: JanusGateway) -> Settings:
    return make_settings(database_url, **janus.settings())


@pytest.fixture
async def api(aiohttp_client: Any, live_server: TestServer) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(live_server)
    return client


# Whether the tile of ``name`` shows moving video: its picture has a size and its time runs.
TILE_PLAYS = """
async ([name, seconds]) => {
  const deadline = Date.now() + seconds * 1000;
  const tile = () => [...document.querySelectorAll('#video-tiles li[data-peer-id]')]
    .find((item) => item.textContent.includes(name));
  while (Date.now() < deadline) {
    const video = tile()?.querySelector('video');
    if (video && video.videoWidth > 0 && video.readyState >= 2) {
      const before = video.currentTime;
      await new Promise((resolve) => setTimeout(resolve, 800));
      if (video.currentTime > before) return `playing ${video.videoWidth}x${video.videoHeight}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const video = tile()?.querySelector('video');
  return video ? `not playing (${video.videoWidth}x${video.videoHeight})` : 'no tile';
}
"""


async def tile_plays(page: Any, name: str, seconds: int = 30) -> str:
    state: str = await page.evaluate(TILE_PLAYS, [name, seconds])
    return state


async def until_true(read: Any, wanted: int, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while (seen := await read()) != wanted:
        assert asyncio.get_running_loop().time() < deadline, f"{seen}, not {wanted}"
        await asyncio.sleep(0.05)


async def through_sfu(page: Any) -> bool:
    through: bool = await page.evaluate(
        "() => document.querySelector('#video-tiles').classList.contains('video-grid--sfu')"
    )
    return through


async def test_an_audio_only_third_participant_moves_the_meeting_to_the_sfu(
    media_browser: Any, live_server: TestServer, api: TestClient[Any, Any]
) -> None:
    meeting = await make_video_meeting(api)
    client = await open_as_client(media_browser, live_server, meeting)
    host = await open_as_host(media_browser, live_server, meeting)
    await admit(host, client)
    assert (await tile_plays(host, CLIENT_NAME)).startswith("playing")
    assert (await tile_plays(client, "Maria")).startswith("playing")
    assert not await through_sfu(host)

    await log_in(api, CASEWORKER_EMAIL)
    token = await invite_guest(api, meeting, GUEST_NAME)
    guest_context = await media_browser.new_context(locale="en-GB")
    guest = await guest_context.new_page()
    await guest.goto(url_of(live_server, f"/language?lang=en&next=/meetings/guest/{token}"))
    await wait_for_text(host, "#lobby-list", GUEST_NAME)
    await host.get_by_role("button", name=f"Admit {GUEST_NAME}").click()
    await guest.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    await guest.get_by_role("button", name="Audio only").click()

    # The host and the client renegotiate with the SFU by themselves and keep seeing each other.
    for page in (host, client, guest):
        await page.wait_for_function(
            "() => document.querySelector('#video-tiles').classList.contains('video-grid--sfu')",
            timeout=WAIT_MS,
        )
    await wait_for_text(client, "#video-announcer", "goes through the service's video server")
    assert (await tile_plays(host, CLIENT_NAME)).startswith("playing")
    assert (await tile_plays(client, "Maria")).startswith("playing")
    # The interpreter is audio only: a tile with her name and no picture, heard by the others.
    await wait_for_text(host, "#video-tiles", GUEST_NAME)
    guest_tile = host.locator("#video-tiles li[data-peer-id]", has_text=GUEST_NAME)
    await guest_tile.wait_for(timeout=WAIT_MS)
    assert "video-tile--no-video" in (await guest_tile.get_attribute("class") or "")
    await wait_for_text(guest, "#video-tiles", CLIENT_NAME)
    assert await guest.evaluate("document.querySelector('#toggle-incoming-video').hidden") is False

    # The caseworker shares her screen: it reaches the client through the SFU.
    await host.get_by_role("button", name="Share screen").click()
    await wait_for_text(client, "#video-tiles", "Sharing their screen")
    await client.wait_for_function(
        "() => [...document.querySelectorAll('#video-tiles li[data-peer-id] video')]"
        ".some((video) => video.videoWidth >= 1000)",
        timeout=WAIT_MS,
    )

    # Removed: the client's media stops for the others at once, and Janus drops their seat.
    await (
        host.locator("#people-list li", has_text=CLIENT_NAME)
        .get_by_role("button", name="Remove")
        .click()
    )
    await host.wait_for_function(
        "(name) => ![...document.querySelectorAll('#video-tiles li[data-peer-id]')]"
        ".some((item) => item.textContent.includes(name))",
        arg=CLIENT_NAME,
        timeout=1000,
    )

    async def seats_in_janus() -> int:
        async with api.get("/healthz") as answer:
            return int((await answer.json())["sfu"]["janus-1"]["participants"])

    await until_true(lambda: seats_in_janus(), 2, within=1.0)


async def test_a_slow_receiver_gets_the_low_simulcast_layer_and_keeps_its_frame_rate(
    media_browser: Any, live_server: TestServer, api: TestClient[Any, Any], sfu_ice: None
) -> None:
    """The caseworker's Chromium publishes in simulcast; two aiortc participants receive her.
    One of them has a 200 kbit/s downlink: Janus reports its slow link,
    Kohtaamo lowers what that one receives, and it keeps a steady picture at a lower
    resolution while the other still gets the full one."""
    meeting = await make_video_meeting(api)
    host = await open_as_host(media_browser, live_server, meeting)
    await log_in(api, CASEWORKER_EMAIL)
    people = People(api)
    try:
        fast = people.client_of(meeting, label="fast")
        token = await invite_guest(api, meeting, GUEST_NAME)
        slow = people.guest(meeting, token, label="slow", incoming_kbps=200)
        for participant, name in ((fast, CLIENT_NAME), (slow, GUEST_NAME)):
            await participant.join()
            await wait_for_text(host, "#lobby-list", name)
            await host.get_by_role("button", name=f"Admit {name}").click()
            await participant.wait_for("admitted", within=15)
        host_id = await host.locator("#video-room").get_attribute("data-participant-id")

        def receiving(participant: Participant) -> bool:
            return participant.sfu is not None and participant.sfu.frames(host_id) > 30

        for participant in (fast, slow):
            await until(lambda p=participant: receiving(p), within=30, what="the host's video")
        assert fast.sfu is not None and slow.sfu is not None and host_id is not None
        # Chromium sends its camera's full 640 px once its estimate of the bandwidth allows.
        full = 640
        await until(lambda: fast.sfu.size(host_id)[0] == full, within=30, what="the full layer")
        await until(
            lambda: 0 < slow.sfu.size(host_id)[0] < full,
            within=45,
            what=f"the slow receiver on a lower layer than {full} px wide",
        )
        # Over the next 3 seconds: the slow one keeps its frame rate, the fast one its size.
        before = slow.sfu.frames(host_id)
        await asyncio.sleep(3)
        assert (slow.sfu.frames(host_id) - before) / 3 >= 10
        assert fast.sfu.size(host_id)[0] == full
        assert slow.sfu.size(host_id)[0] < full
    finally:
        await people.close()
