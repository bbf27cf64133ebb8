"""A caseworker and an admin use the calendar pages in a real browser; every page passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from core.principal import Role
from tests.calendars.test_pages import at, book, helsinki_day, make_office
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations, url_of

pytestmark = pytest.mark.browser

SETTINGS_SECTIONS = (
    "Time zone and languages",
    "Working hours",
    "Dates with other hours",
    "Absences",
    "Calendar import",
    "Meeting types",
    "Calendar feed",
)


async def log_in_through_the_form(page: Any, server: TestServer, email: str, target: str) -> None:
    await page.goto(url_of(server, f"/language?lang=en&next=/login?next={target}"))
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**{target}")


async def test_caseworker_agenda_booking_and_every_settings_section_pass_axe(
    browser: Any, live_server: TestServer
) -> None:
    office = await make_office(live_server.app)
    await book(live_server.app, office, at(helsinki_day(1), 10))
    await book(live_server.app, office, at(helsinki_day(-1), 10), name="Pekka Asiakas")
    page = await browser.new_page()
    await log_in_through_the_form(page, live_server, "maria@example.com", "/caseworker")
    assert await page.locator("h1").inner_text() == "Your agenda"
    assert await serious_accessibility_violations(page) == [], "agenda"

    await page.get_by_role("link", name="Next week").click()
    assert await serious_accessibility_violations(page) == [], "next week"
    await page.goto(url_of(live_server, f"/caseworker?week={helsinki_day(1).isoformat()}"))
    await page.get_by_role("link", name="Liisa Asiakas").click()
    assert await page.locator("h1").inner_text() == "Liisa Asiakas"
    assert await serious_accessibility_violations(page) == [], "booking page"
    await page.get_by_role("link", name="Cancel the booking").click()
    assert await serious_accessibility_violations(page) == [], "cancel page"
    await page.get_by_label("Message to the client").fill("x" * 1001)
    await page.get_by_role("button", name="Yes, cancel the booking").click()
    assert (await page.title()).startswith("Error: ")
    assert await serious_accessibility_violations(page) == [], "cancel page with an error"

    await page.goto(url_of(live_server, "/caseworker"))
    await page.get_by_role("link", name="Calendar settings").click()
    assert await page.locator("h1").inner_text() == "Calendar settings"
    assert await serious_accessibility_violations(page) == [], "settings overview"
    menu = page.get_by_role("navigation", name="Calendar settings")
    for section in SETTINGS_SECTIONS:
        await menu.get_by_role("link", name=section, exact=True).click()
        assert await page.locator("h1").inner_text() == section
        assert await serious_accessibility_violations(page) == [], section

    await page.get_by_role("button", name="Create a feed address").click()
    assert "/calendars/feed/" in await page.locator("code.feed-address").inner_text()
    assert await serious_accessibility_violations(page) == [], "feed address shown once"

    await menu.get_by_role("link", name="Meeting types", exact=True).click()
    await page.get_by_role("link", name="Add a meeting type").click()
    assert await serious_accessibility_violations(page) == [], "new meeting type"
    await page.get_by_role("button", name="Save the meeting type").click()
    assert (await page.title()).startswith("Error: ")
    assert await serious_accessibility_violations(page) == [], "meeting type errors"
    summary = page.get_by_role("alert")
    await summary.get_by_role("link", name="Enter a name of at most 200 characters.").first.click()
    assert await page.evaluate("document.activeElement.id") == "name_fi"


async def test_working_hours_errors_link_to_their_fields(
    browser: Any, live_server: TestServer
) -> None:
    await make_office(live_server.app)
    page = await browser.new_page()
    await log_in_through_the_form(
        page, live_server, "maria@example.com", "/caseworker/calendar/hours"
    )
    monday = page.get_by_role("group", name="Monday")
    await monday.get_by_label("Monday, period 1: From").fill("15:00")
    await monday.get_by_label("Monday, period 1: To").fill("09:00")
    await page.get_by_role("button", name="Save working hours").click()
    assert await page.title() == "Error: Working hours – Kohtaamo"
    assert await serious_accessibility_violations(page) == [], "working hours with errors"
    await page.get_by_role(
        "link", name="Monday: The end time must be after the start time."
    ).click()
    assert await page.evaluate("document.activeElement.id") == "hours-0-1-end"
    assert await page.get_by_label("Monday, period 1: To").input_value() == "09:00"

    await page.goto(url_of(live_server, "/caseworker/calendar/absences"))
    await page.get_by_role("button", name="Add the absence").click()
    assert await serious_accessibility_violations(page) == [], "absences with errors"
    await page.goto(url_of(live_server, "/caseworker/calendar/dates"))
    await page.get_by_role("button", name="Save the date").click()
    assert await serious_accessibility_violations(page) == [], "dates with errors"


async def test_admin_units_and_meeting_type_pages_pass_axe(
    browser: Any, live_server: TestServer
) -> None:
    await make_office(live_server.app)
    await create_user(live_server.app, Role.ADMIN, "aino@example.com", name="Aino Admin")
    page = await browser.new_page()
    await log_in_through_the_form(page, live_server, "aino@example.com", "/admin/units")
    assert await page.locator("h1").inner_text() == "Units and meeting types"
    assert await serious_accessibility_violations(page) == [], "units"
    await page.get_by_role("link", name="Change Follow-up meeting").click()
    assert await page.get_by_label("In English").input_value() == "Follow-up meeting"
    assert await serious_accessibility_violations(page) == [], "change a unit meeting type"
    await page.goto(url_of(live_server, "/admin/units"))
    await page.get_by_role("link", name="Add a meeting type to Family services").click()
    assert await serious_accessibility_violations(page) == [], "new unit meeting type"
    await page.goto(url_of(live_server, "/admin/units"))
    await page.get_by_role("link", name="Message settings Family services").click()
    await page.get_by_label("Answer target in working days").fill("0")
    await page.get_by_role("button", name="Save").click()
    assert await serious_accessibility_violations(page) == [], "message settings with an error"
    await page.get_by_label("Answer target in working days").fill("5")
    await page.get_by_role("button", name="Save").click()
    assert "The settings were saved." in await page.locator("main").inner_text()
    await page.goto(url_of(live_server, "/admin/chats/new"))
    await page.get_by_role("button", name="Save").click()
    assert await serious_accessibility_violations(page) == [], "a new advice chat with errors"


async def test_calendar_pages_fit_a_320_pixel_wide_phone(
    browser: Any, live_server: TestServer
) -> None:
    office = await make_office(live_server.app)
    booking_id = await book(live_server.app, office, at(helsinki_day(1), 10))
    page = await browser.new_page(viewport={"width": 320, "height": 640})
    await log_in_through_the_form(page, live_server, "maria@example.com", "/caseworker")
    paths = (
        f"/caseworker?week={helsinki_day(1).isoformat()}",
        f"/caseworker/bookings/{booking_id}",
        f"/caseworker/bookings/{booking_id}/cancel",
        "/caseworker/calendar",
        "/caseworker/calendar/profile",
        "/caseworker/calendar/hours",
        "/caseworker/calendar/dates",
        "/caseworker/calendar/absences",
        "/caseworker/calendar/imports",
        "/caseworker/calendar/meeting-types",
        "/caseworker/calendar/meeting-types/new",
        "/caseworker/calendar/feed",
    )
    for path in paths:
        await page.goto(url_of(live_server, path))
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    await page.get_by_role("button", name="Create a feed address").click()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the feed address scrolls sideways by {overflow}px at 320px"
