"""The service information pages, the accessibility feedback form and the lost-link page in
Chromium, in Finnish and Swedish (and English): they pass axe-core, with and without errors; the
admin's pages too."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from core.principal import Role
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations, url_of

pytestmark = pytest.mark.browser

PUBLIC = (
    "/contact",
    "/privacy",
    "/privacy/booking",
    "/privacy/reports",
    "/accessibility",
    "/cookies",
    "/accessibility/feedback",
    "/lost-link",
)
WORDS = {
    "fi": ("Lähetä palaute", "Lähetä minulle uudet linkit", "Kiitos palautteestasi"),
    "sv": ("Skicka responsen", "Skicka mig nya länkar", "Tack för din respons"),
    "en": ("Send the feedback", "Send me new links", "Thank you for your feedback"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_service_information_pages_pass_axe(
    browser: Any, live_server: TestServer, language: str
) -> None:
    send_feedback, send_links, thanks = WORDS[language]
    page = await browser.new_page()
    await page.goto(url_of(live_server, f"/language?lang={language}&next=/"))
    for path in PUBLIC:
        await page.goto(url_of(live_server, path))
        assert await page.locator("html").get_attribute("lang") == language
        assert await serious_accessibility_violations(page) == [], path
    # The footer's links lead to the pages.
    await page.goto(url_of(live_server, "/"))
    await page.locator("footer").get_by_role("link").nth(2).click()
    await page.wait_for_url("**/accessibility")

    # Errors: the summary links to the field, what was typed stays.
    await page.goto(url_of(live_server, "/accessibility/feedback"))
    await page.get_by_role("button", name=send_feedback).click()
    summary = page.get_by_role("alert")
    await summary.get_by_role("link").first.click()
    assert await page.evaluate("document.activeElement.id") == "message"
    assert await serious_accessibility_violations(page) == [], "feedback with an error"
    await page.locator("#message").fill("Kontrasten är för svag.")
    await page.get_by_role("button", name=send_feedback).click()
    assert thanks in await page.locator("h1").inner_text()
    assert await serious_accessibility_violations(page) == [], "feedback sent"

    await page.goto(url_of(live_server, "/lost-link"))
    await page.locator("#contact").fill("ei osoite")
    await page.get_by_role("button", name=send_links).click()
    assert await page.locator("#contact").input_value() == "ei osoite"
    assert await serious_accessibility_violations(page) == [], "lost link with an error"
    await page.locator("#contact").fill("liisa@example.com")
    await page.get_by_role("button", name=send_links).click()
    await page.wait_for_url("**/lost-link/sent")
    assert await serious_accessibility_violations(page) == [], "lost link sent"
    await page.close()


async def test_the_admins_service_information_pages_pass_axe(
    browser: Any, live_server: TestServer
) -> None:
    await create_user(live_server.app, Role.ADMIN, "aino@example.com", name="Aino Admin")
    page = await browser.new_page()
    await page.goto(url_of(live_server, "/language?lang=sv&next=/login"))
    await page.get_by_label("E-postadress").fill("aino@example.com")
    await page.get_by_label("Lösenord").fill(PASSWORD)
    await page.get_by_role("button", name="Logga in").click()
    await page.wait_for_url("**/staff")
    for path in (
        "/admin/service-information",
        "/admin/service-information/accessibility/sv",
        "/admin/service-information/privacy.chat/fi",
        "/admin/accessibility-feedback",
    ):
        await page.goto(url_of(live_server, path))
        assert await serious_accessibility_violations(page) == [], path
    await page.goto(url_of(live_server, "/admin/service-information/contact/sv"))
    await page.locator("#emergency").fill("")
    await page.get_by_role("button", name="Spara").click()
    assert await page.locator(".error-summary").count() == 1
    assert await serious_accessibility_violations(page) == [], "admin form with an error"
    await page.close()
