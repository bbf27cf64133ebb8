"""Identification is configuration: a providers file turns it on, none leaves it off and
unmentioned, a bad file stops the start with one line, and `server.py keys` makes and rotates
the keys whose public half the providers fetch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.principal import Role
from core.settings import SettingsError
from identification.jwks import KEPT_PER_USE, load, rotate
from identification.providers import FTN_CLAIMS, SWEDISH_CLAIMS, load_providers
from identification.staff_providers import load_staff_sign_on
from server import create_app
from tests.conftest import TEST_DATA_KEY, TEST_SECRET_KEY, make_settings

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = """
providers:
  - id: suomifi
    issuer: https://tunnistus.example.fi/oidc/
    client_id: kohtaamo-test
    profile: ftn
    acr_values: [http://ftn.ficora.fi/2017/loa2, http://ftn.ficora.fi/2017/loa3]
    names: {fi: Suomi.fi-tunnistus, sv: Suomi.fi-identifikation, en: Suomi.fi identification}
  - id: freja
    issuer: https://broker.example.se
    client_id: kohtaamo
    profile: oidc-sweden
    acr_values: [http://id.elegnamnden.se/loa/1.0/loa3]
    names: {fi: Ruotsin e-tunnistus, sv: Svensk e-legitimation, en: Swedish eID}
    identity_code_claim: https://id.oidc.se/claim/coordinationNumber
"""


def test_the_providers_file_gives_each_profile_its_claims(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(PROVIDERS)
    suomifi, freja = load_providers(path)
    assert suomifi.issuer == "https://tunnistus.example.fi/oidc"  # no trailing slash
    assert suomifi.identity_code_claim == FTN_CLAIMS["identity_code_claim"]
    assert freja.identity_code_claim == "https://id.oidc.se/claim/coordinationNumber"
    assert freja.given_name_claim == SWEDISH_CLAIMS["given_name_claim"]
    assert freja.name_in("sv") == "Svensk e-legitimation"
    assert suomifi.accepts("http://ftn.ficora.fi/2017/loa3")
    assert not freja.accepts("http://id.elegnamnden.se/loa/1.0/loa2")
    assert not freja.accepts(None)
    assert load_providers(None) == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("providers: []", "must list 'providers' or name a 'staff_sign_on'"),
        ("providers: [{id: a}]", "provider 1: 'issuer' is missing"),
        (PROVIDERS.replace("profile: ftn", "profile: saml"), "'profile' must be ftn or"),
        (PROVIDERS.replace("https://broker", "http://broker"), "must be an https address"),
        (PROVIDERS.replace("sv: Svensk e-legitimation, ", ""), "in fi, sv and en"),
        (PROVIDERS.replace("id: freja", "id: suomifi"), "two providers share an id"),
        ("providers: [", "not valid YAML"),
    ],
)
def test_a_bad_providers_file_is_named_with_its_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match="KOHTAAMO_IDENTITY_PROVIDERS") as error:
        load_providers(path)
    assert problem in str(error.value)


def test_a_start_with_a_broken_providers_file_stops_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text("providers: [{id: a}]")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KOHTAAMO_")}
    environment |= {"KOHTAAMO_IDENTITY_PROVIDERS": str(path), "KOHTAAMO_SECRET_KEY": "s" * 40}
    done = subprocess.run(
        [sys.executable, "server.py", "migrate"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "kohtaamo: configuration error: KOHTAAMO_IDENTITY_PROVIDERS: provider 1: 'issuer' is missing"
    ]


def test_server_keys_makes_and_rotates_the_private_jwks(tmp_path: Path) -> None:
    path = tmp_path / "identity-keys.json"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KOHTAAMO_")}
    environment |= {
        "KOHTAAMO_IDENTITY_KEYS": str(path),
        "KOHTAAMO_SECRET_KEY": TEST_SECRET_KEY,
        "KOHTAAMO_DATA_KEYS": TEST_DATA_KEY,
    }
    # The command line once (it makes the file), then the rotation it runs, in-process.
    done = subprocess.run(
        [sys.executable, "server.py", "keys"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    signing = [load(path).signing.kid]
    assert signing[-1] in done.stdout
    for _ in range(KEPT_PER_USE):
        signing.append(rotate(path).signing.kid)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    keys = json.loads(path.read_text())["keys"]
    assert all("d" in key for key in keys)  # private
    kept = [key["kid"] for key in keys if key["use"] == "sig"]
    assert kept == signing[::-1][:KEPT_PER_USE]  # newest first, the oldest dropped


async def test_the_public_keys_are_served_and_nothing_private(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    providers = tmp_path / "providers.yaml"
    providers.write_text(PROVIDERS)
    settings = make_settings(
        database_url,
        identity_providers=str(providers),
        identity_keys=str(tmp_path / "keys.json"),
    )
    client = await aiohttp_client(create_app(settings))
    answer = await client.get("/.well-known/jwks.json")
    assert answer.status == 200
    keys = (await answer.json())["keys"]
    assert sorted(key["use"] for key in keys) == ["enc", "sig"]
    assert not any(field in key for key in keys for field in ("d", "p", "q", "dp", "dq", "qi"))
    page = await client.get("/identify?next=/booking")
    assert page.status == 200
    text = await page.text()
    assert "Suomi.fi-tunnistus" in text and "Ruotsin e-tunnistus" in text


async def test_without_providers_no_identification_page_exists(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url)))
    assert (await client.get("/identify")).status == 404
    assert (await client.get("/.well-known/jwks.json")).status == 404
    assert "identify" not in (await (await client.get("/")).text()).lower()


STAFF = """
staff_sign_on:
  issuer: https://login.example.com/tenant/v2.0
  client_id: kohtaamo
  names: {fi: Espoon työntekijät, sv: Esbo stads anställda, en: City of Espoo staff}
  roles: {Kohtaamo.Admin: admin, Kohtaamo.Worker: caseworker}
"""


def test_staff_sign_on_maps_roles_and_leaves_client_identification_off(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(STAFF)
    staff = load_staff_sign_on(path, "")
    assert staff is not None
    assert load_providers(path) == ()
    assert staff.provider.client_secret is None  # private_key_jwt by default
    assert not staff.provider.signed_request
    assert staff.role_of({"roles": ["Kohtaamo.Worker", "Kohtaamo.Admin"]}) is Role.ADMIN
    assert staff.role_of({"roles": "Kohtaamo.Worker"}) is Role.CASEWORKER
    assert staff.role_of({"roles": ["Other"]}) is None
    assert staff.role_of({}) is None
    assert staff.unit_of({"department": "x"}) is None
    assert load_staff_sign_on(None, "") is None


@pytest.mark.parametrize(
    ("text", "secret", "problem"),
    [
        (
            STAFF.replace("  roles: {Kohtaamo.Admin: admin, Kohtaamo.Worker: caseworker}", ""),
            "",
            "'roles' must map",
        ),
        (STAFF.replace("caseworker}", "boss}"), "", "may map only to admin"),
        (STAFF + "  client_auth: client_secret_basic\n", "", "KOHTAAMO_STAFF_SSO_CLIENT_SECRET"),
        (STAFF + "  client_auth: password\n", "", "'client_auth' must be"),
        (STAFF.replace("  client_id: kohtaamo\n", ""), "", "staff_sign_on: 'client_id' is missing"),
    ],
)
def test_a_bad_staff_sign_on_is_named_with_its_problem(
    tmp_path: Path, text: str, secret: str, problem: str
) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match="KOHTAAMO_IDENTITY_PROVIDERS") as error:
        load_staff_sign_on(path, secret)
    assert problem in str(error.value)
