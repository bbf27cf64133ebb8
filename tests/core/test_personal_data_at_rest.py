"""No personal data of a client, guest or reporter is readable from the database or the files.

A booking with pre-meeting answers, a questionnaire, a move, a guest invitation, the outbox
sending its messages and a concern report with an attachment go through the real app; then every
row of every table is read through the driver (not the models) and every file of the file store
as bytes, and none holds any of the recognisable strings. The same values still read back
through the service, so what is stored is ciphertext and not loss.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import inspect

from assessments.keys import assessment_service_key
from booking.types import ManageToken
from calendars.meeting_types import PreMeetingQuestion
from core.app_keys import engine_key
from core.settings import Settings
from tests.booking.conftest import booking_body, make_world
from tests.conftest import log_in, make_settings
from tests.notifications.test_messages_delivered import drain
from tests.reports.conftest import report_payload

CLIENT_NAME = "Sanna Salainenxq"
CLIENT_EMAIL = "sanna.salainenxq@example.com"
CLIENT_PHONE = "+358 40 123 9876"
TOPIC = "Asumisongelmaxq kotona"
CANCEL_NOTE = "Kiitos viestistäxq"
GUEST_NAME = "Tulkki Zebulonxq"
REPORTER_EMAIL = "olli.raportoijaxq@koulu.example.fi"
CHILD_NAME = "Eino Lapsixq"
FILE_NAME = "piirustusxq.pdf"
FILE_CONTENT = b"%PDF-1.7\n% lapsen piirrosxq\n"

NEEDLES = [
    CLIENT_NAME,
    "Salainenxq",
    "sanna.salainenxq",
    "401239876",
    TOPIC,
    "Asumisongelmaxq",
    CANCEL_NOTE,
    GUEST_NAME,
    "Zebulonxq",
    "olli.raportoijaxq",
    CHILD_NAME,
    "Lapsixq",
    "piirustusxq",
    "piirrosxq",
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, file_store=str(tmp_path / "files"))


def found_in(value: Any) -> list[str]:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).casefold()
    return [needle for needle in NEEDLES if needle.casefold() in text]


async def every_row(client: TestClient[Any, Any]) -> list[tuple[str, str, Any]]:
    engine = client.app[engine_key]
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        values = []
        for table in tables:
            result = await connection.exec_driver_sql(f'SELECT * FROM "{table}"')  # noqa: S608
            columns = list(result.keys())
            for row in result.all():
                values.extend(
                    (table, column, value) for column, value in zip(columns, row, strict=True)
                )
    return values


def stored_files(root: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in root.rglob("*") if path.is_file()}


async def make_personal_data(client: TestClient[Any, Any]) -> str:
    question = PreMeetingQuestion("topic", "text", {"fi": "Mistä haluat puhua?", "en": "Topic?"})
    world = await make_world(
        client,
        asks_pre_meeting_form=True,
        pre_meeting_questions=(question,),
        assessment_template_id="service-needs",
    )
    body = booking_body(
        world,
        world.tomorrow_at(10),
        client={"name": CLIENT_NAME, "email": CLIENT_EMAIL, "phone": CLIENT_PHONE},
        answers={"topic": TOPIC},
    )
    answer = await client.post("/api/v1/bookings", json=body)
    assert answer.status == 201, await answer.text()
    booked = await answer.json()
    token = booked["manage_token"]
    authorization = {"Authorization": f"Bearer {token}"}

    await client.app[assessment_service_key].submit_before_meeting(
        ManageToken(token),
        {
            area: "some"
            for area in ("housing", "income", "daily_life", "relationships", "health", "safety")
        },
    )
    moved = await client.post(
        f"/api/v1/bookings/{booked['id']}/reschedule",
        json={"start": world.tomorrow_at(12).isoformat()},
        headers=authorization,
    )
    assert moved.status == 200, await moved.text()

    await log_in(client, "maria@example.com")
    invited = await client.post(
        f"/api/v1/meetings/{booked['id']}/guests", json={"display_name": GUEST_NAME}
    )
    assert invited.status == 201, await invited.text()
    await client.post("/api/v1/auth/logout")

    cancelled = await client.post(
        f"/api/v1/bookings/{booked['id']}/cancel",
        json={"reason": CANCEL_NOTE},
        headers=authorization,
    )
    assert cancelled.status == 200, await cancelled.text()

    payload = report_payload()
    payload["reporter"]["email"] = REPORTER_EMAIL
    payload["child"]["name"] = CHILD_NAME
    reported = await client.post("/api/v1/concern-reports", json=payload)
    assert reported.status == 201, await reported.text()
    submitted = await reported.json()
    form = aiohttp.FormData()
    form.add_field("file", FILE_CONTENT, filename=FILE_NAME, content_type="application/pdf")
    upload = await client.post(
        f"/api/v1/concern-reports/{submitted['reference']}/attachments",
        data=form,
        headers={"Authorization": f"Bearer {submitted['attachment_token']}"},
    )
    assert upload.status == 201, await upload.text()

    await drain(client, after=timedelta(days=2))  # the confirmation, the move and the reminders
    return str(booked["id"])


async def test_no_personal_field_is_readable_in_any_table_or_file(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    booking_id = await make_personal_data(client)

    values = await every_row(client)
    leaks = [(table, column, found_in(value)) for table, column, value in values if found_in(value)]
    assert leaks == []
    files = stored_files(Path(settings.file_store))
    assert files, "the attachment was stored"
    assert [path for path, content in files.items() if found_in(content) or found_in(path)] == []

    # What is stored is ciphertext of the purpose's key, and it reads back through the service.
    tokens = [
        value for table, _c, value in values if table == "bookings" and isinstance(value, str)
    ]
    assert any(re.fullmatch(r"k1\.[0-9a-f]{12}\.[A-Za-z0-9_=-]+", token) for token in tokens)
    await log_in(client, "maria@example.com")
    seen = await (await client.get(f"/api/v1/bookings/{booking_id}")).json()
    assert seen["client"]["name"] == CLIENT_NAME
