"""The admin sees messages that failed every try, masked, and can send them again."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from core.app_keys import sessions_key
from core.principal import Role
from notifications.models import FAILED, PENDING, OutboxMessage
from tests.conftest import create_user, log_in


async def failed_message(client: TestClient[Any, Any]) -> str:
    message = OutboxMessage(
        idempotency_key="test:failed",
        kind="confirmation",
        channel="email",
        recipient="liisa.asiakas@example.com",
        language="fi",
        subject="s",
        body_text="t",
        status=FAILED,
        attempts=8,
        last_error="SMTP: SMTPConnectError",
    )
    async with client.app[sessions_key].begin() as session:
        session.add(message)
        await session.flush()
        return message.id


async def test_admin_lists_failed_messages_masked_and_retries_one(
    client: TestClient[Any, Any], admin: str
) -> None:
    message_id = await failed_message(client)
    page = await (await client.get("/admin/messages", headers={"Accept-Language": "en"})).text()
    assert "l…@example.com" in page and "liisa.asiakas" not in page
    assert "SMTP: SMTPConnectError" in page
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token
    answer = await client.post(
        f"/admin/messages/{message_id}/retry", data={"csrf_token": token.group(1)}
    )
    assert "Viestiä yritetään uudelleen minuutin kuluessa." in await answer.text()
    async with client.app[sessions_key]() as session:
        stored = await session.get(OutboxMessage, message_id)
    assert stored is not None and (stored.status, stored.attempts) == (PENDING, 0)
    assert "Kaikki viestit on lähetetty." in await (await client.get("/admin/messages")).text()


async def test_only_admins_see_failed_messages(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/admin/messages", allow_redirects=False)).status == 303
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    await log_in(client, "maria@example.com")
    assert (await client.get("/admin/messages")).status == 403
