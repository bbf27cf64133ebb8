"""A caseworker sets up an authenticator and logs in with a code, in Chromium, in Finnish and
Swedish; the second-factor pages pass axe."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from core.app_keys import sessions_key
from core.principal import Role
from server import create_app
from tests.conftest import PASSWORD, create_user, make_settings
from tests.e2e.conftest import serious_accessibility_violations, url_of
from tests.identification.provider import free_port

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


async def test_a_passkey_registered_in_chromium_replaces_the_code(
    browser: Any, aiohttp_server: Any, database_url: str
) -> None:
    """Chromium's virtual authenticator (CDP WebAuthn) stands in for a phone's or a laptop's;
    WebAuthn wants a domain, so the service is reached as localhost."""
    port = free_port()
    base_url = f"http://localhost:{port}"
    app = create_app(make_settings(database_url, base_url=base_url))
    await aiohttp_server(app, host="127.0.0.1", port=port)
    await create_user(app, Role.CASEWORKER, "maria@example.com", name="Maria")
    context = await browser.new_context()
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    async def password() -> None:
        await page.goto(f"{base_url}/language?lang=en&next=/login")
        await page.get_by_label("Email address").fill("maria@example.com")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()

    await password()
    await page.wait_for_url("**/staff")
    await page.goto(f"{base_url}/account/second-factor")
    secret = await page.locator("code.secret-key").inner_text()
    await page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Turn on").click()
    await page.goto(f"{base_url}/account/second-factor")
    await page.get_by_role("button", name="Add a passkey").click()
    await page.get_by_text("The passkey was added.").wait_for()
    assert await serious_accessibility_violations(page) == [], "passkey added"

    await context.clear_cookies()
    await password()
    await page.wait_for_url("**/login/code**")
    await page.get_by_role("button", name="Use a passkey").click()
    await page.wait_for_url("**/staff")
    async with app[sessions_key]() as session:
        used = (
            await session.execute(text("SELECT sign_count, last_used_at FROM staff_passkeys"))
        ).one()
    assert used.last_used_at is not None
    await context.close()
