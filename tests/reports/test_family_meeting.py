"""Intake books a meeting with the family in a caseworker's calendar from the report's page."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from booking.models import Booking
from core.app_keys import sessions_key
from core.principal import Role
from notifications.models import OutboxMessage
from tests.accounts.test_login import csrf_token
from tests.booking.conftest import make_world
from tests.conftest import create_user, log_in
from tests.reports.conftest import report_payload


async def test_intake_books_a_meeting_and_the_guardian_gets_the_link(
    client: TestClient[Any, Any],
) -> None:
    world = await make_world(client)
    await create_user(client.app, Role.INTAKE, "ilona@example.com", name="Ilona Intake")
    payload = report_payload(
        guardians=[
            {"name": "Erkki Esimerkki", "phone": "050 765 4321", "email": "erkki@example.com"}
        ]
    )
    sent = await client.post("/api/v1/concern-reports", json=payload)
    assert sent.status == 201, await sent.text()
    reference = (await sent.json())["reference"]
    await log_in(client, "ilona@example.com")
    client.session.cookie_jar.update_cookies({"kohtaamo_lang": "en"})

    report_page = await (await client.get(f"/intake/concern-reports/{reference}")).text()
    assert "Book a meeting with the family" in report_page
    path = f"/intake/concern-reports/{reference}/meeting"
    offer = f"{world.maria}/{world.meeting_type_id}"
    form = await client.get(path, params={"offer": offer})
    assert form.status == 200
    html = await form.text()
    assert 'value="Erkki Esimerkki"' in html  # the guardian from the report
    starts = re.findall(r'<option value="(\d{4}-\d\d-\d\dT[^"]+)"', html)
    assert starts, "free times are offered"

    # Without a time nothing is booked and what was typed stays.
    missing = await client.post(
        path, data={"csrf_token": csrf_token(html), "offer": offer, "name": "Erkki E"}
    )
    assert missing.status == 422
    assert 'value="Erkki E"' in await missing.text()

    booked = await client.post(
        path,
        data={
            "csrf_token": csrf_token(html),
            "offer": offer,
            "start": starts[0],
            "mode": "video",
            "language": "fi",
            "name": "Erkki Esimerkki",
            "email": "erkki@example.com",
            "phone": "",
        },
    )
    assert booked.status == 200  # followed back to the report
    assert "Meeting booked with the family" in await booked.text()
    async with client.app[sessions_key]() as session:
        [booking] = (await session.scalars(select(Booking))).all()
        # Recipients are encrypted at rest: the database cannot compare them, Python can.
        messages = [
            message
            for message in await session.scalars(select(OutboxMessage))
            if message.recipient == "erkki@example.com"
        ]
    assert (booking.caseworker_id, booking.client_name) == (world.maria, "Erkki Esimerkki")
    confirmation = next(message for message in messages if message.kind == "confirmation")
    assert "/manage/" in confirmation.body_text
