"""Staff log in with a password and a second factor: an authenticator app's code (once only), or
a recovery code (once only); wrong codes count against the login limits; where the factor is
required a first login sets one up; an admin can remove a lost one; every change is logged and
the secret is encrypted at rest."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from core.principal import Role
from server import create_app
from tests.conftest import PASSWORD, create_user, log_in, make_settings

EMAIL = "maria@example.com"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def code_at(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def enrol(client: TestClient[Any, Any]) -> tuple[str, list[str]]:
    """Set up the authenticator from one's own page; the secret and the recovery codes."""
    page = await (await client.get("/account/second-factor")).text()
    secret_found = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page)
    assert secret_found is not None
    secret = secret_found.group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code, inline
    wrong = await client.post(
        "/account/second-factor", data={"csrf_token": csrf_of(page), "code": "000000"}
    )
    assert wrong.status == 422
    shown = await client.post(
        "/account/second-factor", data={"csrf_token": csrf_of(page), "code": code_at(secret)}
    )
    assert shown.status == 200
    codes = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", await shown.text())
    assert len(codes) == 10
    await client.post("/api/v1/auth/logout")
    return secret, codes


async def password_step(client: TestClient[Any, Any]) -> str:
    """The login form with the right password; the CSRF token of the code page it leads to."""
    form = await (await client.get("/login")).text()
    answer = await client.post(
        "/login",
        data={"csrf_token": csrf_of(form), "email": EMAIL, "password": PASSWORD, "next": ""},
        allow_redirects=False,
    )
    assert answer.status == 303
    assert answer.headers["Location"].startswith("/login/code")
    assert "kohtaamo_session" not in answer.cookies  # not logged in yet
    return csrf_of(await (await client.get("/login/code")).text())


async def code_step(client: TestClient[Any, Any], csrf: str, code: str) -> Any:
    return await client.post(
        "/login/code", data={"csrf_token": csrf, "code": code, "next": ""}, allow_redirects=False
    )


async def actions_logged(client: TestClient[Any, Any]) -> list[str]:
    async with client.app[sessions_key]() as session:
        return list(
            await session.scalars(
                select(AccessLogEntry.action)
                .where(AccessLogEntry.action.like("second-factor.%"))
                .order_by(AccessLogEntry.at)
            )
        )


async def test_an_authenticator_code_completes_the_login_once(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    await log_in(client, EMAIL)
    secret, _codes = await enrol(client)

    csrf = await password_step(client)
    wrong = await code_step(client, csrf, "123456")
    assert wrong.status == 401
    assert "Koodi on väärä tai jo käytetty" in await wrong.text()
    code = code_at(secret, 1)  # the next step's code is still good (clocks drift)
    right = await code_step(client, csrf, code)
    assert right.status == 303 and right.headers["Location"] == "/staff"
    assert (await client.get("/api/v1/auth/me")).status == 200

    # The same code again, in a new login: refused (a code seen over a shoulder is spent).
    await client.post("/api/v1/auth/logout")
    csrf = await password_step(client)
    assert (await code_step(client, csrf, code)).status == 401

    async with client.app[sessions_key]() as session:
        stored = (await session.execute(text("SELECT secret FROM staff_totp"))).scalar()
    assert str(stored).startswith("k1.") and secret not in str(stored)
    assert await actions_logged(client) == [
        "second-factor.enrolled",
        "second-factor.code-refused",
        "second-factor.code-refused",
    ]


async def test_a_recovery_code_works_once(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    await log_in(client, EMAIL)
    _secret, codes = await enrol(client)
    csrf = await password_step(client)
    assert (await code_step(client, csrf, codes[3].upper())).status == 303
    await client.post("/api/v1/auth/logout")
    csrf = await password_step(client)
    assert (await code_step(client, csrf, codes[3])).status == 401
    assert "second-factor.recovery-code-used" in await actions_logged(client)


async def test_wrong_codes_count_against_the_login_limit(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    await log_in(client, EMAIL)
    secret, _codes = await enrol(client)
    csrf = await password_step(client)
    statuses = [(await code_step(client, csrf, f"00000{n}")).status for n in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    # Even the right code waits now.
    assert (await code_step(client, csrf, code_at(secret))).status == 429


async def test_the_api_asks_for_the_code_and_takes_it(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    await log_in(client, EMAIL)
    secret, _codes = await enrol(client)
    first = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert first.status == 202
    assert await first.json() == {"second_factor": "code"}
    assert (await client.get("/api/v1/auth/me")).status == 401
    done = await client.post("/api/v1/auth/second-factor", json={"code": code_at(secret, 1)})
    assert done.status == 200
    assert (await done.json())["email"] == EMAIL
    assert (await client.get("/api/v1/auth/me")).status == 200


async def test_where_required_the_first_login_sets_up_the_factor(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(
        create_app(make_settings(database_url, staff_second_factor="required"))
    )
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    form = await (await client.get("/login")).text()
    answer = await client.post(
        "/login",
        data={"csrf_token": csrf_of(form), "email": EMAIL, "password": PASSWORD, "next": ""},
        allow_redirects=False,
    )
    assert answer.headers["Location"].startswith("/login/enrol")
    assert (await client.get("/api/v1/auth/me")).status == 401
    page = await (await client.get("/login/enrol")).text()
    secret_found = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page)
    assert secret_found is not None
    shown = await client.post(
        "/login/enrol",
        data={"csrf_token": csrf_of(page), "code": code_at(secret_found.group(1)), "next": ""},
    )
    assert shown.status == 200
    assert len(re.findall(r"<code>[a-z2-7]{4}(?:-[a-z2-7]{4}){3}</code>", await shown.text())) == 10
    assert (await client.get("/api/v1/auth/me")).status == 200


async def test_an_admin_removes_a_lost_factor_and_nobody_else_can(
    client: TestClient[Any, Any],
) -> None:
    user_id = await create_user(client.app, Role.CASEWORKER, EMAIL)
    await create_user(client.app, Role.CASEWORKER, "johan@example.com")
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    await log_in(client, EMAIL)
    await enrol(client)

    await log_in(client, "johan@example.com")
    csrf = csrf_of(await (await client.get("/staff")).text())
    refused = await client.post(
        f"/admin/users/{user_id}/second-factor/reset", data={"csrf_token": csrf}
    )
    assert refused.status == 403
    await client.post("/api/v1/auth/logout")

    await log_in(client, "admin@example.com")
    csrf = csrf_of(await (await client.get(f"/admin/users/{user_id}")).text())
    reset = await client.post(
        f"/admin/users/{user_id}/second-factor/reset",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert reset.headers["Location"] == f"/admin/users/{user_id}?notice=factor-reset"
    await client.post("/api/v1/auth/logout")
    # Optional here: with the factor gone, the password alone logs in again.
    again = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert again.status == 200
    assert (await actions_logged(client))[-1] == "second-factor.reset"


async def test_passkey_endpoints_refuse_strangers_and_bad_input(
    client: TestClient[Any, Any],
) -> None:
    # (A passkey made and used by a real browser: tests/e2e/test_second_factor.py.)
    assert (await client.post("/api/v1/auth/passkeys/options")).status == 401
    assert (await client.post("/api/v1/auth/passkey-login/options")).status == 401
    await create_user(client.app, Role.CASEWORKER, EMAIL)
    await log_in(client, EMAIL)
    options = await client.post("/api/v1/auth/passkeys/options")
    assert options.status == 200
    created = await options.json()
    assert created["rp"]["id"] == "127.0.0.1" and created["challenge"]
    forged = {"id": "abc", "rawId": "abc", "type": "public-key", "response": {}}
    refused = await client.post("/api/v1/auth/passkeys", json=forged)
    assert refused.status == 422
    assert (await refused.json())["errors"][0]["field"] == "credential"
    # The challenge was used up by that try: the same answer again is refused too.
    assert (await client.post("/api/v1/auth/passkeys", json=forged)).status == 422
    malformed = await client.post("/api/v1/auth/passkeys", json={"id": ""})
    assert malformed.status == 422
    async with client.app[sessions_key]() as session:
        assert (await session.execute(text("SELECT count(*) FROM staff_passkeys"))).scalar() == 0
