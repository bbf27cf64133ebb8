"""The wellbeing plan in the video room, in real browsers: the caseworker opens the identified
client's plan beside the video, both write in it and see each other's words arrive, the
caseworker saves it, and the client follows the link to their own pages and accepts it. The
client's side in Finnish and in Swedish; axe-core on the client's room with the plan open and
on the plan's page.

Fenced like the other video room tests: run alone with
`tests/run-fenced .venv/bin/pytest tests/e2e/test_video_plan.py`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from booking.models import Booking
from core.app_keys import person_hasher_key, sessions_key
from tests.e2e.conftest import serious_accessibility_violations
from tests.e2e.test_identified_lobby import identified_world
from tests.e2e.test_video_room import (
    CASEWORKER_NAME,
    WAIT_MS,
    media_browser,
    open_as_host,
    server_peer_on_loopback,
    wait_for_text,
)
from tests.mypages.test_my_pages import AINO
from tests.video.conftest import VideoMeeting

pytestmark = [pytest.mark.browser, pytest.mark.fenced, pytest.mark.timeout(180)]
__all__ = ["identified_world", "media_browser", "server_peer_on_loopback"]

WORDS = {
    "fi": {
        "method": "Suomi.fi-tunnistus",
        "goal": "Mihin haluamme päästä?",
        "add_action": "Lisää toimenpide",
        "what": "Mitä tehdään",
        "who": "Kuka tekee",
        "saved": "Tallennettu versiona 1",
        "plans": "Siirry suunnitelmiisi",
        "accept": "Hyväksyn suunnitelman",
        "accepted": "Hyväksyit suunnitelman.",
    },
    "sv": {
        "method": "Suomi.fi-identifikation",
        "goal": "Vad vill vi uppnå?",
        "add_action": "Lägg till en åtgärd",
        "what": "Vad som görs",
        "who": "Vem gör det",
        "saved": "Sparad som version 1",
        "plans": "Gå till dina planer",
        "accept": "Jag godkänner planen",
        "accepted": "Du godkände planen.",
    },
}
GOAL = "Arki sujuu ilman vuokrarästejä"
ACTION = "Soittaa vuokranantajalle"


async def field_shows(page: Any, name: str, value: str) -> None:
    await page.wait_for_function(
        "([name, value]) => document.querySelector(`[name='${name}']`)?.value === value",
        arg=[name, value],
        timeout=WAIT_MS,
    )


async def identified_client(
    browser: Any, server: TestServer, meeting: VideoMeeting, language: str
) -> Any:
    context = await browser.new_context(locale=f"{language}-FI")
    page = await context.new_page()
    join = f"/manage/{meeting.manage_token}/join"
    await page.goto(str(server.make_url(f"/language?lang={language}&next={join}")))
    await page.wait_for_url(re.compile(r"/identify\?next="))
    await page.get_by_role("button", name=WORDS[language]["method"]).click()
    await page.get_by_role("button", name="Aino Asiakas").click()
    await page.wait_for_url(f"**{join}")
    await page.locator("#lobby-stage").wait_for(state="visible", timeout=WAIT_MS)
    return page


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_the_plan_is_written_together_in_the_meeting_and_accepted(
    media_browser: Any,
    identified_world: tuple[TestServer, TestClient[Any, Any], VideoMeeting],
    server_peer_on_loopback: None,
    language: str,
) -> None:
    words = WORDS[language]
    server, api, meeting = identified_world
    aino = api.app[person_hasher_key].identity_code(AINO)
    async with api.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking).where(Booking.id == meeting.id).values(client_identity_hash=aino)
        )
    client = await identified_client(media_browser, server, meeting, language)
    host = await open_as_host(media_browser, server, meeting)
    await wait_for_text(host, "#lobby-list", "Aino Asiakas")
    await host.get_by_role("button", name="Admit Aino Asiakas").click()
    await client.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    assert await client.locator("#plan-panel").is_hidden()

    await host.get_by_role("button", name="Open the plan with the client").click()
    await client.locator("#plan-panel").wait_for(state="visible", timeout=WAIT_MS)
    await host.get_by_label("What do we want to reach?").fill(GOAL)
    await field_shows(client, "goals.0.goal", GOAL)

    # The client adds an action of their own; the caseworker sees it as it is written.
    await client.get_by_role("button", name=words["add_action"]).click()
    await client.get_by_label(words["what"]).fill(ACTION)
    await client.get_by_label(words["who"]).fill("Aino")
    await field_shows(host, "goals.0.actions.0.what", ACTION)
    await field_shows(host, "goals.0.actions.0.who", "Aino")
    assert await client.get_by_label(words["goal"]).input_value() == GOAL
    assert await serious_accessibility_violations(client) == [], "the room with the plan open"

    await host.get_by_role("button", name="Save as a new version").click()
    await wait_for_text(host, "#plan-status", "Saved as version 1")
    await wait_for_text(client, "#plan-status", words["saved"])

    # The client accepts it on their own pages (the identified session carries over).
    plans = await client.context.new_page()
    await plans.goto(str(server.make_url("/my/plans")))
    await plans.locator("main .item-list a").first.click()
    main = plans.locator("main")
    assert GOAL in await main.inner_text() and ACTION in await main.inner_text()
    assert CASEWORKER_NAME in await main.inner_text()
    assert await serious_accessibility_violations(plans) == [], "the plan saved in the meeting"
    await plans.get_by_role("button", name=words["accept"]).click()
    await plans.wait_for_url("**notice=accepted")
    assert words["accepted"] in await main.inner_text()
    assert await client.get_by_role("link", name=words["plans"]).is_visible()
