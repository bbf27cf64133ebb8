"""The service information as a visitor and the admin see it: the footer's links, the pages in
three languages, the admin's edits, the privacy links beside the forms' buttons, and the
accessibility feedback from the form to the admin's queue."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from booking.client_times import start_value
from core.db import utcnow
from core.principal import Role, Viewer
from publicinfo.keys import accessibility_feedback_key
from publicinfo.texts import COOKIES, PROCESSINGS
from server import create_app
from tests.conftest import create_user, log_in, make_settings

ROOT = Path(__file__).resolve().parents[2]
FOOTER_LINKS = ("/contact", "/privacy", "/accessibility", "/cookies")
PUBLIC_PAGES = (
    "/",
    "/book",
    "/report-a-concern",
    "/contact",
    "/privacy",
    "/privacy/booking",
    "/accessibility",
    "/accessibility/feedback",
    "/cookies",
    "/lost-link",
    "/manage/no-such-token",
    "/login",
)
HEADINGS = {
    "fi": ("Yhteystiedot ja apu", "Saavutettavuusseloste", "Evästeet", "Tietosuojaselosteet"),
    "sv": ("Kontakt och hjälp", "Tillgänglighetsredogörelse", "Kakor", "Dataskyddsbeskrivningar"),
    "en": ("Contact and help", "Accessibility statement", "Cookies", "Privacy notices"),
}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def footer_of(page: str) -> str:
    return page.split('<footer class="site-footer">', 1)[1]


async def page_in(client: TestClient[Any, Any], path: str, language: str) -> tuple[int, str]:
    response = await client.get(path, headers={"Accept-Language": language})
    return response.status, await response.text()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_every_public_page_links_to_the_service_information_in_its_footer(
    client: TestClient[Any, Any], language: str
) -> None:
    for path in PUBLIC_PAGES:
        _status, page = await page_in(client, path, language)
        footer = footer_of(page)
        for link in FOOTER_LINKS:
            assert f'href="{link}"' in footer, (path, link)
        for heading in HEADINGS[language][:3]:
            assert heading in footer, (path, heading)


async def test_every_page_without_a_parameter_has_the_footer_links(
    client: TestClient[Any, Any],
) -> None:
    """Not only the listed pages: every fixed address the router serves that answers a page."""
    paths = {
        resource.canonical
        for resource in client.app.router.resources()
        if "{" not in resource.canonical
        and not resource.canonical.startswith(("/api/", "/static", "/healthz", "/metrics"))
        and any(route.method == "GET" for route in resource)
    }
    checked = 0
    for path in sorted(paths):
        response = await client.get(path, allow_redirects=False)
        if response.status != 200 or response.content_type != "text/html":
            continue
        footer = footer_of(await response.text())
        for link in FOOTER_LINKS:
            assert f'href="{link}"' in footer, (path, link)
        checked += 1
    assert checked >= 14


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_service_information_pages_show_their_defaults_in_each_language(
    client: TestClient[Any, Any], language: str
) -> None:
    contact, accessibility, cookies, privacy = HEADINGS[language]
    pages = {
        "/contact": contact,
        "/accessibility": accessibility,
        "/cookies": cookies,
        "/privacy": privacy,
    }
    for path, heading in pages.items():
        status, page = await page_in(client, path, language)
        assert status == 200, path
        assert f"<h1>{heading}</h1>" in page, path
    for processing in PROCESSINGS:
        status, page = await page_in(client, f"/privacy/{processing}", language)
        assert status == 200
        assert "<h2>" in page
    _status, page = await page_in(client, "/privacy/booking", language)
    # The service's own retention period is in the default text.
    assert "180" in page
    _status, page = await page_in(client, "/accessibility", language)
    assert "14" in page and "/accessibility/feedback" in page
    assert {"fi": "saavutettavuus@avi.fi", "sv": "saavutettavuus@avi.fi", "en": "avi.fi"}[
        language
    ] in page


async def test_swedish_and_finnish_defaults_are_not_the_english_text(
    client: TestClient[Any, Any],
) -> None:
    texts = {lang: (await page_in(client, "/privacy/reports", lang))[1] for lang in HEADINGS}
    assert "Child Welfare Act" in texts["en"]
    assert "Child Welfare Act" not in texts["fi"] and "lastensuojelulain" in texts["fi"]
    assert "Child Welfare Act" not in texts["sv"] and "barnskyddslagen" in texts["sv"]


async def test_a_swedish_service_names_its_own_supervisory_authority(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url, jurisdiction="se")))
    _status, page = await page_in(client, "/accessibility", "sv")
    assert "digg.se" in page and "avi.fi" not in page
    assert "utan onödigt dröjsmål" in page


async def test_the_cookie_statement_lists_every_cookie_the_service_sets(
    client: TestClient[Any, Any],
) -> None:
    names = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "bench"}:
            continue
        names |= set(re.findall(r'"(kohtaamo_[a-z_]+)"', path.read_text()))
    set_by_the_service = {name for name in names if not name.startswith("kohtaamo_test")}
    listed = {cookie.name for cookie in COOKIES}
    cookie_constants = {
        name
        for name in set_by_the_service
        if re.search(rf'[A-Z_]+COOKIE = "{name}"', _all_source())
    }
    assert cookie_constants == listed
    _status, page = await page_in(client, "/cookies", "en")
    for name in listed:
        assert f"<code>{name}</code>" in page


def _all_source() -> str:
    return "\n".join(
        path.read_text()
        for path in ROOT.glob("*/*.py")
        if path.parts[len(ROOT.parts)] not in {".venv", "tests", "bench", "migrations"}
    )


async def test_an_admin_edits_the_privacy_notice_and_the_public_page_shows_it(
    client: TestClient[Any, Any], admin: str
) -> None:
    form = await (await client.get("/admin/service-information/privacy.booking/sv")).text()
    assert "Personuppgiftsansvarig" in form or "personuppgiftsansvarig" in form.lower()
    fields = {
        "csrf_token": csrf_of(form),
        "controller": "Demokommunens socialtjänst, Rådhusgatan 1.",
        "purposes": "För att boka tider.",
        "legal_basis": "Allmänt intresse.",
        "retention": "Ett halvår.",
        "recipients": "Handläggaren.",
        "rights": "Du har rätt att få veta.",
        "dpo": "",
    }
    refused = await client.post("/admin/service-information/privacy.booking/sv", data=fields)
    assert refused.status == 422
    page = await refused.text()
    assert "Demokommunens socialtjänst, Rådhusgatan 1." in page  # what was typed is kept
    assert "There is a problem" not in page  # the error is in the admin's language (Finnish)
    fields["dpo"] = "Dataskyddsombudet, dso@demokommun.example"
    saved = await client.post(
        "/admin/service-information/privacy.booking/sv", data=fields, allow_redirects=False
    )
    assert saved.status == 303
    _status, swedish = await page_in(client, "/privacy/booking", "sv")
    assert "Demokommunens socialtjänst, Rådhusgatan 1." in swedish
    assert "dso@demokommun.example" in swedish
    _status, finnish = await page_in(client, "/privacy/booking", "fi")
    assert "Demokommunens" not in finnish
    listing = await (await client.get("/admin/service-information")).text()
    assert "Tallennettu" in listing
    form = await (await client.get("/admin/service-information/privacy.booking/sv")).text()
    restored = await client.post(
        "/admin/service-information/privacy.booking/sv/restore",
        data={"csrf_token": csrf_of(form)},
        allow_redirects=False,
    )
    assert restored.status == 303
    _status, swedish = await page_in(client, "/privacy/booking", "sv")
    assert "Demokommunens" not in swedish


async def test_an_admin_edits_the_accessibility_statement_status_and_review_date(
    client: TestClient[Any, Any], admin: str
) -> None:
    form = await (await client.get("/admin/service-information/accessibility/en")).text()
    assert 'value="2026-12-05"' in form
    fields = {
        "csrf_token": csrf_of(form),
        "status": "full",
        "gaps": "None known.",
        "feedback": "Write to us.",
        "authority": "The agency.",
        "reviewed": "2026-13-01",
    }
    refused = await client.post("/admin/service-information/accessibility/en", data=fields)
    assert refused.status == 422
    fields["reviewed"] = "2026-11-30"
    await client.post("/admin/service-information/accessibility/en", data=fields)
    _status, page = await page_in(client, "/accessibility", "en")
    assert "fully conforms" in page and "None known." in page and "November 30, 2026" in page


async def test_only_an_admin_edits_the_service_information(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, "cw@example.com")
    await log_in(client, "cw@example.com")
    response = await client.get("/admin/service-information/contact/fi")
    assert response.status == 403
    response = await client.get("/admin/accessibility-feedback")
    assert response.status == 403


def test_each_form_that_collects_personal_data_links_its_privacy_notice_beside_its_button() -> None:
    templates = ROOT / "web" / "templates"
    expected = {
        "booking/check.html": "/privacy/booking",
        "reports/check.html": "/privacy/reports",
        "identification/choose.html": "/privacy/messages",
        "messaging/my_new.html": "/privacy/messages",
        "messaging/my_thread.html": "/privacy/messages",
        "chat/chat.html": "/privacy/chat",
    }
    for name, link in expected.items():
        text = (templates / name).read_text()
        assert f'<p class="privacy-link"><a href="{link}">' in text, name


async def test_the_booking_details_step_links_the_booking_privacy_notice_beside_continue(
    client: TestClient[Any, Any], world: Any
) -> None:
    response = await client.get(
        "/book/details",
        params={
            "caseworker_id": world.maria,
            "meeting_type_id": world.meeting_type_id,
            "start": start_value(world.tomorrow_at(10)),
        },
    )
    page = await response.text()
    form = page.split("<h1>", 1)[1]
    assert '<button type="submit" class="button">' in form
    after_button = form.split('<button type="submit" class="button">', 1)[1]
    assert '<a href="/privacy/booking">' in after_button.split("</form>", 1)[0]


# ---- accessibility feedback -------------------------------------------------------------------


async def test_feedback_reaches_the_admins_queue_and_is_marked_answered(
    client: TestClient[Any, Any],
) -> None:
    _status, form = await page_in(client, "/accessibility/feedback", "sv")
    assert "14 dagar" in form and '<a href="/privacy/feedback">' in form
    typed = {"csrf_token": csrf_of(form), "message": "", "contact": "not an address"}
    refused = await client.post(
        "/accessibility/feedback", data=typed, headers={"Accept-Language": "sv"}
    )
    assert refused.status == 422
    page = await refused.text()
    assert "not an address" in page
    assert "Det finns ett problem" in page
    sent = await client.post(
        "/accessibility/feedback",
        data={
            "csrf_token": csrf_of(form),
            "message": "Knappen går inte att nå med tangentbordet.",
            "page": "/book",
            "name": "Greta",
            "contact": "greta@example.com",
        },
        headers={"Accept-Language": "sv"},
    )
    assert sent.status == 200 and "14 dagar" in await sent.text()
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    await log_in(client, "admin@example.com")
    queue = await (await client.get("/admin/accessibility-feedback")).text()
    assert "Knappen går inte att nå med tangentbordet." in queue
    assert "greta@example.com" in queue and "Odottaa vastausta" in queue
    [feedback_id] = re.findall(r"/admin/accessibility-feedback/([0-9a-f-]{36})/answered", queue)
    answered = await client.post(
        f"/admin/accessibility-feedback/{feedback_id}/answered",
        data={"csrf_token": csrf_of(queue)},
    )
    page = await answered.text()
    assert "Vastattu" in page and "Odottaa vastausta" not in page
    assert f"/admin/accessibility-feedback/{feedback_id}/answered" not in page


async def test_feedback_without_a_csrf_token_is_refused(client: TestClient[Any, Any]) -> None:
    await client.get("/accessibility/feedback")
    response = await client.post("/accessibility/feedback", data={"message": "Hello"})
    assert response.status == 403


async def test_the_feedback_form_is_rate_limited_per_address(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url, booking_rate_limit="2")))
    form = await (await client.get("/accessibility/feedback")).text()
    statuses = []
    for _ in range(3):
        response = await client.post(
            "/accessibility/feedback",
            data={"csrf_token": csrf_of(form), "message": "Too small text."},
            allow_redirects=False,
        )
        statuses.append(response.status)
    assert statuses == [303, 303, 429]


async def test_feedback_is_deleted_a_year_after_it_was_answered_or_arrived(
    client: TestClient[Any, Any], admin: str
) -> None:
    queue = client.app[accessibility_feedback_key]
    viewer = Viewer(admin, "Alma Admin", "admin@example.com", Role.ADMIN, "session")
    long_ago = utcnow() - timedelta(days=400)
    queue._clock = lambda: long_ago
    answered = await queue.submit(
        message="Old and answered.", page="", name="", contact="a@example.com", language="fi"
    )
    await queue.mark_answered(viewer, answered.id)
    await queue.submit(message="Old, no answer asked.", page="", name="", contact="", language="fi")
    queue._clock = lambda: utcnow() - timedelta(days=30)
    recent = await queue.submit(
        message="Answered a month ago.", page="", name="", contact="", language="fi"
    )
    await queue.mark_answered(viewer, recent.id)
    queue._clock = utcnow
    await queue.submit(message="New.", page="", name="", contact="", language="fi")
    assert await queue.delete_expired() == 2
    assert [item.message for item in await queue.queue(viewer)] == [
        "New.",
        "Answered a month ago.",
    ]


async def test_the_api_takes_feedback_and_refuses_bad_input_as_a_problem(
    client: TestClient[Any, Any],
) -> None:
    bad = await client.post(
        "/api/v1/accessibility-feedback",
        json={"message": "", "contact": "nope"},
        headers={"Accept-Language": "fi"},
    )
    assert bad.status == 422 and bad.content_type == "application/problem+json"
    fields = {error["field"]: error["message"] for error in (await bad.json())["errors"]}
    assert fields["message"] == "Kerro, mikä ongelma on."
    assert "contact" in fields
    sent = await client.post("/api/v1/accessibility-feedback", json={"message": "Liian pieni."})
    assert sent.status == 201
    assert await sent.json() == {"answer_days": 14}


async def test_the_persons_rights_search_finds_and_erases_their_accessibility_feedback(
    client: TestClient[Any, Any], admin: str
) -> None:
    for body in (
        {"message": "Kontrasti on heikko.", "contact": "Greta@Example.com"},
        {"message": "Painike ei toimi.", "contact": "040 123 4567"},
        {"message": "Joku muu.", "contact": "other@example.com"},
    ):
        assert (await client.post("/api/v1/accessibility-feedback", json=body)).status == 201
    found = await client.post(
        "/api/v1/personal-data/search", json={"email": "greta@example.com", "phone": "0401234567"}
    )
    data = await found.json()
    assert sorted(item["message"] for item in data["accessibility_feedback"]) == [
        "Kontrasti on heikko.",
        "Painike ei toimi.",
    ]
    page = await (await client.get("/admin/personal-data")).text()
    html = await client.post(
        "/admin/personal-data",
        data={"csrf_token": csrf_of(page), "email": "greta@example.com"},
    )
    assert "Kontrasti on heikko." in await html.text()
    erased = await client.post(
        "/api/v1/personal-data/erasure",
        json={"email": "greta@example.com", "phone": "0401234567", "reason": "pyyntö 5.12."},
    )
    assert (await erased.json())["feedback"] == 2
    viewer = Viewer(admin, "Alma Admin", "admin@example.com", Role.ADMIN, "session")
    left = await client.app[accessibility_feedback_key].queue(viewer)
    assert [item.message for item in left] == ["Joku muu."]


async def test_the_contact_page_lists_the_units_and_their_phones(
    client: TestClient[Any, Any], world: Any
) -> None:
    _status, swedish = await page_in(client, "/contact", "sv")
    assert "Familjetjänster" in swedish
    _status, finnish = await page_in(client, "/contact", "fi")
    assert "Perhepalvelut" in finnish
