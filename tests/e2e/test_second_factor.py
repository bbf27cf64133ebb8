"""A caseworker sets up an authenticator and logs in with a code, in Chromium, in Finnish and
Swedish; the second-factor pages pass axe."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from aiohttp.test_utils import TestServer

from core.principal import Role
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations, url_of

pytestmark = pytest.mark.browser

WORDS = {
    "fi": ("Sähköpostiosoite", "Salasana", "Kirjaudu sisään", "Koodi", "Ota käyttöön", "Jatka"),
    "sv": ("E-postadress", "Lösenord", "Logga in", "Kod", "Aktivera", "Fortsätt"),
}


@pytest.mark.parametrize("language", list(WORDS))
async def test_setting_up_and_using_the_authenticator(
    browser: Any, live_server: TestServer, language: str
) -> None:
    email_label, password_label, log_in, code_label, turn_on, go_on = WORDS[language]
    await create_user(live_server.app, Role.CASEWORKER, "maria@example.com", name="Maria")
    page = await browser.new_page()

    async def password() -> None:
        await page.goto(url_of(live_server, f"/language?lang={language}&next=/login"))
        await page.get_by_label(email_label).fill("maria@example.com")
        await page.get_by_label(password_label).fill(PASSWORD)
        await page.get_by_role("button", name=log_in).click()

    await password()
    await page.wait_for_url("**/staff")
    await page.goto(url_of(live_server, "/account/second-factor"))
    assert await serious_accessibility_violations(page) == [], "enrolment"
    secret = await page.locator("code.secret-key").inner_text()
    assert re.fullmatch(r"[A-Z2-7]+", secret)
    await page.get_by_label(code_label).fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name=turn_on).click()
    assert await page.locator("ul.recovery-codes li").count() == 10
    assert await serious_accessibility_violations(page) == [], "recovery codes"
    await page.get_by_role("link", name=go_on).click()

    await page.context.clear_cookies()
    await password()
    await page.wait_for_url("**/login/code**")
    assert await serious_accessibility_violations(page) == [], "code"
    await page.get_by_label(code_label).fill("000000")
    await page.get_by_role("button", name=log_in).click()
    assert await page.locator(".error-summary").count() == 1
    assert await serious_accessibility_violations(page) == [], "wrong code"
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    await page.get_by_label(code_label).fill(next_code)
    await page.get_by_role("button", name=log_in).click()
    await page.wait_for_url("**/staff")
    await page.close()
