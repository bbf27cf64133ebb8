"""User administration: only admins; create, deactivate, reset and end sessions."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from core.principal import Role
from tests.accounts.test_login import csrf_token
from tests.conftest import PASSWORD, create_user, log_in


async def test_admin_sees_the_user_list(client: TestClient[Any, Any], admin: str) -> None:
    await create_user(client.app, Role.CASEWORKER, "maria@example.com", name="Maria Virtanen")
    body = await (await client.get("/admin/users", headers={"Accept-Language": "en"})).text()
    assert "Maria Virtanen" in body and "maria@example.com" in body
    assert "<td>Caseworker</td>" in body
    assert "<td>Administrator</td>" in body


async def test_non_admins_are_refused_and_visitors_sent_to_login(
    client: TestClient[Any, Any],
) -> None:
    anonymous = await client.get("/admin/users", allow_redirects=False)
    assert anonymous.status == 303
    assert anonymous.headers["Location"] == "/login?next=/admin/users"
    await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    await log_in(client, "maria@example.com")
    refused = await client.get("/admin/users")
    assert refused.status == 403
    assert "Sinulla ei ole oikeutta tähän." in await refused.text()


async def test_admin_creates_a_user_through_the_form(
    client: TestClient[Any, Any], admin: str
) -> None:
    form = await (await client.get("/admin/users/new")).text()
    response = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(form),
            "name": "Sanna Korhonen",
            "email": "sanna@example.com",
            "role": "intake",
            "password": "a long enough password",
        },
    )
    assert response.status == 200
    assert "Käyttäjä luotiin." in await response.text()
    await client.post("/api/v1/auth/logout")
    await log_in(client, "sanna@example.com", "a long enough password")
    me = await (await client.get("/api/v1/auth/me")).json()
    assert me["role"] == "intake"


async def test_bad_new_user_keeps_what_was_typed_and_stores_nothing(
    client: TestClient[Any, Any], admin: str
) -> None:
    form = await (await client.get("/admin/users/new")).text()
    response = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(form),
            "name": "Sanna Korhonen",
            "email": "not-an-email",
            "role": "caseworker",
            "password": "short",
        },
        headers={"Accept-Language": "en"},
    )
    body = await response.text()
    assert response.status == 422
    assert 'value="Sanna Korhonen"' in body and 'value="not-an-email"' in body
    assert "Enter an email address in the correct format, like name@example.com." in body
    assert "The password must be at least 12 characters long." in body
    listing = await (await client.get("/admin/users")).text()
    assert "Sanna Korhonen" not in listing


async def test_deactivating_a_user_ends_their_sessions(
    client: TestClient[Any, Any], aiohttp_client: Any, admin: str
) -> None:
    user_id = await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    other_browser = await aiohttp_client(client.server)
    await log_in(other_browser, "maria@example.com")
    assert (await other_browser.get("/api/v1/auth/me")).status == 200

    page = await (await client.get(f"/admin/users/{user_id}")).text()
    response = await client.post(
        f"/admin/users/{user_id}/deactivate", data={"csrf_token": csrf_token(page)}
    )
    assert "Käyttäjä poistettiin käytöstä ja kirjattiin ulos kaikkialta." in await response.text()
    assert (await other_browser.get("/api/v1/auth/me")).status == 401
    relogin = await other_browser.post(
        "/api/v1/auth/login", json={"email": "maria@example.com", "password": PASSWORD}
    )
    assert relogin.status == 401


async def test_admin_ends_all_sessions_of_a_user(
    client: TestClient[Any, Any], aiohttp_client: Any, admin: str
) -> None:
    user_id = await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    phone, laptop = await aiohttp_client(client.server), await aiohttp_client(client.server)
    await log_in(phone, "maria@example.com")
    await log_in(laptop, "maria@example.com")
    page = await (await client.get(f"/admin/users/{user_id}")).text()
    assert "<dd>2</dd>" in page
    await client.post(f"/admin/users/{user_id}/end-sessions", data={"csrf_token": csrf_token(page)})
    assert (await phone.get("/api/v1/auth/me")).status == 401
    assert (await laptop.get("/api/v1/auth/me")).status == 401
    # The user can log in again: ending sessions is not a deactivation.
    await log_in(phone, "maria@example.com")


async def test_password_reset_shows_a_new_password_once_and_the_old_one_stops_working(
    client: TestClient[Any, Any], aiohttp_client: Any, admin: str
) -> None:
    user_id = await create_user(client.app, Role.CASEWORKER, "maria@example.com")
    page = await (await client.get(f"/admin/users/{user_id}")).text()
    response = await client.post(
        f"/admin/users/{user_id}/reset-password", data={"csrf_token": csrf_token(page)}
    )
    match = re.search(r'<code class="new-password">([^<]+)</code>', await response.text())
    assert match
    new_password = match.group(1)
    browser = await aiohttp_client(client.server)
    old = await browser.post(
        "/api/v1/auth/login", json={"email": "maria@example.com", "password": PASSWORD}
    )
    assert old.status == 401
    await log_in(browser, "maria@example.com", new_password)
    shown_again = await (await client.get(f"/admin/users/{user_id}")).text()
    assert new_password not in shown_again


async def test_admin_cannot_deactivate_themself(client: TestClient[Any, Any], admin: str) -> None:
    page = await (await client.get(f"/admin/users/{admin}")).text()
    response = await client.post(
        f"/admin/users/{admin}/deactivate", data={"csrf_token": csrf_token(page)}
    )
    assert response.status == 409
    assert "Et voi poistaa omaa tiliäsi käytöstä." in await response.text()
    assert (await client.get("/api/v1/auth/me")).status == 200
