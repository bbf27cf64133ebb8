"""Talking to one OpenID provider: its discovery document, its keys, its token and userinfo
endpoints. Every call is bounded in time; a provider that does not answer (or answers nonsense)
is ``ProviderUnavailable``, which the client sees as "try again later", never as a crash.

The provider's keys are cached; a token signed with a key id not in the cache makes one fresh
fetch, so a provider's key rotation is picked up without a restart. Tokens come only from the
provider's token endpoint that we call ourselves, so nobody else can make us fetch, and each
token makes at most one fetch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from joserfc.jwk import KeySet

from core.errors import DomainError
from core.i18n import N_
from identification.providers import Provider

TIMEOUT_SECONDS = 10
METADATA_TTL = 3600.0


class ProviderUnavailable(DomainError):
    status = 503
    title = N_("The identification service did not answer. Try again in a moment.")


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None


class ProviderClient:
    def __init__(
        self, provider: Provider, http: aiohttp.ClientSession, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.provider = provider
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is not None and time.monotonic() - self._metadata[0] < METADATA_TTL:
            return self._metadata[1]
        document = await self._get_json(f"{self.provider.issuer}/.well-known/openid-configuration")
        try:
            metadata = ProviderMetadata(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                userinfo_endpoint=document.get("userinfo_endpoint"),
                end_session_endpoint=document.get("end_session_endpoint"),
            )
        except (KeyError, TypeError):
            raise ProviderUnavailable("the discovery document lacks an endpoint") from None
        if metadata.issuer.rstrip("/") != self.provider.issuer:
            # OpenID Connect Discovery 4.3: the document must name the issuer it was asked for.
            raise ProviderUnavailable("the discovery document names another issuer")
        self._metadata = (time.monotonic(), metadata)
        return metadata

    async def keys_for(self, kid: str | None) -> KeySet:
        """The provider's signing keys, fetched again once if ``kid`` is not among them."""
        async with self._lock:
            known = self._keys is not None and (
                kid is None or any(key.kid == kid for key in self._keys.keys)
            )
            if not known:
                document = await self._get_json((await self.metadata()).jwks_uri)
                try:
                    self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (ValueError, TypeError, KeyError):
                    raise ProviderUnavailable("the provider's keys could not be read") from None
            assert self._keys is not None
            return self._keys

    async def token(
        self, form: dict[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """The token endpoint's answer; ``basic`` is a client id and secret for
        client_secret_basic (otherwise the form carries a signed client assertion)."""
        endpoint = (await self.metadata()).token_endpoint
        # RFC 6749 2.3.1: id and secret are form-encoded before they go into the header.
        headers = {}
        if basic is not None:
            client_id, secret = basic
            headers["Authorization"] = aiohttp.encode_basic_auth(
                quote_plus(client_id), quote_plus(secret)
            )
        try:
            async with self._http.post(
                endpoint, data=form, headers=headers, timeout=self._timeout
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise ProviderUnavailable("the token endpoint did not answer") from None
        if status != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise TokenRefused(str(error or status))
        return body

    async def userinfo(self, access_token: str) -> str:
        endpoint = (await self.metadata()).userinfo_endpoint
        if endpoint is None:
            return ""
        headers = {"Authorization": f"Bearer {access_token}"}
        try:
            async with self._http.get(endpoint, headers=headers, timeout=self._timeout) as response:
                if response.status != 200:
                    raise ProviderUnavailable("the userinfo endpoint refused")
                return await response.text()
        except (aiohttp.ClientError, TimeoutError):
            raise ProviderUnavailable("the userinfo endpoint did not answer") from None

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http.get(url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise ProviderUnavailable(f"{response.status} from the provider")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise ProviderUnavailable("the provider did not answer") from None
        if not isinstance(body, dict):
            raise ProviderUnavailable("the provider answered something else than JSON")
        return body


class TokenRefused(DomainError):
    """The token endpoint refused the code (used already, expired, or not ours)."""

    status = 400
    title = N_("The identification could not be completed. Start again.")
