"""The admin's statistics page in Chromium, in Finnish, Swedish and English: with figures, with
a wrong month and its error, it passes axe-core; the chart is one named image per section."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from core.principal import Role
from tests.calendars.test_pages import make_office
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations, url_of
from tests.figures.conftest import add_booking, add_report, local

pytestmark = pytest.mark.browser

WORDS = {
    "fi": ("Sähköpostiosoite", "Salasana", "Kirjaudu sisään", "Näytä", "Tilastot"),
    "sv": ("E-postadress", "Lösenord", "Logga in", "Visa", "Statistik"),
    "en": ("Email address", "Password", "Log in", "Show", "Statistics"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_statistics_page_passes_axe(
    browser: Any, live_server: TestServer, language: str
) -> None:
    email_label, password_label, log_in, show, title = WORDS[language]
    app = live_server.app
    office = await make_office(app)
    for day in range(2, 10):
        await add_booking(app, office.maria, office.meeting_type_id, local(2026, 3, day))
    await add_booking(app, office.maria, office.meeting_type_id, local(2026, 3, 12), mode="phone")
    for _ in range(6):
        await add_report(app, local(2026, 3, 9), assessed=local(2026, 3, 10))
    await create_user(app, Role.ADMIN, "aino@example.com", name="Aino Admin")
    page = await browser.new_page()
    await page.goto(url_of(live_server, f"/language?lang={language}&next=/login"))
    await page.get_by_label(email_label).fill("aino@example.com")
    await page.get_by_label(password_label).fill(PASSWORD)
    await page.get_by_role("button", name=log_in).click()
    await page.wait_for_url("**/staff")
    await page.goto(url_of(live_server, "/admin/statistics"))
    await page.locator("#month").fill("2026-03")
    await page.get_by_role("button", name=show).click()
    await page.wait_for_url("**month=2026-03**")
    assert (await page.locator("h1").inner_text()).startswith(title)
    assert await page.get_by_role("img").count() >= 5
    assert await serious_accessibility_violations(page) == [], "statistics"
    await page.locator("#month").fill("2026-13")
    await page.get_by_role("button", name=show).click()
    assert await page.locator(".error-summary").count() == 1
    assert await serious_accessibility_violations(page) == [], "statistics with an error"
    await page.close()
