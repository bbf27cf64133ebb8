"""A unit's settings changed by an admin are in the access log: who changed which setting of
which unit, to what, in the same transaction as the change; a value refused or left as it was
writes nothing."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from accounts.keys import account_service_key
from accounts.service import SYSTEM
from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from tests.accounts.test_login import csrf_token


async def unit_changes(client: TestClient[Any, Any]) -> list[tuple[str | None, str, str, str]]:
    async with client.app[sessions_key]() as session:
        rows = await session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.subject_type == "unit")
            .order_by(AccessLogEntry.at, AccessLogEntry.action)
        )
        return [(row.user_id, row.action, row.subject_id, row.purpose) for row in rows]


async def test_changes_of_a_units_message_settings_are_in_the_access_log(
    client: TestClient[Any, Any], admin: str
) -> None:
    unit = await client.app[account_service_key].organisation.create_unit(
        SYSTEM, None, {"fi": "Perhepalvelut", "sv": "Familjetjänster", "en": "Family services"}
    )
    target = await client.put(
        f"/api/v1/admin/units/{unit.id}/answer-target", json={"answer_days": 5}
    )
    assert target.status == 200
    settings_path = f"/api/v1/admin/units/{unit.id}/message-settings"
    kept = await client.put(settings_path, json={"answer_days": 5, "message_retention_days": 365})
    assert kept.status == 200
    refused = await client.put(settings_path, json={"answer_days": 0, "message_retention_days": 9})
    assert refused.status == 422
    page_path = f"/admin/units/{unit.id}/messages"
    form = await (await client.get(page_path)).text()
    saved = await client.post(
        page_path,
        data={"csrf_token": csrf_token(form), "answer_days": "5", "message_retention_days": ""},
    )
    assert saved.status == 200
    assert await unit_changes(client) == [
        (admin, "unit.answer_days=5", unit.id, "unit settings"),
        (admin, "unit.message_retention_days=365", unit.id, "unit settings"),
        (admin, "unit.message_retention_days=default", unit.id, "unit settings"),
    ]
