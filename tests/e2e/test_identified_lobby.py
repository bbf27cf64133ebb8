"""The identified join in real browsers: the client identifies in Chromium through the local
OpenID provider on their way into a meeting that requires it, and the caseworker's lobby says
who they are, with which method and how strongly; someone other than the booking's person is
marked in the lobby and let in only after the caseworker confirms.

Fenced like the other video room tests (the room's pages use the fake camera and the client's
connection check): run alone with `tests/run-fenced .venv/bin/pytest tests/e2e/test_identified_lobby.py`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from booking.models import Booking
from calendars.models import MeetingType
from core.app_keys import person_hasher_key, sessions_key
from server import create_app
from tests.conftest import make_settings
from tests.e2e.test_video_room import (
    CASEWORKER_NAME,
    WAIT_MS,
    media_browser,
    open_as_host,
    server_peer_on_loopback,
    wait_for_text,
)
from tests.identification.provider import (
    FINNISH_PERSON,
    OTHER_FINNISH_PERSON,
    free_port,
    identification_on,
)
from tests.video.conftest import VideoMeeting, make_video_meeting

pytestmark = [pytest.mark.browser, pytest.mark.fenced, pytest.mark.timeout(180)]
__all__ = ["media_browser", "server_peer_on_loopback"]  # fixtures used by name below


@pytest.fixture
async def identified_world(
    aiohttp_server: Any, aiohttp_client: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestServer, TestClient[Any, Any], VideoMeeting]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    people = {"aino": FINNISH_PERSON, "erkki": OTHER_FINNISH_PERSON}
    async with identification_on(tmp_path, base_url, people) as (settings, _provider):
        app = create_app(make_settings(database_url, **settings))
        server: TestServer = await aiohttp_server(app, host="127.0.0.1", port=port)
        api: TestClient[Any, Any] = await aiohttp_client(server)
        meeting = await make_video_meeting(api)
        async with app[sessions_key].begin() as session:
            await session.execute(update(MeetingType).values(requires_identification=True))
        yield server, api, meeting


async def identify_and_wait(browser: Any, server: TestServer, meeting: VideoMeeting) -> Any:
    """The client opens their join link, is sent to identify, picks Suomi.fi and Aino at the
    provider, and comes back to wait in the lobby."""
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    join = f"/manage/{meeting.manage_token}/join"
    await page.goto(str(server.make_url(f"/language?lang=en&next={join}")))
    await page.wait_for_url(re.compile(r"/identify\?next="))
    await page.get_by_role("button", name="Suomi.fi identification").click()
    await page.get_by_role("button", name="Aino Asiakas").click()  # the provider's login page
    await page.wait_for_url(f"**{join}")
    await wait_for_text(page, "#lobby-waiting", f"Waiting for {CASEWORKER_NAME} to let you in")
    return page


async def test_the_lobby_shows_who_identified_and_how(
    media_browser: Any,
    identified_world: tuple[TestServer, TestClient[Any, Any], VideoMeeting],
    server_peer_on_loopback: None,
) -> None:
    server, _api, meeting = identified_world
    client = await identify_and_wait(media_browser, server, meeting)
    host = await open_as_host(media_browser, server, meeting)
    await wait_for_text(host, "#lobby-list", "Aino Asiakas")
    await wait_for_text(host, "#lobby-list", "Identified with Suomi.fi identification, substantial")
    await host.get_by_role("button", name="Admit Aino Asiakas").click()
    await client.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    await wait_for_text(host, "#people-list", "Aino Asiakas")


async def test_someone_else_is_marked_and_let_in_only_on_confirmation(
    media_browser: Any,
    identified_world: tuple[TestServer, TestClient[Any, Any], VideoMeeting],
    server_peer_on_loopback: None,
) -> None:
    server, api, meeting = identified_world
    # The booking belongs to Erkki (tests/video/test_identified_join.py types his code in
    # through the caseworker's form); Aino identifies.
    erkki = api.app[person_hasher_key].identity_code("131052-308T")
    async with api.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking).where(Booking.id == meeting.id).values(client_identity_hash=erkki)
        )
    client = await identify_and_wait(media_browser, server, meeting)
    host = await open_as_host(media_browser, server, meeting)
    mismatch = "Identified as someone else than the person the booking belongs to"
    await wait_for_text(host, "#lobby-list", mismatch)

    questions: list[str] = []

    async def decline(dialog: Any) -> None:
        questions.append(dialog.message)
        await dialog.dismiss()

    host.once("dialog", decline)
    await host.get_by_role("button", name="Admit Aino Asiakas").click()
    await wait_for_text(host, "#lobby-list", mismatch)  # still waiting
    assert questions == [
        "Aino Asiakas identified as someone else than the person the booking belongs to. "
        "Let them in anyway?"
    ]
    host.once("dialog", lambda dialog: dialog.accept())
    await host.get_by_role("button", name="Admit Aino Asiakas").click()
    await client.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
