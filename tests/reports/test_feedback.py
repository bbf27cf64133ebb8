"""The mandated reporter hears only whether an investigation was opened, once intake confirms."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from core.principal import Role
from notifications.keys import outbox_sender_key
from server import create_app
from tests.conftest import create_user, log_in, make_settings
from tests.notifications.conftest import Inbox, SmtpServer, smtp  # noqa: F401
from tests.reports.conftest import IDENTITY_NUMBER, SECRET_TEXT, report_payload


async def test_feedback_is_previewed_then_sent_once_through_smtp_with_nothing_personal(
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Any,
    smtp: tuple[Inbox, SmtpServer],  # noqa: F811
) -> None:
    inbox, server = smtp
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        file_store=str(tmp_path / "files"),
    )
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    payload = report_payload(language="sv")
    reference = (await (await client.post("/api/v1/concern-reports", json=payload)).json())[
        "reference"
    ]
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    url = f"/api/v1/concern-reports/{reference}"

    early = await client.post(f"{url}/feedback", json={"outcome": "opened"})
    assert early.status == 409  # no decision yet
    await client.patch(url, json={"status": "protection_assessed"})
    await client.patch(url, json={"status": "investigation_opened"})
    assert (await client.post(f"{url}/feedback", json={"outcome": "not_opened"})).status == 409

    preview = await client.get(f"{url}/feedback?outcome=opened")
    assert preview.status == 200
    await client.app[outbox_sender_key].drain()
    receipts = [m for rcpt, m in inbox.messages if rcpt == ["olli.opettaja@koulu.example.fi"]]
    assert len(receipts) == 1  # only the receipt so far: a preview sends nothing

    for _ in range(2):
        sent = await client.post(f"{url}/feedback", json={"outcome": "opened"})
        assert sent.status == 202
    await client.app[outbox_sender_key].drain()
    messages = [m for rcpt, m in inbox.messages if rcpt == ["olli.opettaja@koulu.example.fi"]]
    assert len(messages) == 2  # the receipt and one feedback message
    feedback = messages[1]
    body = feedback.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    assert reference in str(feedback["Subject"]) and "utredning har inletts" in body
    for personal in ("Eino", "Esimerkki", IDENTITY_NUMBER, SECRET_TEXT, "Erkki"):
        assert personal not in body and personal not in str(feedback["Subject"])


async def test_private_reporters_get_no_feedback(client: TestClient[Any, Any]) -> None:
    payload = report_payload(reporter_kind="private")
    reference = (await (await client.post("/api/v1/concern-reports", json=payload)).json())[
        "reference"
    ]
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    url = f"/api/v1/concern-reports/{reference}"
    await client.patch(url, json={"status": "protection_assessed"})
    await client.patch(url, json={"status": "investigation_not_opened"})
    assert (await client.post(f"{url}/feedback", json={"outcome": "not_opened"})).status == 409
