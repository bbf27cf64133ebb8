"""A meeting type that asks for a questionnaire: the client is told where, by email and on the
manage page; a questionnaire that does not exist cannot be chosen."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from assessments.keys import assessment_service_key
from assessments.models import AssessmentResult
from assessments.service import AlreadySubmitted
from booking.types import ManageToken
from core.app_keys import sessions_key
from notifications.models import OutboxMessage
from tests.booking.conftest import booking_body, make_world
from tests.conftest import log_in


async def test_the_confirmation_and_the_manage_page_link_the_questionnaire(
    client: TestClient[Any, Any],
) -> None:
    world = await make_world(client, assessment_template_id="who-5")
    answer = await client.post(
        "/api/v1/bookings", json=booking_body(world, world.tomorrow_at(10), language="en")
    )
    assert answer.status == 201, await answer.text()
    token = (await answer.json())["manage_token"]

    async with client.app[sessions_key]() as session:
        emails = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
        ).all()
    confirmation = next(email for email in emails if email.kind == "confirmation")
    assert (
        f"Please fill in a short questionnaire before the meeting: "
        f"http://127.0.0.1:8080/manage/{token}/assessment" in confirmation.body_text
    )
    client.session.cookie_jar.update_cookies({"kohtaamo_lang": "en"})
    page = await (await client.get(f"/manage/{token}")).text()
    assert f'href="/manage/{token}/assessment"' in page
    form = await client.get(f"/manage/{token}/assessment")
    assert form.status == 200


async def test_only_known_questionnaires_can_be_asked_for(client: TestClient[Any, Any]) -> None:
    await make_world(client)
    await log_in(client, "maria@example.com")
    body = {
        "name": {"fi": "Tapaaminen", "sv": "Möte", "en": "Meeting"},
        "duration_minutes": 30,
        "modes": ["video"],
        "assessment_template_id": "no-such-questionnaire",
    }
    refused = await client.post("/api/v1/me/meeting-types", json=body)
    assert refused.status == 422
    assert [error["field"] for error in (await refused.json())["errors"]] == [
        "assessment_template_id"
    ]
    body["assessment_template_id"] = "service-needs"
    created = await client.post("/api/v1/me/meeting-types", json=body)
    assert created.status == 201, await created.text()
    assert (await created.json())["assessment_template_id"] == "service-needs"


async def test_two_simultaneous_submissions_store_one_result(client: TestClient[Any, Any]) -> None:
    world = await make_world(client, assessment_template_id="service-needs")
    answer = await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(10)))
    token = (await answer.json())["manage_token"]
    service = client.app[assessment_service_key]
    answers = {
        area: "none"
        for area in ("housing", "income", "daily_life", "relationships", "health", "safety")
    }
    outcomes = await asyncio.gather(
        *(service.submit_before_meeting(ManageToken(token), answers) for _ in range(5)),
        return_exceptions=True,
    )
    stored = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, AlreadySubmitted)]
    assert (len(stored), len(refused)) == (1, 4)
    async with client.app[sessions_key]() as session:
        rows = (await session.scalars(select(AssessmentResult))).all()
    assert [row.id for row in rows] == [stored[0].id]
