"""A live assessment in the video room, in real browsers: the caseworker sends the service-needs
questionnaire, the client answers it beside the video (the caseworker follows each answer as it
is given), reloads the page and finds the answers kept, sends the answers, and both see the
result. The client's page with the questionnaire open passes axe-core.

Fenced like tests/e2e/test_video_room.py: run it alone with
`tests/run-fenced .venv/bin/pytest tests/e2e/test_video_assessment.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.e2e.conftest import serious_accessibility_violations
from tests.e2e.test_video_room import (  # noqa: F401 (fixtures)
    WAIT_MS,
    admit,
    api,
    media_browser,
    open_as_client,
    open_as_host,
    server_peer_on_loopback,
    wait_for_text,
)
from tests.video.conftest import make_video_meeting

pytestmark = [pytest.mark.browser, pytest.mark.fenced]

SERVICE_NEEDS = "service-needs"


async def answer_shown(host: Any, question: str, text: str) -> None:
    """The caseworker's panel shows the client's answer to ``question``."""
    await wait_for_text(host, f"#aq-{question}-answer", text)


async def test_the_client_answers_a_questionnaire_the_host_follows_and_both_see_the_result(
    media_browser: Any,  # noqa: F811
    live_server: TestServer,
    api: TestClient[Any, Any],  # noqa: F811
) -> None:
    meeting = await make_video_meeting(api)
    client = await open_as_client(media_browser, live_server, meeting)
    host = await open_as_host(media_browser, live_server, meeting)
    await admit(host, client)
    panel = client.locator("#assessment-panel")
    assert await panel.is_hidden()

    # The caseworker picks the questionnaire and sends it.
    await host.get_by_label("Choose a questionnaire").select_option(SERVICE_NEEDS)
    await host.get_by_role("button", name="Send to the client").click()
    await wait_for_text(host, "#assessment-title", "Service needs self-assessment")
    await answer_shown(host, "housing", "Not answered yet")

    # It opens beside the client's video, is announced, and the heading has the focus.
    await panel.wait_for(state="visible", timeout=WAIT_MS)
    await wait_for_text(client, "#assessment-title", "Service needs self-assessment")
    await wait_for_text(client, "#video-announcer", "You received a questionnaire")
    await client.wait_for_function("document.activeElement?.id === 'assessment-title'")

    # Answers by pointer and by keyboard alone; each one reaches the caseworker as it is given.
    await client.get_by_role("group", name="Housing").get_by_label("Some need").check()
    await answer_shown(host, "housing", "Some need")
    await client.get_by_role("group", name="Income and money").get_by_label("No need").focus()
    await client.keyboard.press("Space")
    await answer_shown(host, "income", "No need")
    await client.keyboard.press("ArrowDown")
    await answer_shown(host, "income", "Some need")

    # Sending too early marks the questions still unanswered.
    await client.get_by_role("button", name="Send the answers").click()
    await wait_for_text(client, "#aq-daily_life-error", "Answer this question.")
    await wait_for_text(client, "#assessment-status", "Some answers are missing")
    assert (
        await client.get_by_role("group", name="Managing daily life").get_attribute("aria-invalid")
        == "true"
    )

    # The follow-up question shows only when its condition is met.
    safe_now = client.locator("#aq-safe_now-group")
    assert await safe_now.is_hidden()
    await client.get_by_role("group", name="Safety").get_by_label("Urgent need").check()
    await safe_now.wait_for(state="visible", timeout=WAIT_MS)
    await answer_shown(host, "safety", "Urgent need")
    await client.get_by_role("group", name="Are you safe right now?").get_by_label("Yes").check()
    await answer_shown(host, "safe_now", "Yes")
    await client.get_by_role("group", name="Safety").get_by_label("Some need").check()
    await safe_now.wait_for(state="hidden", timeout=WAIT_MS)
    await client.get_by_role("group", name="Safety").get_by_label("Urgent need").check()
    await safe_now.wait_for(state="visible", timeout=WAIT_MS)

    # Free text goes once the typing pauses.
    await client.get_by_label("What would you most like to talk about first?").fill(
        "Vuokra on myöhässä."
    )
    await answer_shown(host, "most_important", "Vuokra on myöhässä.")

    assert await serious_accessibility_violations(client) == [], "the questionnaire"

    # A reload keeps the answers: the room sends the questionnaire again with them.
    await client.reload()
    await client.locator("#room-stage").wait_for(state="visible", timeout=WAIT_MS)
    await panel.wait_for(state="visible", timeout=WAIT_MS)
    housing = client.get_by_role("group", name="Housing")
    await housing.get_by_label("Some need").wait_for(timeout=WAIT_MS)
    assert await housing.get_by_label("Some need").is_checked()
    assert await client.get_by_role("group", name="Safety").get_by_label("Urgent need").is_checked()
    assert await client.get_by_label(
        "What would you most like to talk about first?"
    ).input_value() == ("Vuokra on myöhässä.")

    for area in ("Managing daily life", "Family and relationships", "Health and coping"):
        await client.get_by_role("group", name=area).get_by_label("No need").check()
    await answer_shown(host, "health", "No need")
    await client.get_by_role("button", name="Send the answers").click()

    # 1 (housing) + 1 (income) + 2 (safety) = 4: some need for support.
    await wait_for_text(client, "#assessment-result", "Thank you. Your answers were sent.")
    await wait_for_text(client, "#video-announcer", "Thank you. Your answers were sent.")
    await wait_for_text(client, "#assessment-result", "Some need for support")
    await wait_for_text(host, "#assessment-result", "The client's answers were saved.")
    await wait_for_text(host, "#assessment-result", "4")
    await wait_for_text(host, "#assessment-result", "Some need for support")
    assert await host.get_by_role("button", name="Send to the client").is_visible()
