"""Logging in and out, as a form and as JSON; sessions that can be ended; limits on guessing."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from core.principal import Role
from server import create_app
from tests.conftest import PASSWORD, create_user, log_in, make_settings


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert match, "the form has no CSRF token"
    return match.group(1)


async def login_form_token(client: TestClient[Any, Any]) -> str:
    return csrf_token(await (await client.get("/login")).text())


async def submit_login(
    client: TestClient[Any, Any], email: str, password: str, **headers: str
) -> Any:
    token = await login_form_token(client)
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": ""},
        headers=headers,
        allow_redirects=False,
    )


async def test_login_form_starts_a_session_and_logout_ends_it(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com", name="Maria Virtanen")
    response = await submit_login(client, "Maria@Example.com", PASSWORD)
    assert response.status == 303
    assert response.headers["Location"] == "/staff"
    session_cookie = response.cookies["kohtaamo_session"]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert not session_cookie["secure"]
    home = await client.get("/staff")
    assert "Tervetuloa, Maria Virtanen" in await home.text()

    old_token = session_cookie.value
    logout = await client.post(
        "/logout", data={"csrf_token": csrf_token(await home.text())}, allow_redirects=False
    )
    assert logout.status == 303
    # The old cookie no longer opens anything, even if someone kept a copy of it.
    client.session.cookie_jar.update_cookies({"kohtaamo_session": old_token})
    after = await client.get("/staff", allow_redirects=False)
    assert after.status == 303
    assert after.headers["Location"].startswith("/login")


async def test_wrong_password_shows_an_error_and_keeps_the_email(
    client: TestClient[Any, Any],
) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    response = await submit_login(
        client, "maria@example.com", "not the password", **{"Accept-Language": "sv"}
    )
    body = await response.text()
    assert response.status == 401
    assert "E-postadressen eller lösenordet är fel." in body
    assert 'value="maria@example.com"' in body
    assert "not the password" not in body
    assert "kohtaamo_session" not in response.cookies


async def test_empty_login_form_names_both_fields(client: TestClient[Any, Any]) -> None:
    response = await submit_login(client, "", "", **{"Accept-Language": "en"})
    body = await response.text()
    assert response.status == 422
    assert '<a href="#email">Enter your email address.</a>' in body
    assert '<a href="#password">Enter your password.</a>' in body


async def test_form_without_csrf_token_is_refused(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": "maria@example.com", "password": PASSWORD}
    )
    assert response.status == 403
    assert "Lomake on vanhentunut." in await response.text()
    forged = await client.post(
        "/login", data={"email": "maria@example.com", "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert forged.status == 403


async def test_cross_site_origin_is_refused_for_api_writes(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": "maria@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403


async def test_json_login_me_and_logout(client: TestClient[Any, Any]) -> None:
    user_id = await create_user(client.app, Role.INTAKE, "ilkka@example.com", name="Ilkka")
    assert (await client.get("/api/v1/auth/me")).status == 401
    await log_in(client, "ilkka@example.com")
    me = await (await client.get("/api/v1/auth/me")).json()
    assert me == {"id": user_id, "name": "Ilkka", "email": "ilkka@example.com", "role": "intake"}
    assert (await client.post("/api/v1/auth/logout")).status == 204
    assert (await client.get("/api/v1/auth/me")).status == 401


async def test_json_login_with_wrong_password_is_401_problem(client: TestClient[Any, Any]) -> None:
    await create_user(client.app, Role.INTAKE, "ilkka@example.com")
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ilkka@example.com", "password": "wrong password"}
    )
    assert response.status == 401
    problem = await response.json(content_type=None)
    assert problem["detail"] == "Sähköpostiosoite tai salasana on väärin."


async def test_five_failures_for_an_account_lock_it_for_fifteen_minutes(
    client: TestClient[Any, Any],
) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    for _ in range(5):
        failed = await client.post(
            "/api/v1/auth/login", json={"email": "maria@example.com", "password": "guess"}
        )
        assert failed.status == 401
    # Even the right password is refused now: the limit is checked before the password.
    locked = await client.post(
        "/api/v1/auth/login", json={"email": "maria@example.com", "password": PASSWORD}
    )
    assert locked.status == 429
    retry_after = int(locked.headers["Retry-After"])
    assert 14 * 60 < retry_after <= 15 * 60 + 1
    page = await submit_login(client, "maria@example.com", PASSWORD)
    assert page.status == 429
    assert "Liian monta yritystä." in await page.text()


async def test_five_failures_from_one_address_lock_that_address(
    client: TestClient[Any, Any],
) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    for number in range(5):
        await client.post(
            "/api/v1/auth/login", json={"email": f"guess{number}@example.com", "password": "guess"}
        )
    response = await client.post(
        "/api/v1/auth/login", json={"email": "maria@example.com", "password": PASSWORD}
    )
    assert response.status == 429
    assert "Retry-After" in response.headers


async def test_deactivated_user_cannot_log_in(client: TestClient[Any, Any], admin: str) -> None:
    from accounts.keys import account_service_key
    from accounts.service import SYSTEM

    user_id = await create_user(client.app, Role.CASEWORKER, "gone@example.com")
    await client.app[account_service_key].set_active(SYSTEM, user_id, active=False)
    response = await client.post(
        "/api/v1/auth/login", json={"email": "gone@example.com", "password": PASSWORD}
    )
    assert response.status == 401


async def test_https_base_url_sets_a_secure_session_cookie(
    aiohttp_client: Any, database_url: str
) -> None:
    app: web.Application = create_app(
        make_settings(
            database_url, base_url="https://kohtaamo.example.fi", staff_second_factor="optional"
        )
    )
    client = await aiohttp_client(app)
    await create_user(app, Role.ADMIN, "admin@example.com")
    response = await client.post(
        "/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
    )
    assert response.status == 200
    assert response.cookies["kohtaamo_session"]["secure"] is True
    assert "Strict-Transport-Security" in response.headers


async def test_session_ends_after_the_idle_limit(client: TestClient[Any, Any]) -> None:
    from datetime import timedelta

    from accounts.keys import account_service_key
    from core.db import utcnow

    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    await log_in(client, "maria@example.com")
    assert (await client.get("/api/v1/auth/me")).status == 200
    service = client.app[account_service_key]
    service._clock = lambda: utcnow() + timedelta(hours=8, minutes=1)
    assert (await client.get("/api/v1/auth/me")).status == 401
