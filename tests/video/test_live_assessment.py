"""A questionnaire pushed to the client's screen during the meeting, through the real WebSocket:
the caseworker sees each answer as it is given, a reconnecting client sees the answers so far,
and the result is stored with the booking."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.video.conftest import VideoMeeting
from tests.video.test_signaling import expect, join_as_client, join_as_host


async def test_the_client_answers_live_and_the_result_is_kept(
    client: TestClient[Any, Any],
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
) -> None:
    host = await join_as_host(host_session, meeting)
    liisa, welcome = await join_as_client(anonymous, meeting)
    await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
    await expect(liisa, "admitted")

    # Only the host may start one, and only a questionnaire that exists.
    await host.send_json({"type": "assessment-start", "template": "no-such"})
    assert (await expect(host, "error"))["code"] == "unknown-template"
    await host.send_json({"type": "assessment-start", "template": "service-needs"})
    shown = await expect(liisa, "assessment")
    assert shown["template"]["id"] == "service-needs"
    assert shown["answers"] == {}
    assessment = (await expect(host, "assessment"))["id"]

    async def answer(question: str, value: Any) -> None:
        await liisa.send_json(
            {
                "type": "assessment-answer",
                "assessment": assessment,
                "question": question,
                "value": value,
            }
        )

    await answer("housing", "urgent")
    seen = await expect(host, "assessment-answer")
    assert (seen["question"], seen["value"]) == ("housing", "urgent")
    await answer("income", "not-an-option")
    refused = await expect(liisa, "error")
    assert (refused["code"], list(refused["fields"])) == ("invalid-answer", ["income"])

    # Submitting too early names what is missing.
    await liisa.send_json({"type": "assessment-submit", "assessment": assessment})
    missing = await expect(liisa, "error")
    assert missing["code"] == "incomplete"
    assert "income" in missing["fields"]

    # The client drops and comes back: the answers so far are there.
    await liisa.close()
    liisa, _ = await join_as_client(anonymous, meeting, resume=welcome["resume"])
    restored = await expect(liisa, "assessment")
    assert restored["answers"] == {"housing": "urgent"}

    for question in ("income", "daily_life", "relationships", "health"):
        await answer(question, "some")
    await answer("safety", "none")
    await liisa.send_json({"type": "assessment-submit", "assessment": assessment})
    result = await expect(host, "assessment-result")
    assert (await expect(liisa, "assessment-result"))["result"] == result["result"]
    assert result["result"]["score"]["total"] == 2 + 4 * 1 + 0

    # Stored with the booking, readable by its caseworker.
    stored = await host_session.get(f"/api/v1/bookings/{meeting.id}/assessments")
    assert stored.status == 200, await stored.text()
    assert result["result"]["id"] in await stored.text()
