"""Tokens a real provider never sends, refused: a small provider of our own on 127.0.0.1 speaks
the protocol correctly but hands out the ID token each test crafts (wrong audience, `alg: none`,
expired, signed with a key it does not publish, encrypted to another key, a wrong nonce or
issuer, unencrypted under the FTN profile, a weaker assurance). Each is refused with a page in
the person's language and nothing is stored; the well-made token is accepted, so the refusals are
the checks' doing."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from joserfc import jwe, jwt
from joserfc.jwk import RSAKey
from sqlalchemy import text

from core.app_keys import sessions_key
from core.i18n import LANGUAGE_COOKIE
from identification.jwks import ServiceKeys, rotate
from server import create_app
from tests.conftest import make_settings
from tests.identification.provider import FINNISH_PERSON, FTN_SUBSTANTIAL

CLIENT_ID = "kohtaamo-ftn"
Claims = dict[str, Any]


class RogueProvider:
    """Discovery, keys and a token endpoint that returns ``self.make(claims)``."""

    def __init__(self, ours: ServiceKeys) -> None:
        self.signing = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
        self.ours = ours
        self.make: Callable[[Claims], str] = self.well_made
        self.delay = 0.0
        self.nonce = ""
        self.app = web.Application()
        self.app.router.add_get("/.well-known/openid-configuration", self._discovery)
        self.app.router.add_get("/jwks", self._jwks)
        self.app.router.add_post("/token", self._token)
        self.server = TestServer(self.app, host="127.0.0.1")

    @property
    def issuer(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def claims(self, **changes: Any) -> Claims:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "aino",
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            "acr": FTN_SUBSTANTIAL,
            **FINNISH_PERSON,
        }
        claims.update(changes)
        return claims

    def sign(self, claims: Claims, key: RSAKey | None = None) -> str:
        key = key or self.signing
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def encrypt(self, signed: str, to: RSAKey | None = None) -> str:
        if to is None:
            [to] = [k for k in self.ours.all.keys if k.get("use") == "enc"][:1]
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": to.kid, "cty": "JWT"}
        registry = jwe.JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
        return jwe.encrypt_compact(header, signed, to, registry=registry)

    def well_made(self, claims: Claims) -> str:
        return self.encrypt(self.sign(claims))

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.signing.as_dict(private=False)]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert form["client_assertion_type"].endswith("jwt-bearer")
        await asyncio.sleep(self.delay)
        return web.json_response({"id_token": self.make(self.claims()), "token_type": "Bearer"})


def unsigned(claims: Claims) -> str:
    def part(value: Claims) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.fixture
async def world(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestClient[Any, Any], RogueProvider]]:
    keys_path = tmp_path / "identity-keys.json"
    rogue = RogueProvider(rotate(keys_path))
    await rogue.server.start_server()
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        f"""
providers:
  - id: suomifi
    issuer: {rogue.issuer}
    client_id: {CLIENT_ID}
    profile: ftn
    acr_values: [{FTN_SUBSTANTIAL}]
    names: {{fi: Suomi.fi-tunnistus, sv: Suomi.fi-identifikation, en: Suomi.fi identification}}
"""
    )
    settings = make_settings(
        database_url,
        identity_providers=str(providers),
        identity_keys=str(keys_path),
        identity_provider_timeout_seconds="1",
    )
    client = await aiohttp_client(create_app(settings))
    yield client, rogue
    await rogue.server.close()


async def come_back(client: TestClient[Any, Any], rogue: RogueProvider) -> Any:
    """Start at our page, read state and nonce from the signed request, and return with a code."""
    form = await (await client.get("/identify")).text()
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    started = await client.post(
        "/identify/with/suomifi",
        data={"csrf_token": token, "next": "/identify/me"},
        allow_redirects=False,
    )
    request_object = parse_qs(urlsplit(started.headers["Location"]).query)["request"][0]
    payload = request_object.split(".")[1]
    asked = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    rogue.nonce = asked["nonce"]
    return await client.get(
        f"/identify/callback?code=any&state={asked['state']}", allow_redirects=False
    )


async def test_a_well_made_token_is_accepted(world: Any) -> None:
    client, rogue = world
    answer = await come_back(client, rogue)
    assert answer.status == 303, await answer.text()


OTHER_KEY = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
CASES: dict[str, Callable[[RogueProvider], Callable[[Claims], str]]] = {
    "wrong audience": lambda r: lambda c: r.well_made({**c, "aud": "someone-else"}),
    "alg none": lambda r: lambda c: r.encrypt(unsigned(c)),
    "expired": lambda r: (
        lambda c: r.well_made({**c, "exp": int(time.time()) - 3600, "iat": int(time.time()) - 3900})
    ),
    "unpublished key": lambda r: lambda c: r.encrypt(r.sign(c, OTHER_KEY)),
    "encrypted to another key": lambda r: lambda c: r.encrypt(r.sign(c), to=OTHER_KEY),
    "nonce mismatch": lambda r: lambda c: r.well_made({**c, "nonce": "not-the-one"}),
    "wrong issuer": lambda r: lambda c: r.well_made({**c, "iss": "https://evil.example"}),
    "not encrypted": lambda r: lambda c: r.sign(c),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_bad_token_is_refused_and_nothing_is_stored(world: Any, case: str) -> None:
    client, rogue = world
    rogue.make = CASES[case](rogue)
    answer = await come_back(client, rogue)
    assert answer.status == 400
    assert "Tunnistautumista ei voitu varmistaa" in await answer.text()
    assert "kohtaamo_client" not in answer.cookies
    async with client.app[sessions_key]() as session:
        assert (await session.execute(text("SELECT count(*) FROM client_sessions"))).scalar() == 0


async def test_a_weaker_assurance_is_refused_with_its_own_words(world: Any) -> None:
    client, rogue = world
    rogue.make = lambda c: rogue.well_made({**c, "acr": "http://ftn.ficora.fi/2017/loa1"})
    client.session.cookie_jar.update_cookies({LANGUAGE_COOKIE: "en"})
    answer = await come_back(client, rogue)
    assert answer.status == 400
    assert "not strong enough for this service" in await answer.text()


async def test_a_slow_provider_is_waited_for_only_so_long(world: Any) -> None:
    client, rogue = world
    rogue.delay = 5  # the token endpoint answers after the service's 1 s bound
    started = time.monotonic()
    answer = await come_back(client, rogue)
    assert time.monotonic() - started < 4
    assert answer.status == 503
    assert "Tunnistuspalvelu ei vastannut" in await answer.text()
    rogue.delay = 0
