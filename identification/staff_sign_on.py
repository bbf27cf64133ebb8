"""Staff single sign-on: the trip to the municipality's own provider and the staff session
after it (identification/staff_providers.py says what is configured).

The same relying party as client identification, with the provider's plain profile: PKCE,
state and nonce, the ID token's signature, issuer, audience and times checked. What it gives is
a staff login (accounts/sign_on.py), not a client session: the role comes from the configured
claim, and a person without a mapped role is refused and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from accounts.service import AccountService, LoginResult
from accounts.sign_on import SignedOn
from core.db import Sessions, utcnow
from identification.attempts import Attempts
from identification.relying_party import IdentificationRefused, RelyingParty, Secrets
from identification.staff_providers import STAFF_PROVIDER_ID, StaffSignOn


class StaffSignOnService:
    def __init__(
        self,
        sessions: Sessions,
        party: RelyingParty,
        configuration: StaffSignOn,
        accounts: AccountService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._party = party
        self._configuration = configuration
        self._accounts = accounts
        self._attempts = Attempts(sessions, clock)

    async def begin(self, return_to: str, language: str) -> str:
        """Record an attempt; the address to send the staff member to."""
        attempt = Secrets.new()
        url = await self._party.authorization_url(attempt, language)
        async with self._sessions.begin() as session:
            await self._attempts.record(session, STAFF_PROVIDER_ID, attempt, return_to, language)
        return url

    async def finish(
        self, state: str, code: str | None, error: str | None
    ) -> tuple[LoginResult, str]:
        """The staff session the provider's answer opens, and where to go next."""
        taken = await self._attempts.take(state, error, lambda kind: kind == STAFF_PROVIDER_ID)
        if not code:
            raise IdentificationRefused("no code")
        claims, _id_token = await self._party.claims(code[:2000], taken.secrets)
        person = self._signed_on(claims)
        return await self._accounts.log_in_signed_on(person), taken.return_to

    def _signed_on(self, claims: dict[str, Any]) -> SignedOn:
        configuration = self._configuration
        role = configuration.role_of(claims)
        if role is None:
            raise IdentificationRefused("no role")
        email = claims.get(configuration.email_claim)
        if not isinstance(email, str) or "@" not in email or len(email) > 320:
            raise IdentificationRefused("no email")
        name = claims.get(configuration.name_claim)
        if not isinstance(name, str) or not name.strip():
            parts = (claims.get("given_name"), claims.get("family_name"))
            name = " ".join(part for part in parts if isinstance(part, str)) or email
        return SignedOn(
            subject=f"{configuration.provider.issuer} {claims['sub']}"[:400],
            email=email,
            name=" ".join(name.split())[:200],
            role=role,
            unit_name_en=configuration.unit_of(claims),
        )
