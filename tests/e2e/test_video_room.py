"""The video room in real browsers: a client waits in the lobby, the caseworker lets them in, and
they see each other, chat, survive a dropped connection and pass axe-core.

Fenced: Chromium's media stays on loopback only inside the namespace made by tests/run-fenced
(`make test`); elsewhere these tests refuse to run. Run them alone with
`tests/run-fenced .venv/bin/pytest tests/e2e/test_video_room.py`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aioice.ice
import pytest
from aiohttp.test_utils import TestClient, TestServer

from core.local_times import LocalTimes
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    CHROMIUM_INSTALLED,
    serious_accessibility_violations,
    url_of,
)
from tests.video.conftest import CASEWORKER_EMAIL, CLIENT_NAME, VideoMeeting, make_video_meeting
from video.keys import room_registry_key

pytestmark = [pytest.mark.browser, pytest.mark.fenced]

MEDIA_FLAGS = [
    *CHROMIUM_FLAGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # Screen sharing picks the (fake) entire screen without asking.
    "--auto-select-desktop-capture-source=Entire screen",
]
WAIT_MS = 30_000
CASEWORKER_NAME = "Maria Virtanen"


@pytest.fixture
async def media_browser(fenced_network: None) -> AsyncIterator[Any]:
    """Chromium with a fake camera and microphone that it may use without asking."""
    if not CHROMIUM_INSTALLED:
        reason = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and KOHTAAMO_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=MEDIA_FLAGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def server_peer_on_loopback(fenced_network: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection test's aiortc peer runs in this process; aioice leaves 127.0.0.1 out of its
    host candidates, and in the namespace that is the only address there is."""

    def loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    monkeypatch.setattr(aioice.ice, "get_host_addresses", loopback)


@pytest.fixture
async def api(aiohttp_client: Any, live_server: TestServer) -> TestClient[Any, Any]:
    """An API client of the live server itself: one app cannot be served twice."""
    client: TestClient[Any, Any] = await aiohttp_client(live_server)
    return client


# ---- people --------------------------------------------------------------------------------------


async def open_as_host(browser: Any, server: TestServer, meeting: VideoMeeting) -> Any:
    """Maria logs in through the form (in English) and lands in her meeting room."""
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    target = f"/caseworker/bookings/{meeting.id}/meeting"
    await page.goto(url_of(server, f"/language?lang=en&next=/login?next={target}"))
    await page.get_by_label("Email address").fill(CASEWORKER_EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**{target}")
    await page.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    return page


async def open_as_client(
    browser: Any, server: TestServer, meeting: VideoMeeting, **context_options: Any
) -> Any:
    context = await browser.new_context(locale="en-GB", **context_options)
    page = await context.new_page()
    target = f"/manage/{meeting.manage_token}/join"
    await page.goto(url_of(server, f"/language?lang=en&next={target}"))
    await page.wait_for_url(f"**{target}")
    return page


async def wait_for_text(page: Any, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector)?.textContent.includes(text)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


async def admit(host: Any, client: Any, *, after_device_check: bool = False) -> None:
    """The client waits in the lobby; the host sees them there and lets them in."""
    await wait_for_text(client, "#lobby-waiting", f"Waiting for {CASEWORKER_NAME} to let you in")
    await wait_for_text(host, "#lobby-list", CLIENT_NAME)
    if after_device_check:
        # The client's connection test went to the server's echo peer and back.
        await wait_for_text(client, "#test-status", "works well enough")
        await wait_for_text(host, "#lobby-list", "Device check passed")
    await host.get_by_role("button", name=f"Admit {CLIENT_NAME}").click()
    await client.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    await wait_for_text(host, "#lobby-empty", "Nobody is waiting")


PLAYING = """
async (video) => {
  const deadline = Date.now() + 30000;
  while (!(video.videoWidth > 0 && video.readyState >= 2)) {
    if (Date.now() > deadline) return "no picture";
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const before = video.currentTime;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  if (!(video.currentTime > before)) return `stuck at ${before}`;
  return `playing ${video.videoWidth}x${video.videoHeight}`;
}
"""


async def remote_video_plays(page: Any) -> str:
    """The first remote tile's <video> has a picture and its time moves on."""
    video = page.locator("#video-tiles li[data-peer-id] video").first
    await video.wait_for(state="attached", timeout=WAIT_MS)
    state: str = await video.evaluate(PLAYING)
    assert state.startswith("playing"), state
    return state


async def remote_stream_id(page: Any) -> str:
    stream_id: str = await page.locator("#video-tiles li[data-peer-id] video").first.evaluate(
        "(video) => video.srcObject?.id ?? ''"
    )
    return stream_id


# ---- the tests -----------------------------------------------------------------------------------


async def test_client_waits_in_the_lobby_is_admitted_and_both_see_each_other_and_chat(
    media_browser: Any,
    live_server: TestServer,
    api: TestClient[Any, Any],
    server_peer_on_loopback: None,
) -> None:
    meeting = await make_video_meeting(api)
    client = await open_as_client(media_browser, live_server, meeting)
    host = await open_as_host(media_browser, live_server, meeting)

    await admit(host, client, after_device_check=True)
    assert await client.evaluate("document.activeElement.id") == "room-title"
    await remote_video_plays(host)
    await remote_video_plays(client)
    await wait_for_text(host, "#people-list", CLIENT_NAME)
    await wait_for_text(client, "#people-list", CASEWORKER_NAME)

    await client.get_by_label("Message").fill("Hei Maria, kuuluuko?")
    await client.get_by_role("button", name="Send").click()
    await wait_for_text(host, "#chat-log", "Hei Maria, kuuluuko?")
    await wait_for_text(host, "#video-announcer", f"{CLIENT_NAME}: Hei Maria, kuuluuko?")
    await host.get_by_label("Message").fill("Kuuluu hyvin.")
    await host.get_by_label("Message").press("Enter")
    await wait_for_text(client, "#chat-log", "Kuuluu hyvin.")

    # The client mutes: the host's tile for them says so.
    await client.get_by_role("button", name="Mute").click()
    assert await client.get_by_role("button", name="Mute").get_attribute("aria-pressed") == "true"
    await wait_for_text(host, "#video-tiles li[data-peer-id]", "Microphone off")

    await host.get_by_role("button", name="End the meeting for everyone").click()
    await host.get_by_role("button", name="Yes, end the meeting").click()
    await wait_for_text(client, "#fatal-title", "This video meeting has ended")
    await wait_for_text(host, "#fatal-title", "This video meeting has ended")


async def test_a_dropped_connection_comes_back_without_a_second_admission(
    media_browser: Any, live_server: TestServer, api: TestClient[Any, Any]
) -> None:
    meeting = await make_video_meeting(api)
    client = await open_as_client(media_browser, live_server, meeting)
    host = await open_as_host(media_browser, live_server, meeting)
    await admit(host, client)
    await remote_video_plays(host)
    stream_before = await remote_stream_id(host)

    participant_id = await client.locator("#video-room").get_attribute("data-participant-id")
    room = live_server.app[room_registry_key].room(meeting.id)
    assert room is not None
    connection = room.connection(participant_id)
    assert connection is not None
    connection.abort()

    await wait_for_text(client, "#video-status", "Connected again.")
    assert await client.locator("#video-room").get_attribute("data-participant-id") == (
        participant_id
    )
    assert await client.locator("#room-stage").is_visible()
    await host.wait_for_function(
        "(before) => document.querySelector('#video-tiles li[data-peer-id] video')"
        "?.srcObject?.id !== before",
        arg=stream_before,
        timeout=WAIT_MS,
    )
    await remote_video_plays(host)
    await remote_video_plays(client)
    assert await host.locator("#lobby-list li").count() == 0


async def test_the_lobby_and_the_room_pass_axe_and_fit_a_phone(
    media_browser: Any,
    live_server: TestServer,
    api: TestClient[Any, Any],
    server_peer_on_loopback: None,
) -> None:
    meeting = await make_video_meeting(api)
    client = await open_as_client(
        media_browser, live_server, meeting, viewport={"width": 320, "height": 640}
    )
    host = await open_as_host(media_browser, live_server, meeting)
    await wait_for_text(client, "#lobby-waiting", "Waiting for")
    await wait_for_text(client, "#test-status", "works well enough")
    assert await serious_accessibility_violations(client) == [], "lobby"
    await no_sideways_scrolling(client, "lobby")

    await admit(host, client)
    await remote_video_plays(client)
    await client.get_by_label("Message").fill("Hei")
    await client.get_by_role("button", name="Send").click()
    await wait_for_text(host, "#chat-log", "Hei")
    assert await serious_accessibility_violations(client) == [], "client in the room"
    await no_sideways_scrolling(client, "room")
    await host.get_by_text("Check your camera, sound and connection").click()
    await host.get_by_role("button", name="End the meeting for everyone").click()
    assert await serious_accessibility_violations(host) == [], "host in the room"


async def no_sideways_scrolling(page: Any, step: str) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{step} scrolls sideways by {overflow}px"


async def test_the_room_link_says_when_the_room_opens(
    fenced_network: None, live_server: TestServer, api: TestClient[Any, Any]
) -> None:
    meeting = await make_video_meeting(api, starts_in=timedelta(hours=2))
    await api.get("/language?lang=en&next=/", allow_redirects=False)
    page = await api.get(f"/manage/{meeting.manage_token}/join")
    assert page.status == 200
    html = await page.text()
    assert "The video room is not open yet" in html
    opens = LocalTimes.of("Europe/Helsinki", "en").moment(meeting.starts_at - timedelta(minutes=15))
    assert f"The room opens at {opens}." in html
    assert "/static/video/room.js" not in html
