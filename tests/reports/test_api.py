"""The concern report API: public submission, and the intake queue behind a session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from core.db import utcnow
from core.principal import Role
from tests.conftest import create_user, log_in
from tests.reports.conftest import (
    IDENTITY_NUMBER,
    JPEG,
    PNG,
    SECRET_TEXT,
    report_payload,
    service_of,
)


async def submit(client: TestClient[Any, Any], **overrides: Any) -> str:
    response = await client.post("/api/v1/concern-reports", json=report_payload(**overrides))
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["receipt_url"].startswith("http://127.0.0.1:8080/report-a-concern/receipt/")
    return str(body["reference"])


async def audit_entries(client: TestClient[Any, Any]) -> list[tuple[str, str, str | None]]:
    async with client.app[sessions_key]() as session:
        rows = await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.at))
        return [(row.action, row.subject_id, row.user_id) for row in rows]


async def test_submission_answers_201_with_reference_and_repeat_gives_the_same(
    client: TestClient[Any, Any],
) -> None:
    payload = report_payload()
    first = await client.post("/api/v1/concern-reports", json=payload)
    second = await client.post("/api/v1/concern-reports", json=payload)
    assert first.status == second.status == 201
    assert (await first.json())["reference"] == (await second.json())["reference"]


async def test_invalid_submission_answers_422_with_field_errors_in_the_language(
    client: TestClient[Any, Any],
) -> None:
    payload = report_payload()
    payload["child"]["identity_number"] = "131052-308U"
    payload["reporter"]["phone"] = "123"
    response = await client.post(
        "/api/v1/concern-reports", json=payload, headers={"Accept-Language": "sv"}
    )
    assert response.status == 422
    problem = await response.json()
    fields = {error["field"]: error["message"] for error in problem["errors"]}
    assert fields == {
        "child.identity_number": "Personbeteckningens kontrolltecken är fel.",
        "reporter.phone": "Ange ett telefonnummer, till exempel 070 123 45 67.",
    }


async def test_intake_lists_reads_and_updates_and_every_read_is_logged(
    client: TestClient[Any, Any],
) -> None:
    urgent = await submit(client)
    other = await submit(
        client, concern={"categories": ["school_absence"], "description": "Poissaoloja"}
    )
    intake_id = await create_user(client.app, Role.INTAKE, "intake@example.com")
    caseworker_id = await create_user(client.app, Role.CASEWORKER, "cw@example.com")
    await log_in(client, "intake@example.com")

    listed = await client.get("/api/v1/concern-reports")
    assert listed.status == 200
    reports = (await listed.json())["reports"]
    assert [r["reference"] for r in reports] == [urgent, other]  # urgent first
    assert [d["kind"] for d in reports[0]["deadlines"]] == [
        "protection_assessment",
        "service_needs_decision",
    ]

    opened = await client.get(f"/api/v1/concern-reports/{urgent}")
    assert opened.status == 200
    detail = await opened.json()
    assert detail["report"]["concern"]["description"] == SECRET_TEXT
    assert detail["report"]["child"]["identity_number"] == IDENTITY_NUMBER

    patched = await client.patch(
        f"/api/v1/concern-reports/{urgent}",
        json={"assignee_id": caseworker_id, "status": "protection_assessed", "note": "Soitettu"},
    )
    assert patched.status == 200, await patched.text()
    detail = await patched.json()
    assert detail["status"] == "protection_assessed"
    assert detail["assignee_id"] == caseworker_id
    assert detail["protection_assessed_by"] == intake_id
    assert [e["kind"] for e in detail["events"]] == ["assigned", "status"]
    assert detail["events"][1]["note"] == "Soitettu"

    decided = await client.patch(
        f"/api/v1/concern-reports/{urgent}", json={"status": "investigation_opened"}
    )
    assert (await decided.json())["deadlines"] == []
    backwards = await client.patch(f"/api/v1/concern-reports/{urgent}", json={"status": "received"})
    assert backwards.status == 409
    skipping = await client.patch(
        f"/api/v1/concern-reports/{other}", json={"status": "investigation_opened"}
    )
    assert skipping.status == 409

    filtered = await client.get("/api/v1/concern-reports?status=received")
    assert [r["reference"] for r in (await filtered.json())["reports"]] == [other]
    not_overdue = await client.get("/api/v1/concern-reports?overdue=true")
    assert (await not_overdue.json())["reports"] == []

    entries = await audit_entries(client)
    assert ("concern_report.list", urgent, intake_id) in entries
    assert ("concern_report.list", other, intake_id) in entries
    assert ("concern_report.read", urgent, intake_id) in entries
    assert all(user == intake_id for _, _, user in entries)


async def test_caseworker_sees_only_reports_assigned_to_them(
    client: TestClient[Any, Any],
) -> None:
    mine, theirs = await submit(client), await submit(client)
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    caseworker_id = await create_user(client.app, Role.CASEWORKER, "cw@example.com")
    await log_in(client, "intake@example.com")
    await client.patch(f"/api/v1/concern-reports/{mine}", json={"assignee_id": caseworker_id})
    await client.post("/api/v1/auth/logout")
    client.session.cookie_jar.clear()

    await log_in(client, "cw@example.com")
    listed = await client.get("/api/v1/concern-reports")
    assert [r["reference"] for r in (await listed.json())["reports"]] == [mine]
    assert (await client.get(f"/api/v1/concern-reports/{mine}")).status == 200
    assert (await client.get(f"/api/v1/concern-reports/{theirs}")).status == 404
    changed = await client.patch(f"/api/v1/concern-reports/{mine}", json={"note": "Hei"})
    assert changed.status == 403


async def test_reports_are_not_for_the_public_or_admins(
    client: TestClient[Any, Any], admin: str
) -> None:
    reference = await submit(client)
    assert (await client.get("/api/v1/concern-reports")).status == 403
    assert (await client.get(f"/api/v1/concern-reports/{reference}")).status == 403
    client.session.cookie_jar.clear()
    assert (await client.get("/api/v1/concern-reports")).status == 401
    assert (await client.get(f"/api/v1/concern-reports/{reference}")).status == 401
    assert (await client.patch(f"/api/v1/concern-reports/{reference}", json={})).status == 401


async def test_assigning_to_an_unknown_user_is_a_field_error(client: TestClient[Any, Any]) -> None:
    reference = await submit(client)
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    response = await client.patch(
        f"/api/v1/concern-reports/{reference}", json={"assignee_id": "nobody"}
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "assignee_id"


async def upload(
    client: TestClient[Any, Any], reference: str, token: str, filename: str, data: bytes
) -> Any:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return await client.post(
        f"/api/v1/concern-reports/{reference}/attachments",
        data=form,
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_files_are_added_with_the_submission_token_and_read_back_logged(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post("/api/v1/concern-reports", json=report_payload())
    sent = await response.json()
    reference, token = sent["reference"], sent["attachment_token"]

    added = await upload(client, reference, token, "piirros.png", PNG)
    assert added.status == 201, await added.text()
    attachment = await added.json()
    assert attachment["media_type"] == "image/png"

    lying = await upload(client, reference, token, "todistus.pdf", PNG)
    assert lying.status == 422
    assert (await lying.json())["errors"][0]["field"] == "file"
    assert (await upload(client, reference, "0" * 64, "kuva.png", PNG)).status == 401
    assert (await upload(client, "OR-2026-999999", token, "kuva.png", PNG)).status == 401
    for _ in range(4):
        assert (await upload(client, reference, token, "kuva.jpg", JPEG)).status == 201
    sixth = await upload(client, reference, token, "kuva.jpg", JPEG)
    assert sixth.status == 422

    intake_id = await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    downloaded = await client.get(
        f"/api/v1/concern-reports/{reference}/attachments/{attachment['id']}"
    )
    assert downloaded.status == 200
    assert downloaded.content_type == "image/png"
    assert await downloaded.read() == PNG
    assert ("concern_report.attachment", reference, intake_id) in await audit_entries(client)


async def test_files_cannot_be_added_after_the_window(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/v1/concern-reports", json=report_payload())
    sent = await response.json()
    service = service_of(client.app)
    later = utcnow() + timedelta(minutes=31)
    service._clock = lambda: later
    answer = await upload(client, sent["reference"], sent["attachment_token"], "a.png", PNG)
    assert answer.status == 409
