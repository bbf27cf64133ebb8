"""My pages in Chromium, in Finnish and Swedish: a client identifies through the local OpenID
provider, sees their bookings from two units, opens one without its secret link, and reads who
has looked at their data; every page passes axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server import create_app
from tests.booking.conftest import make_world
from tests.conftest import make_settings
from tests.e2e.conftest import serious_accessibility_violations
from tests.identification.provider import (
    FINNISH_PERSON,
    OTHER_FINNISH_PERSON,
    free_port,
    identification_on,
)
from tests.mypages.test_my_pages import AINO, ERKKI, adult_services, book

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

TEXTS = {
    "fi": ("Suomi.fi-tunnistus", "Omat sivusi", "Kuka on katsonut tietojasi", "Varauksesi"),
    "sv": (
        "Suomi.fi-identifikation",
        "Dina egna sidor",
        "Vem har läst dina uppgifter",
        "Din bokning",
    ),
}


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_a_client_finds_their_bookings_and_reads_on_their_own_pages(
    browser: Any,
    aiohttp_server: Any,
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    language: str,
) -> None:
    method, home, readers, booking_heading = TEXTS[language]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    people = {"aino": FINNISH_PERSON, "erkki": OTHER_FINNISH_PERSON}
    async with identification_on(tmp_path, base_url, people) as (settings, _provider):
        app = create_app(make_settings(database_url, **settings))
        server = await aiohttp_server(app, host="127.0.0.1", port=port)
        api = await aiohttp_client(server)
        family = await make_world(api)
        sanna, adult_type = await adult_services(api)
        await book(api, family, family.maria, family.meeting_type_id, 9, AINO)
        await book(api, family, sanna, adult_type, 11, AINO)
        await book(api, family, family.johan, family.meeting_type_id, 13, ERKKI)

        page = await browser.new_page()
        await page.goto(f"{base_url}/language?lang={language}&next=/my")
        await page.wait_for_url("**/identify?next=/my")
        await page.get_by_role("button", name=method).click()
        await page.get_by_role("button", name="Aino Asiakas").click()  # at the provider
        await page.wait_for_url(f"{base_url}/my")
        assert await page.locator("h1").inner_text() == home
        main = await page.locator("main").inner_text()
        assert "Maria Virtanen" in main and "Sanna K" in main
        assert "Johan Lindqvist" not in main
        assert await serious_accessibility_violations(page) == [], "my pages"

        await page.get_by_role("link", name=readers).click()
        await page.wait_for_url(f"{base_url}/my/access-log")
        assert await page.locator("h1").inner_text() == readers
        assert await serious_accessibility_violations(page) == [], "who has read"

        await page.go_back()
        await page.locator("main h3 a").first.click()
        await page.wait_for_url("**/manage/my_*")
        assert await page.locator("h1").inner_text() == booking_heading
        assert await serious_accessibility_violations(page) == [], "a booking"
        await page.close()
