"""The caseworker's calendar in a real browser: the week as columns on a laptop and a list of
days on a phone, marking a meeting held, the print view; and the client's week without free
times with its jump to the next free time. Every page passes axe-core in Finnish and Swedish."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from babel.dates import format_date

from accounts.service import SYSTEM
from calendars.keys import calendar_service_key
from tests.booking.test_pages import HELSINKI, open_office
from tests.calendars.test_pages import at, book, helsinki_day, make_office
from tests.e2e.conftest import serious_accessibility_violations, url_of
from tests.e2e.test_caseworker_pages import log_in_through_the_form

pytestmark = pytest.mark.browser

WORDS = {
    "fi": ("Oma kalenteri", "Merkitse pidetyksi", "Tapaaminen merkittiin pidetyksi.", "Pidetty"),
    "sv": ("Din kalender", "Markera som hållet", "Mötet har markerats som hållet.", "Hållet"),
}


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_the_week_grid_marks_a_meeting_held_and_prints_a_day_and_passes_axe(
    browser: Any, live_server: TestServer, language: str
) -> None:
    office = await make_office(live_server.app)
    yesterday = helsinki_day(-1)
    await book(live_server.app, office, at(yesterday, 10))
    await live_server.app[calendar_service_key].add_absence(
        SYSTEM,
        office.maria,
        "training",
        at(yesterday, 13).astimezone(UTC),
        at(yesterday, 14).astimezone(UTC),
    )
    title, mark, marked, held = WORDS[language]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    week = f"/caseworker/week?week={yesterday.isoformat()}"
    await log_in_through_the_form(page, live_server, "maria@example.com", "/caseworker")
    await page.goto(url_of(live_server, f"/language?lang={language}&next={week}"))
    assert await page.locator("h1").inner_text() == title
    assert await serious_accessibility_violations(page) == [], "week grid"
    days = page.locator(".week-grid__day")
    assert await days.count() == 7
    first, second = await days.nth(0).bounding_box(), await days.nth(1).bounding_box()
    assert first["y"] == second["y"] and second["x"] > first["x"], "days are columns"

    await page.get_by_role("button", name=mark).click()
    assert marked in await page.locator(".notice").inner_text()
    assert held in await page.locator(".week-grid__entry--booking").inner_text()
    assert await serious_accessibility_violations(page) == [], "week grid after marking"

    await page.set_viewport_size({"width": 320, "height": 640})
    first, second = await days.nth(0).bounding_box(), await days.nth(1).bounding_box()
    assert second["y"] > first["y"] and second["x"] == first["x"], "days are a list on a phone"
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert await serious_accessibility_violations(page) == [], "week grid on a phone"

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(url_of(live_server, f"/caseworker/day/{yesterday.isoformat()}/print"))
    assert await serious_accessibility_violations(page) == [], "print view"
    await page.emulate_media(media="print")
    assert not await page.locator(".site-header").is_visible()
    assert not await page.locator(".back-link").is_visible()
    row = await page.locator("tbody tr").inner_text()
    assert ("10.00" if language == "fi" else "10:00") in row and "Liisa Asiakas" in row
    await context.close()


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_a_week_without_free_times_jumps_to_the_next_free_time(
    browser: Any, live_server: TestServer, language: str
) -> None:
    office = await open_office(live_server.app)
    today = datetime.now(HELSINKI).date()
    await live_server.app[calendar_service_key].add_absence(
        SYSTEM,
        office.maria,
        "vacation",
        datetime.combine(today, time(0), HELSINKI).astimezone(UTC),
        datetime.combine(today + timedelta(days=8), time(0), HELSINKI).astimezone(UTC),
    )
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await page.goto(url_of(live_server, f"/language?lang={language}&next=/book"))
    path = f"/book/time?caseworker_id={office.maria}&meeting_type_id={office.phone_call}"
    await page.goto(url_of(live_server, path))
    free_again = today + timedelta(days=8)
    pattern = "EEEE d. MMMM" if language == "fi" else "EEEE d MMMM"
    jump = ("Seuraava vapaa aika on " if language == "fi" else "Nästa lediga tid är ") + (
        format_date(free_again, pattern, locale=language)
    )
    assert await serious_accessibility_violations(page) == [], "week without free times"
    await page.get_by_role("link", name=jump).click()
    heading = format_date(free_again, "full", locale=language)
    day = page.get_by_role("group", name=heading[:1].upper() + heading[1:])
    assert await day.get_by_role("radio").count() > 0
    assert await serious_accessibility_violations(page) == [], "the week from the next free time"
    await context.close()
