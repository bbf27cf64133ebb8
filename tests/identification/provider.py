"""The tests' OpenID provider: npm's oidc-provider (tests/oidc_provider/provider.mjs), run by
Node on 127.0.0.1 and configured like Suomi.fi (FTN) or a Swedish eID broker.

``async with OpenIdProvider(...) as provider`` installs the npm package from the lock file on
first use, starts the provider on a free port, and stops it afterwards; ``walk`` drives a whole
identification over HTTP as a browser would (the app's start form, the provider's login page,
the way back), for the tests that need no Chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from joserfc.jwk import RSAKey

from identification.jwks import ServiceKeys, rotate

HERE = Path(__file__).resolve().parents[1] / "oidc_provider"
START_SECONDS = 30

FTN_SUBSTANTIAL = "http://ftn.ficora.fi/2017/loa2"
FTN_HIGH = "http://ftn.ficora.fi/2017/loa3"
SE_LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
SE_LOA4 = "http://id.elegnamnden.se/loa/1.0/loa4"
WEAK = "http://ftn.ficora.fi/2017/loa1"  # below what Kohtaamo accepts

# Real-shaped test identity codes (valid check characters), not real people.
FINNISH_PERSON = {
    "urn:oid:1.2.246.21": "010280-952L",
    "urn:oid:2.5.4.42": "Aino",
    "urn:oid:2.5.4.4": "Asiakas",
    "given_name": "Aino",
    "family_name": "Asiakas",
    "name": "Aino Asiakas",
}
OTHER_FINNISH_PERSON = {
    "urn:oid:1.2.246.21": "131052-308T",
    "urn:oid:2.5.4.42": "Erkki",
    "urn:oid:2.5.4.4": "Esimerkki",
    "given_name": "Erkki",
    "family_name": "Esimerkki",
    "name": "Erkki Esimerkki",
}
SWEDISH_PERSON = {
    "https://id.oidc.se/claim/personalIdentityNumber": "191212121212",
    "given_name": "Tolvan",
    "family_name": "Tolvansson",
    "name": "Tolvan Tolvansson",
}


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail("node is needed for the OpenID provider tests")
        pytest.skip("node is not installed")
    return node


def install_once() -> None:
    if (HERE / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to install oidc-provider"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        timeout=300,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def providers_file(path: Path, issuer: str) -> Path:
    """Suomi.fi (FTN) and a Swedish broker, both served by one local provider."""
    path.write_text(
        f"""
providers:
  - id: suomifi
    issuer: {issuer}
    client_id: kohtaamo-ftn
    profile: ftn
    acr_values: [{FTN_SUBSTANTIAL}, {FTN_HIGH}]
    names: {{fi: Suomi.fi-tunnistus, sv: Suomi.fi-identifikation, en: Suomi.fi identification}}
  - id: se-eid
    issuer: {issuer}
    client_id: kohtaamo-se
    profile: oidc-sweden
    acr_values: [{SE_LOA3}, {SE_LOA4}]
    names: {{fi: Ruotsin e-tunnistus, sv: Svensk e-legitimation, en: Swedish eID}}
"""
    )
    return path


def client_metadata(
    client_id: str, base_url: str, keys: ServiceKeys, **changes: Any
) -> dict[str, Any]:
    """How Kohtaamo is registered with a provider (docs/identification.md)."""
    metadata = {
        "client_id": client_id,
        "redirect_uris": [f"{base_url}/identify/callback"],
        "post_logout_redirect_uris": [f"{base_url}/identify/logged-out"],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "RS256",
        "request_object_signing_alg": "RS256",
        "require_signed_request_object": True,
        "id_token_signed_response_alg": "RS256",
        "id_token_encrypted_response_alg": "RSA-OAEP-256",
        "id_token_encrypted_response_enc": "A256GCM",
        "userinfo_signed_response_alg": "RS256",
        "userinfo_encrypted_response_alg": "RSA-OAEP-256",
        "userinfo_encrypted_response_enc": "A256GCM",
        "jwks": keys.public_jwks(),
    }
    metadata.update(changes)
    return metadata


class OpenIdProvider:
    def __init__(
        self,
        *,
        clients: list[dict[str, Any]],
        people: dict[str, dict[str, str]],
        acr_values: list[str],
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._config: dict[str, Any] = {
            "issuer": self.issuer,
            "port": self.port,
            "clients": clients,
            "people": people,
            "acr_values": acr_values,
            "jwks": {"keys": [self._new_signing_key()]},
            "force_acr": None,
        }
        self._process: asyncio.subprocess.Process | None = None
        self._directory = tempfile.TemporaryDirectory(prefix="kohtaamo-oidc-")

    @staticmethod
    def _new_signing_key() -> dict[str, Any]:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        return dict(key.as_dict(private=True))

    @property
    def signing_kids(self) -> list[str]:
        return [key["kid"] for key in self._config["jwks"]["keys"]]

    async def __aenter__(self) -> OpenIdProvider:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        self._directory.cleanup()

    async def start(self) -> None:
        node = node_or_skip()
        await asyncio.to_thread(install_once)
        path = Path(self._directory.name) / "config.json"
        path.write_text(json.dumps(self._config))
        self._process = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "provider.mjs"),
            str(path),
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), START_SECONDS)
        except TimeoutError:
            line = b""
        if not line.startswith(b"ready"):
            await self.stop()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def rotate_signing_key(self) -> str:
        """A new signing key in front (the old one still published), as a provider rotates;
        the provider restarts on the same port. Returns the new key id."""
        self._config["jwks"]["keys"].insert(0, self._new_signing_key())
        await self.stop()
        await self.start()
        return str(self.signing_kids[0])

    async def force_acr(self, acr: str | None) -> None:
        async with aiohttp.ClientSession() as http:
            await http.post(f"{self.issuer}/_control/force_acr", data=acr or "")


async def walk(
    client: TestClient[Any, Any],
    provider_id: str,
    *,
    person: str | None,
    next_path: str = "/identify/me",
) -> tuple[aiohttp.ClientResponse, str]:
    """Identify as ``person`` (None: cancel at the provider) through the app's pages and the
    provider's; returns the app's answer to the callback and the callback's query string."""
    return await walk_from(
        client,
        f"/identify?next={next_path}",
        f"/identify/with/{provider_id}",
        "/identify/callback",
        person=person,
        next_path=next_path,
    )


async def walk_from(
    client: TestClient[Any, Any],
    form_page: str,
    start_path: str,
    callback_path: str,
    *,
    person: str | None,
    next_path: str,
) -> tuple[aiohttp.ClientResponse, str]:
    """The trip from the app's form on ``form_page`` (posting to ``start_path``) to the
    provider and back to ``callback_path``, as a browser makes it."""
    form = await (await client.get(form_page)).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    started = await client.post(
        start_path,
        data={"csrf_token": token.group(1), "next": next_path},
        allow_redirects=False,
    )
    assert started.status == 303, await started.text()
    location = started.headers["Location"]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        for _ in range(10):
            if urlsplit(location).path == callback_path:
                break
            answer = await browser.get(location, allow_redirects=False)
            if answer.status == 200 and "/interaction/" in location:
                action = "login" if person else "cancel"
                uid = urlsplit(location).path.rsplit("/", 1)[-1]
                answer = await _finish(browser, location, uid, action, person)
            assert answer.status in (302, 303), (answer.status, await answer.text())
            location = str(answer.url.join(aiohttp.client.URL(answer.headers["Location"])))
        else:
            raise AssertionError("never came back from the provider")
    query = urlsplit(location).query
    return await client.get(f"{callback_path}?{query}", allow_redirects=False), query


async def _finish(
    browser: aiohttp.ClientSession, page: str, uid: str, action: str, person: str | None
) -> aiohttp.ClientResponse:
    base = page.split("/interaction/")[0]
    if action == "login":
        return await browser.get(
            f"{base}/interaction/{uid}/login", params={"person": person}, allow_redirects=False
        )
    return await browser.post(f"{base}/interaction/{uid}/cancel", allow_redirects=False)


@contextlib.asynccontextmanager
async def stopped(provider: OpenIdProvider) -> AsyncIterator[None]:
    """The provider down for a while, as a provider's outage looks."""
    await provider.stop()
    try:
        yield
    finally:
        await provider.start()


@contextlib.asynccontextmanager
async def identification_on(
    tmp_path: Path, base_url: str, people: dict[str, dict[str, str]] | None = None
) -> AsyncIterator[tuple[dict[str, str], OpenIdProvider]]:
    """Keys, a running provider registered for ``base_url``, and the settings that turn
    identification on (to pass to ``make_settings``)."""
    keys_path = tmp_path / "identity-keys.json"
    keys = rotate(keys_path)
    clients = [
        client_metadata("kohtaamo-ftn", base_url, keys),
        client_metadata("kohtaamo-se", base_url, keys),
    ]
    people = people or {"aino": FINNISH_PERSON, "tolvan": SWEDISH_PERSON}
    acr_values = [FTN_SUBSTANTIAL, FTN_HIGH, SE_LOA3, SE_LOA4, WEAK]
    async with OpenIdProvider(clients=clients, people=people, acr_values=acr_values) as provider:
        settings = {
            "identity_providers": str(providers_file(tmp_path / "providers.yaml", provider.issuer)),
            "identity_keys": str(keys_path),
            "base_url": base_url,
        }
        yield settings, provider


@contextlib.contextmanager
def running_for_the_session(base_url: str, directory: Path) -> Iterator[dict[str, str]]:
    """One provider for many tests (a plain subprocess, started outside any event loop),
    registered for ``base_url`` with the test people, as ``identification_on`` sets it up;
    yields the settings that turn identification on."""
    node = node_or_skip()
    install_once()
    keys_path = directory / "identity-keys.json"
    keys = rotate(keys_path)
    clients = [
        client_metadata("kohtaamo-ftn", base_url, keys),
        client_metadata("kohtaamo-se", base_url, keys),
    ]
    people = {"aino": FINNISH_PERSON, "erkki": OTHER_FINNISH_PERSON, "tolvan": SWEDISH_PERSON}
    acr_values = [FTN_SUBSTANTIAL, FTN_HIGH, SE_LOA3, SE_LOA4, WEAK]
    provider = OpenIdProvider(clients=clients, people=people, acr_values=acr_values)
    config = directory / "provider.json"
    config.write_text(json.dumps(provider._config))
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(config)],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline() if ready else b""
        if not line.startswith(b"ready"):
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")
        yield {
            "identity_providers": str(
                providers_file(directory / "providers.yaml", provider.issuer)
            ),
            "identity_keys": str(keys_path),
            "base_url": base_url,
        }
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        provider._directory.cleanup()
