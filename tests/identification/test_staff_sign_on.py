"""Staff log in through the municipality's own OpenID provider (single sign-on), here npm's
oidc-provider registered as Entra ID registers an app: plain authorization parameters,
client_secret_basic, signed ID tokens carrying the app roles and the department. Roles and
units are mapped from those claims at every login; nobody without a mapped role gets in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from accounts.keys import SESSION_COOKIE, account_service_key
from accounts.models import User
from accounts.service import SYSTEM
from core.app_keys import sessions_key
from core.i18n import LANGUAGE_COOKIE
from core.principal import Role
from server import create_app
from tests.conftest import PASSWORD, create_user, make_settings
from tests.identification.provider import OpenIdProvider, walk_from

pytestmark = pytest.mark.timeout(120)
BASE_URL = "http://127.0.0.1:8080"
CLIENT_SECRET = "staff-client-secret-for-tests-only"
MFA = "urn:espoo:mfa"

STAFF = {
    "anna": {
        "email": "Anna.Ahola@espoo.example",
        "name": "Anna Ahola",
        "roles": ["Kohtaamo.Caseworker", "Payroll.Reader"],
        "department": "Perheiden palvelut",
    },
    "pekka": {
        "email": "pekka.paakkonen@espoo.example",
        "name": "Pekka Pääkkönen",
        "roles": ["Kohtaamo.Caseworker", "Kohtaamo.Admin"],
    },
    "ville": {"email": "ville.virtanen@espoo.example", "name": "Ville Virtanen", "roles": []},
    "liisa": {
        "email": "liisa.laine@espoo.example",
        "name": "Liisa Laine",
        "roles": ["Kohtaamo.Intake"],
    },
}


def providers_file(path: Path, issuer: str) -> Path:
    """Only staff sign-on: client identification stays off."""
    path.write_text(
        f"""
staff_sign_on:
  issuer: {issuer}
  client_id: kohtaamo-staff
  client_auth: client_secret_basic
  names: {{fi: Espoon työntekijät, sv: Esbo stads anställda, en: City of Espoo staff}}
  roles_claim: roles
  roles: {{Kohtaamo.Admin: admin, Kohtaamo.Caseworker: caseworker, Kohtaamo.Intake: intake}}
  unit_claim: department
  units: {{Perheiden palvelut: Family services}}
"""
    )
    return path


@pytest.fixture
async def world(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[TestClient[Any, Any]]:
    client_metadata = {
        "client_id": "kohtaamo-staff",
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{BASE_URL}/login/sign-on/callback"],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "id_token_signed_response_alg": "RS256",
    }
    async with OpenIdProvider(clients=[client_metadata], people=STAFF, acr_values=[MFA]) as idp:
        settings = make_settings(
            database_url,
            identity_providers=str(providers_file(tmp_path / "providers.yaml", idp.issuer)),
            identity_keys=str(tmp_path / "identity-keys.json"),
            staff_sso_client_secret=CLIENT_SECRET,
        )
        client = await aiohttp_client(create_app(settings))
        accounts = client.app[account_service_key]
        await accounts.organisation.create_unit(
            SYSTEM,
            None,
            {"fi": "Perheiden palvelut", "sv": "Familjetjänster", "en": "Family services"},
        )
        yield client


async def sign_on(client: TestClient[Any, Any], person: str | None) -> Any:
    answer, _query = await walk_from(
        client,
        "/login",
        "/login/sign-on",
        "/login/sign-on/callback",
        person=person,
        next_path="/staff",
    )
    return answer


async def user_row(client: TestClient[Any, Any], email: str) -> User | None:
    async with client.app[sessions_key]() as session:
        return await session.scalar(select(User).where(User.email == email))


async def test_a_caseworker_signs_on_and_gets_role_and_unit_from_the_claims(world: Any) -> None:
    client = world
    login_page = await (await client.get("/login")).text()
    assert "Kirjaudu: Espoon työntekijät" in login_page
    answer = await sign_on(client, "anna")
    assert answer.status == 303, await answer.text()
    assert answer.headers["Location"] == "/staff"
    assert SESSION_COOKIE in answer.cookies
    me = await (await client.get("/api/v1/auth/me")).json()
    assert (me["name"], me["role"]) == ("Anna Ahola", "caseworker")
    user = await user_row(client, "anna.ahola@espoo.example")
    assert user is not None
    units = await client.app[account_service_key].organisation.units()
    assert [unit.names["en"] for unit in units if unit.id == user.unit_id] == ["Family services"]
    # Made without a password: the password form never lets this account in.
    refused = await client.post(
        "/api/v1/auth/login",
        json={"email": "anna.ahola@espoo.example", "password": PASSWORD},
    )
    assert refused.status == 401
    # The second login finds the same account.
    client.session.cookie_jar.clear()
    assert (await sign_on(client, "anna")).status == 303
    async with client.app[sessions_key]() as session:
        count = await session.scalar(select(func.count()).select_from(User))
    assert count == 1


async def test_the_widest_mapped_role_counts(world: Any) -> None:
    client = world
    assert (await sign_on(client, "pekka")).status == 303
    me = await (await client.get("/api/v1/auth/me")).json()
    assert me["role"] == "admin"


async def test_nobody_without_a_kohtaamo_role_gets_in_and_nothing_is_stored(world: Any) -> None:
    client = world
    client.session.cookie_jar.update_cookies({LANGUAGE_COOKIE: "sv"})
    answer = await sign_on(client, "ville")
    assert answer.status == 400
    page = await answer.text()
    assert "Inloggningen lyckades inte" in page
    assert "har ingen roll i Kohtaamo" in page
    assert SESSION_COOKIE not in answer.cookies
    assert await user_row(client, "ville.virtanen@espoo.example") is None


async def test_cancelling_at_the_provider_logs_nobody_in(world: Any) -> None:
    client = world
    answer = await sign_on(client, None)
    assert answer.status == 400
    assert "Keskeytit kirjautumisen." in await answer.text()
    assert SESSION_COOKIE not in answer.cookies


async def test_an_existing_account_is_linked_by_email_and_takes_the_providers_role(
    world: Any,
) -> None:
    client = world
    user_id = await create_user(client.app, Role.CASEWORKER, "liisa.laine@espoo.example")
    assert (await sign_on(client, "liisa")).status == 303
    me = await (await client.get("/api/v1/auth/me")).json()
    assert (me["id"], me["role"]) == (user_id, "intake")


async def test_a_closed_account_stays_closed(world: Any) -> None:
    client = world
    user_id = await create_user(client.app, Role.CASEWORKER, "liisa.laine@espoo.example")
    await client.app[account_service_key].set_active(SYSTEM, user_id, active=False)
    answer = await sign_on(client, "liisa")
    assert answer.status == 403
    assert "Kohtaamo-tilisi on suljettu" in await answer.text()
    assert SESSION_COOKIE not in answer.cookies


async def test_an_email_that_another_account_has_is_refused_and_nothing_is_stored(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = world
    assert (await sign_on(client, "liisa")).status == 303
    linked = await user_row(client, "liisa.laine@espoo.example")
    assert linked is not None
    # Liisa's address at the provider was another until now; an admin has since made an
    # account with the address the provider now gives her.
    async with client.app[sessions_key].begin() as session:
        await session.execute(
            update(User).where(User.id == linked.id).values(email="liisa.l@espoo.example")
        )
    other_id = await create_user(client.app, Role.CASEWORKER, "liisa.laine@espoo.example")
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({LANGUAGE_COOKIE: "en"})
    with caplog.at_level("WARNING", logger="kohtaamo.accounts"):
        answer = await sign_on(client, "liisa")
    assert answer.status == 403
    page = await answer.text()
    assert "Logging in did not succeed" in page
    assert "an email address that another Kohtaamo account already has" in page
    assert SESSION_COOKIE not in answer.cookies
    still = await user_row(client, "liisa.l@espoo.example")
    assert still is not None and still.id == linked.id
    other = await user_row(client, "liisa.laine@espoo.example")
    assert other is not None and (other.id, other.sign_on_subject) == (other_id, None)
    [warning] = [record for record in caplog.records if record.name == "kohtaamo.accounts"]
    assert warning.levelname == "WARNING"
    assert "@" not in caplog.text and "liisa" not in caplog.text


async def test_a_replayed_return_is_refused(world: Any) -> None:
    client = world
    answer, query = await walk_from(
        client, "/login", "/login/sign-on", "/login/sign-on/callback", person="anna", next_path="/"
    )
    assert answer.status == 303
    again = await client.get(f"/login/sign-on/callback?{query}", allow_redirects=False)
    assert again.status == 400
    assert "vanhentunut tai se on jo käytetty" in await again.text()


async def test_client_identification_stays_off_with_only_staff_sign_on(world: Any) -> None:
    client = world
    assert (await client.get("/identify")).status == 404
