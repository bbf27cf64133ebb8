"""A client books a time through the pages in Finnish, as a person would; every step passes axe-core
and fits a 320 px wide phone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from babel.dates import format_date

from tests.booking.test_pages import open_office
from tests.e2e.conftest import serious_accessibility_violations, url_of

pytestmark = pytest.mark.browser

HELSINKI = ZoneInfo("Europe/Helsinki")
Check = Callable[[Any, str], Awaitable[None]]


async def no_serious_violations(page: Any, step: str) -> None:
    assert await serious_accessibility_violations(page) == [], step


async def no_sideways_scrolling(page: Any, step: str) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{step} scrolls sideways by {overflow}px"


async def book_in_finnish(page: Any, server: TestServer, check: Check) -> None:
    """Click through every step by the names a Finnish speaker sees, checking each page."""
    await page.goto(url_of(server, "/book"))
    await check(page, "who")
    await page.get_by_role("button", name="Jatka").click()
    assert (await page.title()).startswith("Virhe: ")
    await check(page, "who, with an error")
    await page.get_by_label("Ensimmäinen vapaa työntekijä").check()
    await page.get_by_role("button", name="Jatka").click()

    await page.get_by_label("Seurantatapaaminen").check()
    await check(page, "meeting type")
    await page.get_by_role("button", name="Jatka").click()

    tomorrow = datetime.now(HELSINKI).date() + timedelta(days=1)
    day_name = format_date(tomorrow, "full", locale="fi")
    day = page.get_by_role("group", name=day_name[:1].upper() + day_name[1:])
    if not await day.count():
        await page.get_by_role("link", name="Seuraava viikko").first.click()
    await check(page, "time")
    await day.get_by_label("10.00", exact=True).check()
    await page.get_by_role("button", name="Jatka").click()

    await page.get_by_label("Nimesi").fill("Liisa Asiakas")
    await page.get_by_label("Sähköpostiosoite").fill("liisa@example")
    await check(page, "details")
    await page.get_by_role("button", name="Jatka").click()
    summary = page.get_by_role("alert")
    assert "Kirjoita sähköpostiosoite oikeassa muodossa" in await summary.inner_text()
    await check(page, "details, with errors")
    await page.get_by_label("Sähköpostiosoite").fill("liisa@example.com")
    await page.get_by_label("Puhelinnumero").fill("040 123 4567")
    await page.get_by_label("Videotapaaminen").check()
    await page.get_by_role("button", name="Jatka").click()

    await page.get_by_label("Mistä haluat puhua?").fill("Asunto")
    interpreter = page.get_by_role("group", name="Tarvitsetko tulkin?")
    await interpreter.get_by_label("Ei", exact=True).check()
    await check(page, "questions")
    await page.get_by_role("button", name="Jatka").click()

    assert await page.locator("h1").inner_text() == "Tarkista varauksesi ennen kuin vahvistat sen"
    await check(page, "check your answers")
    await page.get_by_role("button", name="Vahvista varaus").click()

    await page.wait_for_url("**/confirmation")
    assert await page.locator("h1").inner_text() == "Aikasi on varattu"
    assert "klo 10.00–10.45" in await page.locator(".booking-panel").inner_text()
    await check(page, "confirmation")

    await page.locator(".booking-link-box a").click()
    await page.wait_for_url("**/manage/*")
    await check(page, "manage")
    await page.get_by_role("link", name="Peru varaus").click()
    await check(page, "cancel")


async def test_a_client_books_a_time_in_finnish_and_every_step_passes_axe(
    browser: Any, live_server: TestServer
) -> None:
    await open_office(live_server.app)
    context = await browser.new_context(locale="fi-FI")
    page = await context.new_page()
    await book_in_finnish(page, live_server, no_serious_violations)
    await context.close()


async def test_the_booking_pages_fit_a_320_pixel_wide_phone(
    browser: Any, live_server: TestServer
) -> None:
    await open_office(live_server.app)
    context = await browser.new_context(locale="fi-FI", viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await book_in_finnish(page, live_server, no_sideways_scrolling)
    await context.close()
