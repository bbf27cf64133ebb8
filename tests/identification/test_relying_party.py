"""A client identifies against a real OpenID provider (npm's oidc-provider) configured like
Suomi.fi (FTN profile) and a Swedish eID broker: the whole trip over HTTP, the refusals a person
can cause (cancelling, going back, a replayed link, a weaker method), the provider rotating its
keys or being down, the session's end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from core.app_keys import sessions_key
from core.db import utcnow
from core.i18n import LANGUAGE_COOKIE
from identification.keys import CLIENT_COOKIE, identification_service_key
from server import create_app
from tests.conftest import make_settings
from tests.identification.provider import (
    SE_LOA3,
    WEAK,
    OpenIdProvider,
    identification_on,
    stopped,
    walk,
)

pytestmark = pytest.mark.timeout(120)
BASE_URL = "http://127.0.0.1:8080"


@pytest.fixture
async def world(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestClient[Any, Any], OpenIdProvider]]:
    async with identification_on(tmp_path, BASE_URL) as (settings, provider):
        client = await aiohttp_client(create_app(make_settings(database_url, **settings)))
        yield client, provider


async def test_a_finnish_client_identifies_and_sees_who_they_are(world: Any) -> None:
    client, _provider = world
    answer, _query = await walk(client, "suomifi", person="aino")
    assert answer.status == 303
    assert answer.headers["Location"] == "/identify/me"
    assert CLIENT_COOKIE in answer.cookies
    page = await (await client.get("/identify/me")).text()
    assert "Aino Asiakas" in page
    assert "Suomi.fi-tunnistus, korotettu" in page

    # The identity code and the names are ciphertext at rest; the keyed hash is beside them.
    async with client.app[sessions_key]() as session:
        row = (
            await session.execute(
                text("SELECT identity_code, given_name, identity_hash FROM client_sessions")
            )
        ).one()
    assert row.identity_code.startswith("k1.") and "010280" not in row.identity_code
    assert row.given_name.startswith("k1.")
    assert len(row.identity_hash) == 64


async def test_a_swedish_client_identifies_with_the_swedish_profile(world: Any) -> None:
    client, _provider = world
    client.session.cookie_jar.update_cookies({LANGUAGE_COOKIE: "sv"})
    answer, _query = await walk(client, "se-eid", person="tolvan")
    assert answer.status == 303
    identity = await client.app[identification_service_key].identity(
        answer.cookies[CLIENT_COOKIE].value
    )
    assert identity is not None
    assert identity.identity_code == "191212121212"
    assert (identity.name, identity.acr) == ("Tolvan Tolvansson", SE_LOA3)
    page = await (await client.get("/identify/me")).text()
    assert "Du är identifierad" in page and "Svensk e-legitimation, väsentlig" in page


async def test_cancelling_at_the_provider_says_so_and_stores_nothing(world: Any) -> None:
    client, _provider = world
    answer, _query = await walk(client, "suomifi", person=None)
    assert answer.status == 400
    assert "Keskeytit tunnistautumisen. Mitään ei tallennettu." in await answer.text()
    assert CLIENT_COOKIE not in answer.cookies
    assert await sessions_stored(client) == 0


async def test_a_replayed_or_forged_return_is_refused(world: Any) -> None:
    client, _provider = world
    first, query = await walk(client, "suomifi", person="aino")
    assert first.status == 303
    again = await client.get(f"/identify/callback?{query}", allow_redirects=False)
    assert again.status == 400
    assert "vanhentunut tai jo käytetty" in await again.text()
    no_state = await client.get("/identify/callback?code=abc", allow_redirects=False)
    assert no_state.status == 400
    forged = await client.get("/identify/callback?code=abc&state=made-up", allow_redirects=False)
    assert forged.status == 400
    assert await sessions_stored(client) == 1


async def test_a_weaker_assurance_than_asked_is_refused(world: Any) -> None:
    client, provider = world
    await provider.force_acr(WEAK)
    answer, _query = await walk(client, "suomifi", person="aino")
    assert answer.status == 400
    assert "ei ollut tähän palveluun riittävän vahva" in await answer.text()
    assert await sessions_stored(client) == 0


async def test_the_providers_new_signing_key_is_picked_up_without_a_restart(world: Any) -> None:
    client, provider = world
    before, _ = await walk(client, "suomifi", person="aino")
    assert before.status == 303
    new_kid = await provider.rotate_signing_key()
    after, _ = await walk(client, "suomifi", person="aino")
    assert after.status == 303, await after.text()
    party = client.app[identification_service_key]._parties["suomifi"]
    known = await party._client.keys_for(new_kid)
    assert new_kid in {key.kid for key in known.keys}


async def test_a_provider_that_is_down_gets_a_try_again_page(world: Any) -> None:
    client, provider = world
    async with stopped(provider):
        form = await (await client.get("/identify")).text()
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = await client.post(
            "/identify/with/suomifi",
            data={"csrf_token": token, "next": "/identify/me"},
            allow_redirects=False,
        )
        assert answer.status == 503
        assert "Tunnistuspalvelu ei vastannut" in await answer.text()


async def test_logout_ends_the_session_here_and_at_the_provider(world: Any) -> None:
    client, provider = world
    answer, _ = await walk(client, "suomifi", person="aino")
    assert answer.status == 303
    page = await (await client.get("/identify/me")).text()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = await client.post("/identify/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303
    assert out.headers["Location"].startswith(f"{provider.issuer}/session/end")
    assert "id_token_hint=" in out.headers["Location"]
    again = await client.get("/identify/me", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/identify")


async def test_a_session_ends_when_idle_and_at_its_longest(world: Any) -> None:
    client, _provider = world
    answer, _ = await walk(client, "suomifi", person="aino")
    token = answer.cookies[CLIENT_COOKIE].value
    service = client.app[identification_service_key]
    start = utcnow()
    service._clock = lambda: start + timedelta(minutes=29)
    assert await service.identity(token) is not None  # and seen now: idle starts again
    service._clock = lambda: start + timedelta(minutes=29 + 31)
    assert await service.identity(token) is None
    assert await service.identity(token) is None  # ended, not just idle


async def sessions_stored(client: TestClient[Any, Any]) -> int:
    async with client.app[sessions_key]() as session:
        return int((await session.execute(text("SELECT count(*) FROM client_sessions"))).scalar())
