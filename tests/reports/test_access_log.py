"""The admin searches the access log of report reads and exports it as CSV or JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp.test_utils import TestClient

from core.principal import Role
from tests.conftest import create_user, log_in
from tests.reports.conftest import report_payload


async def test_admin_finds_who_read_a_report_and_exports_it(
    client: TestClient[Any, Any],
) -> None:
    await create_user(client.app, Role.INTAKE, "ilona@example.com", name="Ilona Intake")
    await create_user(client.app, Role.ADMIN, "alma@example.com", name="Alma Admin")
    sent = await client.post("/api/v1/concern-reports", json=report_payload())
    assert sent.status == 201, await sent.text()
    reference = (await sent.json())["reference"]
    await log_in(client, "ilona@example.com")
    assert (await client.get(f"/api/v1/concern-reports/{reference}")).status == 200
    await client.post("/api/v1/auth/logout")

    await log_in(client, "alma@example.com")
    page = await client.get(
        "/admin/access-log", params={"subject_type": "concern_report", "subject_id": reference}
    )
    assert page.status == 200
    html = await page.text()
    assert "Ilona Intake" in html and "concern_report.read" in html

    exported = await client.get("/admin/access-log/export.csv", params={"subject_id": reference})
    assert exported.status == 200
    assert exported.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await exported.text())))
    assert [(row["user_name"], row["action"], row["purpose"]) for row in rows] == [
        ("Ilona Intake", "concern_report.read", "intake")
    ]
    as_json = await client.get("/admin/access-log/export.json", params={"subject_id": reference})
    assert [row["subject_id"] for row in await as_json.json()] == [reference]

    bad = await client.get("/admin/access-log", params={"from": "2026-02-30"})
    assert bad.status == 422


async def test_only_admins_see_the_access_log(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.INTAKE, "ilona@example.com")
    anonymous = await client.get("/admin/access-log", allow_redirects=False)
    assert anonymous.status == 303
    await log_in(client, "ilona@example.com")
    assert (await client.get("/admin/access-log")).status == 403
    assert (await client.get("/admin/access-log/export.json")).status == 403
