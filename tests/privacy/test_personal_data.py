"""The person's rights from one place: an admin finds everything held about one person by their
email, phone or identity code, exports it, and erases it on request; nothing of another person
with a similar name comes along."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from assessments.keys import assessment_service_key
from audit.models import AccessLogEntry
from booking.keys import booking_service_key
from booking.models import Booking
from booking.types import ManageToken
from core.app_keys import sessions_key
from core.db import utcnow
from core.principal import Role
from notifications.models import OutboxMessage
from tests.booking.conftest import BookingWorld, booking_body, make_world
from tests.conftest import create_user, log_in
from tests.notifications.test_messages_delivered import drain
from tests.reports.conftest import IDENTITY_NUMBER, report_payload

NAME = "Anna Virtanen"
EMAIL = "anna.virtanen@example.org"
PHONE = "+358401112233"
TOPIC = "Toimeentulo ja vuokrarästit"
# Another person with a similar name and a similar address.
OTHER_EMAIL = "anna.virtanen@example.com"
OTHER_TOPIC = "Lapsen koulunkäynti"

pytestmark = pytest.mark.usefixtures("settings")


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Any:
    from tests.conftest import make_settings

    return make_settings(database_url, file_store=str(tmp_path / "files"))


async def book(
    client: TestClient[Any, Any], world: BookingWorld, hour: int, person: dict[str, str], topic: str
) -> dict[str, Any]:
    body = booking_body(world, world.tomorrow_at(hour), client=person, answers={"topic": topic})
    answer = await client.post("/api/v1/bookings", json=body)
    assert answer.status == 201, await answer.text()
    return dict(await answer.json())


async def two_people(
    client: TestClient[Any, Any],
) -> tuple[dict[str, Any], dict[str, Any], BookingWorld]:
    """Anna's booking with an assessment, her concern report and her messages; and another
    Anna Virtanen's booking."""
    from calendars.meeting_types import PreMeetingQuestion

    question = PreMeetingQuestion("topic", "text", {"fi": "Mistä haluat puhua?", "en": "Topic?"})
    world = await make_world(
        client,
        asks_pre_meeting_form=True,
        pre_meeting_questions=(question,),
        assessment_template_id="service-needs",
    )
    anna = await book(client, world, 10, {"name": NAME, "email": EMAIL, "phone": PHONE}, TOPIC)
    other = await book(client, world, 12, {"name": NAME, "email": OTHER_EMAIL}, OTHER_TOPIC)
    await client.app[assessment_service_key].submit_before_meeting(
        ManageToken(anna["manage_token"]),
        {
            a: "some"
            for a in ("housing", "income", "daily_life", "relationships", "health", "safety")
        },
    )
    payload = report_payload(reporter_kind="private")
    payload["reporter"] = {
        "name": NAME,
        "email": EMAIL.upper(),
        "phone": "",
        "role": "",
        "organisation": "",
    }
    reported = await client.post("/api/v1/concern-reports", json=payload)
    assert reported.status == 201, await reported.text()
    await drain(client)
    return anna, other, world


async def search(client: TestClient[Any, Any], **query: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/personal-data/search", json=query)
    assert answer.status == 200, await answer.text()
    return dict(await answer.json())


async def test_the_export_finds_the_persons_booking_assessment_report_and_messages_only(
    client: TestClient[Any, Any], admin: str
) -> None:
    anna, other, _world = await two_people(client)
    await log_in(client, "admin@example.com")

    found = await search(client, email="  Anna.Virtanen@Example.org ")

    assert [b["id"] for b in found["bookings"]] == [anna["id"]]
    assert found["bookings"][0]["answers"] == {"topic": TOPIC}
    assert found["bookings"][0]["phone"] == PHONE
    assert [a["booking_id"] for a in found["assessments"]] == [anna["id"]]
    kinds = sorted(m["kind"] for m in found["messages"])
    assert "confirmation" in kinds and "concern-report-receipt" in kinds
    assert all(m["recipient"].lower() in (EMAIL, PHONE) for m in found["messages"])
    [report] = found["concern_reports"]
    assert report["role"] == "reporter"
    assert report["content"]["reporter"]["name"] == NAME
    text = json.dumps(found, ensure_ascii=False)
    assert other["id"] not in text and OTHER_EMAIL not in text and OTHER_TOPIC not in text

    # The same person by phone, typed the national way: her booking and its messages, no report.
    by_phone = await search(client, phone="040 111 2233")
    assert [b["id"] for b in by_phone["bookings"]] == [anna["id"]]
    assert by_phone["concern_reports"] == []

    # The export is in the access log, under its purpose, for every booking it showed.
    async with client.app[sessions_key]() as session:
        logged = (
            await session.scalars(
                select(AccessLogEntry.subject_id).where(
                    AccessLogEntry.action == "person.read",
                    AccessLogEntry.subject_type == "booking",
                    AccessLogEntry.purpose == "access request export",
                )
            )
        ).all()
    assert set(logged) == {anna["id"]}
    # ...and the next export shows that reading, who did it and why.
    again = await search(client, email=EMAIL)
    assert any(
        read["reader"] == "Alma Admin" and read["purpose"] == "access request export"
        for read in again["access_log"]
    )


async def test_a_childs_identity_code_lists_reports_about_them_without_their_content(
    client: TestClient[Any, Any], admin: str
) -> None:
    await two_people(client)
    await log_in(client, "admin@example.com")
    found = await search(client, identity_code=IDENTITY_NUMBER.lower())
    [report] = found["concern_reports"]
    assert report["role"] == "child" and report["content"] is None
    assert found["bookings"] == []
    assert (await search(client, identity_code="010516B904Y"))["concern_reports"] == []


async def test_bad_queries_get_field_errors_and_other_roles_are_refused(
    client: TestClient[Any, Any], admin: str
) -> None:
    await log_in(client, "admin@example.com")
    empty = await client.post("/api/v1/personal-data/search", json={})
    assert empty.status == 422
    problem = await empty.json()
    assert empty.content_type == "application/problem+json"
    assert [e["field"] for e in problem["errors"]] == ["email"]
    bad = await client.post("/api/v1/personal-data/search", json={"email": "not an address"})
    assert bad.status == 422
    no_reason = await client.post(
        "/api/v1/personal-data/erasure", json={"email": EMAIL, "reason": "   "}
    )
    assert no_reason.status == 422
    assert [e["field"] for e in (await no_reason.json())["errors"]] == ["reason"]

    await create_user(client.app, Role.CASEWORKER, "case@example.com")
    await log_in(client, "case@example.com")
    refused = await client.post("/api/v1/personal-data/search", json={"email": EMAIL})
    assert refused.status == 403


async def test_erasure_removes_past_bookings_and_messages_and_keeps_upcoming_and_reports(
    client: TestClient[Any, Any], admin: str
) -> None:
    anna, other, world = await two_people(client)
    # Booked by phone alone (one live booking per client and meeting type by the same email).
    upcoming = await book(client, world, 15, {"name": NAME, "phone": PHONE}, "")
    await log_in(client, "admin@example.com")
    # Anna's first meeting is over; the one at 15 is still to come.
    async with client.app[sessions_key]() as session:
        first = await session.get(Booking, anna["id"])
        assert first is not None
        after_first = first.ends_at + timedelta(minutes=1)
    client.app[booking_service_key]._clock = lambda: after_first

    answer = await client.post(
        "/api/v1/personal-data/erasure",
        json={"email": EMAIL, "phone": PHONE, "reason": "Pyyntö 2026-12-05 nro 17"},
    )
    assert answer.status == 200, await answer.text()
    assert await answer.json() == {
        "bookings": 1,
        "messages": 1,  # the report's receipt; the booking's messages went with the booking
        "kept_upcoming_bookings": 1,
        "kept_reports": 1,
        "feedback": 0,
    }
    async with client.app[sessions_key]() as session:
        left = set((await session.scalars(select(Booking.id))).all())
        receipts = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "concern-report-receipt")
            )
        ).all()
        erased = (
            await session.scalars(
                select(AccessLogEntry.purpose).where(AccessLogEntry.action == "person.erased")
            )
        ).all()
    assert left == {other["id"], upcoming["id"]}
    assert [(m.status, m.recipient, m.body_text) for m in receipts] == [("erased", "", "")]
    assert set(erased) == {"Pyyntö 2026-12-05 nro 17"}
    client.app[booking_service_key]._clock = utcnow


async def test_the_admin_page_finds_exports_and_erases_without_javascript(
    client: TestClient[Any, Any], admin: str
) -> None:
    anna, _other, _world = await two_people(client)
    await log_in(client, "admin@example.com")
    page = await client.get("/admin/personal-data")
    assert page.status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    csrf = token.group(1)

    missing = await client.post("/admin/personal-data", data={"csrf_token": csrf, "phone": "12"})
    assert missing.status == 422
    assert 'value="12"' in await missing.text()  # kept as typed

    found = await client.post("/admin/personal-data", data={"csrf_token": csrf, "email": EMAIL})
    html = await found.text()
    assert found.status == 200
    assert TOPIC in html and NAME in html and OTHER_TOPIC not in html

    readable = await client.post(
        "/admin/personal-data/export.html", data={"csrf_token": csrf, "email": EMAIL}
    )
    assert readable.status == 200
    assert "attachment" in readable.headers["Content-Disposition"]
    exported = await readable.text()
    assert TOPIC in exported and "Anna Virtanen" in exported and OTHER_TOPIC not in exported
    as_json = await client.post(
        "/admin/personal-data/export.json", data={"csrf_token": csrf, "email": EMAIL}
    )
    assert (await as_json.json())["bookings"][0]["id"] == anna["id"]

    unconfirmed = await client.post(
        "/admin/personal-data/erase",
        data={"csrf_token": csrf, "email": EMAIL, "reason": "Pyyntö 17"},
    )
    assert unconfirmed.status == 422
    assert 'value="Pyyntö 17"' in await unconfirmed.text()
    without_token = await client.post(
        "/admin/personal-data/erase", data={"email": EMAIL, "reason": "x", "confirm": "yes"}
    )
    assert without_token.status == 403
