"""The public concern report pages: one topic per page, answers kept, sent once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from core.app_keys import sessions_key
from core.principal import Role
from reports.models import ConcernReport, ReportAttachment
from server import create_app
from tests.booking.test_pages import Form, answer, forms_of, heading_of, press, send
from tests.conftest import create_user, log_in, make_settings
from tests.reports.conftest import PNG, service_of


def question_form(html: str) -> Form:
    (form,) = [form for form in forms_of(html) if any(n == "submitted" for n, _ in form.fields)]
    return form


async def reports_count(client: TestClient[Any, Any]) -> int:
    async with client.app[sessions_key]() as session:
        return int(await session.scalar(select(func.count()).select_from(ConcernReport)) or 0)


async def fill_in_to_check(client: TestClient[Any, Any]) -> str:
    start = await client.get("/report-a-concern")
    assert start.status == 200
    html = await start.text()
    assert "112" in html
    response = await client.get("/report-a-concern/professional/reporter")
    html = await response.text()
    _, html = await answer(
        client,
        html,
        **{
            "reporter-name": "Opettaja Olli",
            "reporter-role": "luokanopettaja",
            "reporter-organisation": "Kallion koulu",
            "reporter-phone": "040 123 4567",
            "reporter-email": "olli@koulu.example.fi",
        },
    )
    assert heading_of(html) == "Tietoja lapsesta"
    _, html = await answer(
        client, html, **{"child-name": "Eino Esimerkki", "child-identity_number": "010516B903X"}
    )
    _, html = await answer(client, html, **{"guardian-name": "Erkki Esimerkki"})
    _, html = await answer(
        client,
        html,
        **{
            "informed-guardians_told": "no",
            "informed-child_told": "yes",
            "informed-why_not": "Epäily väkivallasta",
        },
    )
    _, html = await answer(client, html, child_whereabouts="Koulussa klo 14 asti")
    form = question_form(html)
    fields = [
        (n, v) for n, v in form.fields if n not in ("concern-categories", "concern-description")
    ]
    fields += [("concern-categories", "violence"), ("concern-description", "Isä lyö")]
    response = await client.post(form.action, data=fields)
    html = await response.text()
    assert heading_of(html) == "Liitteet"
    _, html = await answer(client, html)  # no files: continue
    return html


async def test_the_whole_flow_sends_one_report_even_when_sent_twice(
    client: TestClient[Any, Any],
) -> None:
    html = await fill_in_to_check(client)
    assert "Eino Esimerkki" in html and "Isä lyö" in html, re.findall(
        r"<h1[^>]*>.*?</h1>|error-message.*?</p>", html, re.S
    )
    send_form = next(f for f in forms_of(html) if f.action.endswith("/send"))
    first, receipt = await send(client, send_form)
    second, _again = await send(client, send_form)
    assert first.status == second.status == 200
    assert "OR-" in receipt and str(first.url) == str(second.url)
    assert "Eino" not in receipt
    assert await reports_count(client) == 1


async def test_errors_stay_on_their_page_and_keep_what_was_typed(
    client: TestClient[Any, Any],
) -> None:
    response = await client.get("/report-a-concern/professional/reporter")
    _, html = await answer(
        client,
        await response.text(),
        **{"reporter-name": "Opettaja Olli", "reporter-phone": "123"},
    )
    assert "Anna puhelinnumero" in html
    assert 'value="Opettaja Olli"' in html
    assert heading_of(html) == "Tietoja sinusta"


async def test_change_from_check_answers_returns_there_with_everything(
    client: TestClient[Any, Any],
) -> None:
    html = await fill_in_to_check(client)
    _, html = await press(client, html, "Muuta")  # the first: about you
    assert heading_of(html) == "Tietoja sinusta"
    _, html = await answer(client, html, **{"reporter-name": "Opettaja Outi"})
    assert "Opettaja Outi" in html and "Isä lyö" in html
    assert any(form.action.endswith("/send") for form in forms_of(html))


async def test_private_person_may_leave_contact_details_out(
    client: TestClient[Any, Any],
) -> None:
    response = await client.get("/report-a-concern/private/reporter")
    _, html = await answer(client, await response.text())
    assert heading_of(html) == "Tietoja lapsesta"


async def test_receipt_needs_its_token(client: TestClient[Any, Any]) -> None:
    response = await client.get("/report-a-concern/receipt/OR-2026-000001?token=wrong")
    assert response.status == 404


async def test_intake_queue_shows_reports_with_deadlines(client: TestClient[Any, Any]) -> None:
    html = await fill_in_to_check(client)
    send_form = next(f for f in forms_of(html) if f.action.endswith("/send"))
    await send(client, send_form)
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    response = await client.get("/intake/concern-reports")
    assert response.status == 200
    html = await response.text()
    assert "Eino Esimerkki" in html and "Kiireellisyyden arviointi" in html


async def upload_on_page(
    client: TestClient[Any, Any], html: str, filename: str, data: bytes
) -> str:
    form = question_form(html)
    body = aiohttp.FormData()
    for name, value in form.fields:
        if name != "file":
            body.add_field(name, value)
    body.add_field("upload", "1")
    body.add_field("file", data, filename=filename, content_type="application/octet-stream")
    response = await client.post(form.action, data=body)
    return await response.text()


async def test_swedish_flow_with_an_attachment_and_a_lying_file_refused(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url,
        jurisdiction="se",
        default_language="sv",
        social_oncall_phone="08-123 456 78",
        file_store=str(tmp_path / "files"),
    )
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    start = await (await client.get("/report-a-concern")).text()
    assert "Gör en orosanmälan" in start and "socialjouren: 08-123 456 78" in start
    html = await (await client.get("/report-a-concern/professional/reporter")).text()
    steps = [
        {
            "reporter-name": "Lärare Lisa",
            "reporter-role": "klasslärare",
            "reporter-organisation": "Björkskolan",
            "reporter-email": "lisa@skola.example.se",
        },
        {"child-name": "Elsa Exempel", "child-identity_number": "20121212-1212"},
        {},
        {"informed-guardians_told": "yes", "informed-child_told": "yes"},
        {},
    ]
    for answers in steps:
        _, html = await answer(client, html, **answers)
    form = question_form(html)
    fields = [
        (n, v) for n, v in form.fields if n not in ("concern-categories", "concern-description")
    ]
    fields += [("concern-categories", "neglect"), ("concern-description", "Kommer hungrig")]
    html = await (await client.post(form.action, data=fields)).text()
    assert heading_of(html) == "Bilagor"

    html = await upload_on_page(client, html, "intyg.pdf", PNG)
    assert "Filens namn stämmer inte" in html
    html = await upload_on_page(client, html, "teckning.png", PNG)
    assert "teckning.png" in html
    _, html = await answer(client, html)
    assert "teckning.png" in html and "Elsa Exempel" in html  # check your answers
    send_form = next(f for f in forms_of(html) if f.action.endswith("/send"))
    response, receipt = await send(client, send_form)
    assert response.status == 200 and "OR-" in receipt and "Anmälan skickad" in receipt
    assert "utredning" in receipt

    service = service_of(client.app)
    async with client.app[sessions_key]() as session:
        (row,) = (await session.scalars(select(ConcernReport))).all()
        (attachment,) = (await session.scalars(select(ReportAttachment))).all()
    assert row.jurisdiction == "se"
    assert service.store.read(attachment.blob_id) == PNG
    assert service.cipher.decrypt_text(attachment.filename) == "teckning.png"


async def test_intake_opens_a_report_and_records_steps_on_its_page(
    client: TestClient[Any, Any],
) -> None:
    html = await fill_in_to_check(client)
    await send(client, next(f for f in forms_of(html) if f.action.endswith("/send")))
    await create_user(client.app, Role.INTAKE, "intake@example.com")
    await log_in(client, "intake@example.com")
    queue = await (await client.get("/intake/concern-reports")).text()
    reference = re.findall(r"OR-\d{4}-\d{6}", queue)[0]
    url = f"/intake/concern-reports/{reference}"
    page = await (await client.get(url)).text()
    assert "Isä lyö" in page and "010516B903X" in page
    form = next(f for f in forms_of(page) if any(n == "note" for n, _ in f.fields))
    response, page = await send(
        client, form, status="protection_assessed", note="Soitettu kotiin", assign_to_me="1"
    )
    assert response.status == 200 and str(response.url).endswith(url)
    assert "Kiireellisyys arvioitu" in page and "Soitettu kotiin" in page
    form = next(f for f in forms_of(page) if any(n == "note" for n, _ in f.fields))
    response, page = await send(client, form, status="received")  # not offered: tampered
    assert response.status == 409
    assert "Ilmoitusta ei voi siirtää tähän tilaan" in page
