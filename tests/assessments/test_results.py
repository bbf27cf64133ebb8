"""Results through the pages and the API: before the meeting, on behalf, corrections, access."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from assessments.keys import assessment_service_key
from assessments.models import AssessmentResult
from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from core.principal import Role
from tests.accounts.test_login import csrf_token
from tests.booking.conftest import booking_body, make_world
from tests.conftest import create_user, log_in

WHO5 = {
    "cheerful": "most",
    "calm": "most",
    "active": "more_than_half",
    "rested": "some",
    "interest": "never",
}  # 4 + 4 + 3 + 1 + 0 = 12 → 48 %


async def post_form(client: TestClient[Any, Any], path: str, data: dict[str, Any]) -> Any:
    page = await client.get(path)
    form = {"csrf_token": csrf_token(await page.text()), **data}
    return await client.post(path, data=form, allow_redirects=False)


async def booked(
    client: TestClient[Any, Any], email: str = "liisa@example.com"
) -> tuple[Any, dict[str, Any]]:
    world = await make_world(client, assessment_template_id="who-5")
    body = booking_body(world, world.tomorrow_at(9), client={"name": "Liisa", "email": email})
    answer = await client.post("/api/v1/bookings", json=body)
    assert answer.status == 201, await answer.text()
    return world, await answer.json()


async def rows(client: TestClient[Any, Any]) -> list[AssessmentResult]:
    async with client.app[sessions_key]() as session:
        return list(await session.scalars(select(AssessmentResult)))


async def test_client_answers_once_before_the_meeting_with_the_manage_token(
    client: TestClient[Any, Any],
) -> None:
    _, booking = await booked(client)
    path = f"/manage/{booking['manage_token']}/assessment"
    refused = await post_form(client, path, {**WHO5, "calm": ""})
    assert refused.status == 422
    page = await refused.text()
    assert 'value="most" checked' in page  # what was typed is kept
    assert 'href="#calm"' in page
    sent = await post_form(client, path, WHO5)
    assert sent.status == 303
    [row] = await rows(client)
    assert (row.filled_by, row.template_version, row.score["percent"]) == ("client", 1, 48)
    again = await client.post(path, data={**WHO5, "csrf_token": "x"})
    assert again.status in (403, 409)
    thanks = await client.get(path)
    assert "csrf_token" not in await thanks.text() or "<form" not in await thanks.text()


async def test_caseworker_fills_on_behalf_corrects_and_reads_with_audit(
    client: TestClient[Any, Any],
) -> None:
    world, booking = await booked(client)
    await log_in(client, "maria@example.com")
    base = f"/caseworker/bookings/{booking['id']}/assessments"
    made = await post_form(
        client,
        f"{base}/new/service-needs",
        {
            "housing": "urgent",
            "income": "some",
            "daily_life": "none",
            "relationships": "none",
            "health": "some",
            "safety": "none",
        },
    )
    assert made.status == 303, await made.text()
    result_path = made.headers["Location"]
    page = await client.get(result_path)
    assert page.status == 200
    html = await page.text()
    assert 'role="img"' in html and "<title" in html
    [first] = await rows(client)
    assert first.filled_by == "caseworker" and first.submitted_by == world.maria
    assert first.score == {
        "total": 4,
        "percent": None,
        "band": first.score["band"],
        "groups": {"basic_security": 3, "everyday_wellbeing": 1},
    }
    no_reason = await post_form(client, f"{result_path}/correct", {"housing": "some"})
    assert no_reason.status == 422
    fixed = await post_form(
        client,
        f"{result_path}/correct",
        {
            "housing": "some",
            "income": "some",
            "daily_life": "none",
            "relationships": "none",
            "health": "some",
            "safety": "none",
            "reason": "Misheard on the phone",
        },
    )
    assert fixed.status == 303
    found = {row.id: row for row in await rows(client)}
    assert len(found) == 2
    assert found[first.id].answers["housing"] == "urgent"  # the original is never changed
    [new] = [row for row in found.values() if row.id != first.id]
    assert (new.replaces_id, new.correction_reason) == (first.id, "Misheard on the phone")
    api = await client.get(f"/api/v1/bookings/{booking['id']}/assessments")
    assert api.status == 200
    listed = (await api.json())["results"]
    assert [r["replaced_by"] for r in listed] == [new.id, None]
    one = await client.get(f"/api/v1/assessment-results/{new.id}")
    assert one.status == 200
    download = await client.get(f"/caseworker/assessment-results/{new.id}/download")
    assert (await download.json())["id"] == new.id
    async with client.app[sessions_key]() as session:
        actions = list(
            await session.scalars(
                select(AccessLogEntry.action).where(AccessLogEntry.subject_id == new.id)
            )
        )
    assert "assessment.read" in actions and "assessment.list" in actions


async def test_only_the_bookings_caseworker_reads_results(client: TestClient[Any, Any]) -> None:
    _, booking = await booked(client)
    service = client.app[assessment_service_key]
    result = await service.record(booking["id"], "who-5", dict(WHO5))
    assert result.score is not None and result.score["percent"] == 48
    nobody = await client.get(f"/api/v1/assessment-results/{result.id}")
    assert nobody.status == 401
    await log_in(client, "johan@example.com")
    other = await client.get(f"/api/v1/assessment-results/{result.id}")
    assert other.status == 404
    listing = await client.get(f"/api/v1/bookings/{booking['id']}/assessments")
    assert listing.status == 404
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    await log_in(client, "admin@example.com")
    admin = await client.get(f"/api/v1/assessment-results/{result.id}")
    assert admin.status == 403


async def test_another_bookings_token_does_not_open_its_questionnaire(
    client: TestClient[Any, Any],
) -> None:
    _, booking = await booked(client)
    wrong = await client.get("/manage/not-a-real-token-at-all/assessment")
    assert wrong.status == 404
    assert (await client.get(f"/manage/{booking['manage_token']}/assessment")).status == 200
