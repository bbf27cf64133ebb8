"""A person logs in through the real form in Finnish, Swedish and English; the pages pass axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from core.principal import Role
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations, url_of

pytestmark = pytest.mark.browser

LANGUAGES = {
    "fi": ("Suomi", "Kirjaudu sisään", "Sähköpostiosoite", "Salasana", "Tervetuloa, Aino Admin"),
    "sv": ("Svenska", "Logga in", "E-postadress", "Lösenord", "Välkommen, Aino Admin"),
    "en": ("English", "Log in", "Email address", "Password", "Welcome, Aino Admin"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_log_in_through_the_form_in_each_language(
    browser: Any, live_server: TestServer, language: str
) -> None:
    switcher, button, email_label, password_label, welcome = LANGUAGES[language]
    await create_user(live_server.app, Role.ADMIN, "aino@example.com", name="Aino Admin")
    context = await browser.new_context(locale="fi-FI")
    page = await context.new_page()
    await page.goto(url_of(live_server, "/login"))
    if language != "fi":
        await page.get_by_role("link", name=switcher).click()
    await page.get_by_label(email_label).fill("aino@example.com")
    await page.get_by_label(password_label).fill(PASSWORD)
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url("**/staff")
    assert await page.locator("h1").inner_text() == welcome
    assert await page.locator("html").get_attribute("lang") == language
    await context.close()


async def test_wrong_password_error_summary_links_to_the_field(
    browser: Any, live_server: TestServer
) -> None:
    page = await browser.new_page(locale="en-GB")
    await page.goto(url_of(live_server, "/language?lang=en&next=/login"))
    await page.get_by_label("Email address").fill("nobody@example.com")
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Log in").click()
    summary = page.get_by_role("alert")
    assert "The email address or password is wrong." in await summary.inner_text()
    await summary.get_by_role("link").click()
    assert await page.evaluate("document.activeElement.id") == "email"
    assert await page.get_by_label("Email address").input_value() == "nobody@example.com"
    assert await serious_accessibility_violations(page) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_login_admin_and_error_pages_pass_axe(
    browser: Any, live_server: TestServer, language: str
) -> None:
    await create_user(live_server.app, Role.ADMIN, "aino@example.com", name="Aino Admin")
    await create_user(live_server.app, Role.CASEWORKER, "maria@example.com", name="Maria Virtanen")
    page = await browser.new_page()
    await page.goto(url_of(live_server, f"/language?lang={language}&next=/login"))
    assert await serious_accessibility_violations(page) == [], "login page"

    _switcher, button, email_label, password_label, _welcome = LANGUAGES[language]
    await page.get_by_label(email_label).fill("aino@example.com")
    await page.get_by_label(password_label).fill(PASSWORD)
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url("**/staff")
    for path in ("/admin/users", "/admin/users/new", "/admin/messages", "/no-such-page"):
        response = await page.goto(url_of(live_server, path))
        assert response is not None
        assert await serious_accessibility_violations(page) == [], path
    await page.goto(url_of(live_server, "/admin/users"))
    await page.get_by_role("link", name="Maria Virtanen").click()
    assert await serious_accessibility_violations(page) == [], "user page"

    # The person's data requests: the form, its error and a search that finds nothing.
    await page.goto(url_of(live_server, "/admin/personal-data"))
    assert await serious_accessibility_violations(page) == [], "personal data form"
    search = page.locator("form[action='/admin/personal-data'] button")
    await search.click()
    assert await page.locator(".error-summary").count() == 1
    assert await serious_accessibility_violations(page) == [], "personal data form with an error"
    await page.locator("#email").fill("ei.ketaan@example.com")
    await search.click()
    assert await page.locator(".error-summary").count() == 0
    assert await serious_accessibility_violations(page) == [], "personal data search"


async def test_pages_fit_a_320_pixel_wide_phone(browser: Any, live_server: TestServer) -> None:
    page = await browser.new_page(viewport={"width": 320, "height": 640})
    for path in ("/", "/login", "/no-such-page"):
        await page.goto(url_of(live_server, path))
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"


async def test_the_accessibility_check_itself_catches_a_bad_page(browser: Any) -> None:
    page = await browser.new_page()
    await page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    violations = await serious_accessibility_violations(page)
    assert any(line.startswith("image-alt (critical)") for line in violations), violations
