"""The relying party's two steps with one provider, by the Finnish Trust Network and Swedish
OIDC profiles: a signed authorization request, then the code turned into a checked identity.

1. ``authorization_url``: PKCE (S256), ``state`` and ``nonce`` go into a request object signed
   with our newest signing key, asking for the accepted assurance levels (``acr_values``) and
   the person's identity code and names (the ``claims`` parameter).
2. ``identity``: the code is exchanged with ``private_key_jwt`` client authentication; the ID
   token (and the userinfo answer) arrive encrypted to our key and signed by the provider: we
   open them, check the signature against the provider's published keys (``alg: none`` and
   symmetric algorithms are never accepted), then ``iss``, ``aud``/``azp``, ``exp``, ``iat``,
   ``nonce`` and that ``acr`` is one we asked for. Anything wrong is ``IdentificationRefused``
   with the reason, which the page names in the user's language; nothing is stored.

JOSE is joserfc's (no hand-made signatures or encryption).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from joserfc import jwe, jws, jwt
from joserfc.errors import JoseError
from joserfc.registry import HeaderParameter

from core.errors import DomainError
from core.i18n import N_
from identification.jwks import SIGNING_ALG, ServiceKeys
from identification.provider_client import ProviderClient, ProviderUnavailable


def _is_audience(value: Any) -> None:
    if not isinstance(value, str) and not (
        isinstance(value, list) and all(isinstance(item, str) for item in value)
    ):
        raise ValueError("aud must be a string or a list of strings")


# What a provider may sign with; "none" and the HMAC family are refused outright.
SIGNATURE_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
ENCRYPTION_ALGS = ["RSA-OAEP", "RSA-OAEP-256", "A128GCM", "A192GCM", "A256GCM"]
ENCRYPTION_ALGS += ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512"]
# Providers may replicate the issuer and audience into an encrypted token's header (RFC 7519
# 5.3, as oidc-provider does); every other unknown header parameter is still refused.
JWE_REGISTRY = jwe.JWERegistry(
    header_registry={
        "iss": HeaderParameter("Issuer, replicated from the claims", "str"),
        "aud": HeaderParameter("Audience, replicated from the claims", _is_audience),
    },
    algorithms=ENCRYPTION_ALGS,
)
LEEWAY_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 600
REQUEST_LIFETIME_SECONDS = 300


class IdentificationRefused(DomainError):
    status = 400
    title = N_("The identification could not be completed. Start again.")

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    provider_id: str
    subject: str
    identity_code: str
    given_name: str
    family_name: str
    acr: str
    authenticated_at: datetime
    id_token: str  # for the provider's logout (id_token_hint)
    session_id: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Secrets:
    """What one attempt keeps on our side until the provider sends the person back."""

    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def new(cls) -> Secrets:
        return cls(*(secrets.token_urlsafe(32) for _ in range(3)))


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class RelyingParty:
    def __init__(self, client: ProviderClient, keys: ServiceKeys, redirect_uri: str) -> None:
        self._client = client
        self._provider = client.provider
        self._keys = keys
        self._redirect_uri = redirect_uri

    async def authorization_url(self, attempt: Secrets, language: str) -> str:
        metadata = await self._client.metadata()
        provider = self._provider
        request: dict[str, Any] = {
            "client_id": provider.client_id,
            "response_type": "code",
            "redirect_uri": self._redirect_uri,
            "scope": provider.scope,
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": code_challenge(attempt.code_verifier),
            "code_challenge_method": "S256",
            "ui_locales": language,
        }
        if provider.acr_values:
            request["acr_values"] = " ".join(provider.acr_values)
        if not provider.signed_request:
            return f"{metadata.authorization_endpoint}?{urlencode(request)}"
        wanted = {
            claim: {"essential": True}
            for claim in (
                provider.identity_code_claim,
                provider.given_name_claim,
                provider.family_name_claim,
            )
        }
        now = int(time.time())
        signed = {
            "iss": provider.client_id,
            "aud": metadata.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + REQUEST_LIFETIME_SECONDS,
            "jti": secrets.token_urlsafe(16),
            **request,
            "claims": {"id_token": wanted, "userinfo": wanted},
        }
        query = {
            "client_id": provider.client_id,
            "response_type": "code",
            "scope": provider.scope,
            "request": self._sign(signed),
        }
        return f"{metadata.authorization_endpoint}?{urlencode(query)}"

    async def identity(self, code: str, attempt: Secrets) -> Identity:
        claims, raw_id_token = await self.claims(code, attempt)
        return self._identity(claims, raw_id_token)

    async def claims(self, code: str, attempt: Secrets) -> tuple[dict[str, Any], str]:
        """The code exchanged, the ID token (and userinfo) opened and checked: the person's
        claims, and the raw ID token for the provider's logout."""
        metadata = await self._client.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._redirect_uri,
            "code_verifier": attempt.code_verifier,
            "client_id": self._provider.client_id,
        }
        secret = self._provider.client_secret
        if secret is None:
            form |= {
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self._client_assertion(metadata.token_endpoint),
            }
        answer = await self._client.token(
            form, basic=(self._provider.client_id, secret) if secret is not None else None
        )
        raw_id_token = answer.get("id_token")
        if not isinstance(raw_id_token, str):
            raise IdentificationRefused("no ID token")
        claims = await self._open(raw_id_token, metadata.issuer)
        self._check_id_token(claims, attempt.nonce)
        access_token = answer.get("access_token")
        if isinstance(access_token, str):
            claims = {**await self._userinfo(access_token, metadata.issuer, claims), **claims}
        return claims, raw_id_token

    def _client_assertion(self, token_endpoint: str) -> str:
        now = int(time.time())
        return self._sign(
            {
                "iss": self._provider.client_id,
                "sub": self._provider.client_id,
                "aud": token_endpoint,
                "jti": secrets.token_urlsafe(16),
                "iat": now,
                "exp": now + 60,
            }
        )

    async def end_session_endpoint(self) -> str | None:
        try:
            return (await self._client.metadata()).end_session_endpoint
        except ProviderUnavailable:
            return None  # the local session has ended; the provider's will lapse on its own

    # ---- checks ----------------------------------------------------------------------------

    async def _open(self, token: str, issuer: str) -> dict[str, Any]:
        """An encrypted-then-signed token opened and its signature checked."""
        signed = token
        if token.count(".") == 4:
            try:
                opened = jwe.decrypt_compact(token, self._keys.all, registry=JWE_REGISTRY)
            except (JoseError, ValueError):
                raise IdentificationRefused("not encrypted to our key") from None
            signed = (opened.plaintext or b"").decode("utf-8", "replace")
        elif self._provider.profile == "ftn":
            raise IdentificationRefused("not encrypted")  # the FTN profile encrypts every token
        try:
            header = jws.extract_compact(signed.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeEncodeError):
            raise IdentificationRefused("not a signed token") from None
        if header.get("alg") not in SIGNATURE_ALGS:
            raise IdentificationRefused(f"signature algorithm {header.get('alg')!r}")
        keys = await self._client.keys_for(header.get("kid"))
        try:
            decoded = jwt.decode(signed, keys, algorithms=SIGNATURE_ALGS)
        except (JoseError, ValueError):
            raise IdentificationRefused("signature not by the provider's keys") from None
        claims = dict(decoded.claims)
        if claims.get("iss") != issuer:
            raise IdentificationRefused("issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._provider.client_id not in audiences:
            raise IdentificationRefused("audience")
        if len(audiences) > 1 and claims.get("azp") != self._provider.client_id:
            raise IdentificationRefused("authorized party")
        return claims

    def _check_id_token(self, claims: dict[str, Any], nonce: str) -> None:
        now = time.time()
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int | float) or expires < now - LEEWAY_SECONDS:
            raise IdentificationRefused("expired")
        if not isinstance(issued, int | float) or not (
            now - MAX_TOKEN_AGE_SECONDS <= issued <= now + LEEWAY_SECONDS
        ):
            raise IdentificationRefused("issued at")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
            claims["nonce"], nonce
        ):
            raise IdentificationRefused("nonce")
        if not self._provider.accepts(claims.get("acr")):
            raise IdentificationRefused("assurance level")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise IdentificationRefused("subject")

    async def _userinfo(
        self, access_token: str, issuer: str, id_claims: dict[str, Any]
    ) -> dict[str, Any]:
        body = (await self._client.userinfo(access_token)).strip()
        if not body:
            return {}
        if body.startswith("{"):
            if self._provider.profile == "ftn":
                raise IdentificationRefused("userinfo not encrypted")
            try:
                claims = json.loads(body)
            except ValueError:
                raise IdentificationRefused("userinfo") from None
        else:
            claims = await self._open(body, issuer)
        if not isinstance(claims, dict) or claims.get("sub") != id_claims["sub"]:
            raise IdentificationRefused("userinfo subject")
        return claims

    def _identity(self, claims: dict[str, Any], id_token: str) -> Identity:
        provider = self._provider
        code = claims.get(provider.identity_code_claim)
        if not isinstance(code, str) or not code.strip():
            raise IdentificationRefused("no identity code")
        auth_time = claims.get("auth_time") or claims.get("iat") or time.time()
        return Identity(
            provider_id=provider.id,
            subject=str(claims["sub"]),
            identity_code=code.strip(),
            given_name=str(claims.get(provider.given_name_claim) or ""),
            family_name=str(claims.get(provider.family_name_claim) or ""),
            acr=str(claims["acr"]),
            authenticated_at=datetime.fromtimestamp(float(auth_time), UTC),
            id_token=id_token,
            session_id=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        )

    def _sign(self, claims: dict[str, Any]) -> str:
        key = self._keys.signing
        return jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": "JWT"}, claims, key)
