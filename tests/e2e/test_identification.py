"""A client identifies in Chromium, in Finnish and in Swedish, with Suomi.fi's profile and a
Swedish broker's, against the local OpenID provider; our pages pass axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import serious_accessibility_violations
from tests.identification.provider import free_port, identification_on

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WALKS = {
    ("suomifi", "fi"): ("Suomi.fi-tunnistus", "Aino Asiakas", "Olet tunnistautunut", "korotettu"),
    ("suomifi", "sv"): (
        "Suomi.fi-identifikation",
        "Aino Asiakas",
        "Du är identifierad",
        "väsentlig",
    ),
    ("se-eid", "fi"): (
        "Ruotsin e-tunnistus",
        "Tolvan Tolvansson",
        "Olet tunnistautunut",
        "korotettu",
    ),
    ("se-eid", "sv"): (
        "Svensk e-legitimation",
        "Tolvan Tolvansson",
        "Du är identifierad",
        "väsentlig",
    ),
}


@pytest.mark.parametrize(("provider_id", "language"), list(WALKS))
async def test_a_client_identifies_through_the_provider_in_their_language(
    browser: Any,
    aiohttp_server: Any,
    database_url: str,
    tmp_path: Path,
    provider_id: str,
    language: str,
) -> None:
    method, person, heading, assurance = WALKS[(provider_id, language)]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with identification_on(tmp_path, base_url) as (settings, _provider):
        app = create_app(make_settings(database_url, **settings))
        await aiohttp_server(app, host="127.0.0.1", port=port)
        page = await browser.new_page()
        await page.goto(f"{base_url}/language?lang={language}&next=/identify")
        assert await serious_accessibility_violations(page) == [], "the choice of provider"
        await page.get_by_role("button", name=method).click()
        await page.get_by_role("button", name=person).click()  # the provider's login page
        await page.wait_for_url(f"{base_url}/identify/me")
        assert await page.locator("h1").inner_text() == heading
        assert f"{method}, {assurance}" in await page.locator("main").inner_text()
        assert person in await page.locator("main").inner_text()
        assert await serious_accessibility_violations(page) == [], "identified"
        await page.locator("form[action='/identify/logout'] button").click()
        await page.wait_for_url("**/identify/logged-out")
        assert await serious_accessibility_violations(page) == [], "logged out"
        await page.close()
