"""Strong identification of clients: the trip to a provider and the identified session after it.

An attempt is stored before the person leaves for the provider (``begin``) and used at most once
when they come back (``finish``; identification/attempts.py). A successful identification opens a client session (its own cookie, apart from staff
sessions) that ends after ``KOHTAAMO_CLIENT_SESSION_IDLE_MINUTES`` without use and at most
``KOHTAAMO_CLIENT_SESSION_HOURS`` after it began. The identity code and names are encrypted at
rest; a keyed hash of the code lets later features find the person's own data.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, select

from core.crypto import token_hash
from core.db import Sessions, utcnow
from core.errors import NotFound
from core.lookup import PersonHasher
from identification.attempts import Attempts
from identification.models import ClientSession
from identification.providers import ASSURANCE_NAMES, Provider
from identification.relying_party import IdentificationRefused, RelyingParty, Secrets

TOUCH_EVERY = timedelta(minutes=1)


@dataclasses.dataclass(frozen=True, slots=True)
class ClientIdentity:
    session_id: str
    provider: Provider
    identity_code: str
    identity_hash: str
    given_name: str
    family_name: str
    acr: str
    authenticated_at: datetime

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def assurance(self) -> str:
        """ "substantial" or "high" (or the level as the provider named it)."""
        return ASSURANCE_NAMES.get(self.acr, self.acr)


@dataclasses.dataclass(frozen=True, slots=True)
class Finished:
    session_token: str
    identity: ClientIdentity
    return_to: str


class IdentificationService:
    def __init__(
        self,
        sessions: Sessions,
        parties: dict[str, RelyingParty],
        providers: Sequence[Provider],
        hasher: PersonHasher,
        *,
        idle: timedelta,
        longest: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._parties = parties
        self.providers = tuple(providers)
        self._by_id = {provider.id: provider for provider in providers}
        self._hasher = hasher
        self._idle = idle
        self._longest = longest
        self._clock = clock
        self._attempts = Attempts(sessions, clock)

    @property
    def enabled(self) -> bool:
        return bool(self.providers)

    async def begin(self, provider_id: str, return_to: str, language: str) -> str:
        """Record an attempt; the address to send the person to."""
        party = self._parties.get(provider_id)
        if party is None:
            raise NotFound()
        attempt = Secrets.new()
        url = await party.authorization_url(attempt, language)  # fails before anything is stored
        async with self._sessions.begin() as session:
            # Ended sessions go as new attempts come, as old attempts do.
            await session.execute(
                delete(ClientSession).where(ClientSession.expires_at < self._clock() - self._idle)
            )
            await self._attempts.record(session, provider_id, attempt, return_to, language)
        return url

    async def finish(self, state: str, code: str | None, error: str | None) -> Finished:
        taken = await self._attempts.take(state, error, lambda kind: kind in self._parties)
        party = self._parties[taken.provider_id]
        if not code:
            raise IdentificationRefused("no code")
        identity = await party.identity(code[:2000], taken.secrets)
        now = self._clock()
        token = secrets.token_urlsafe(32)
        row = ClientSession(
            token_hash=token_hash(token),
            provider_id=identity.provider_id,
            identity_code=identity.identity_code,
            identity_hash=self._hasher.identity_code(identity.identity_code) or "",
            given_name=identity.given_name,
            family_name=identity.family_name,
            acr=identity.acr,
            authenticated_at=identity.authenticated_at,
            id_token=identity.id_token,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._longest,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return Finished(token, self._identity(row), taken.return_to)

    async def identity(self, token: str | None) -> ClientIdentity | None:
        """The identified client of a session token, or None once it has ended or lapsed."""
        if not token or len(token) > 100:
            return None
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(ClientSession).where(ClientSession.token_hash == token_hash(token))
            )
            if row is None or row.ended_at is not None or row.provider_id not in self._by_id:
                return None
            if now >= row.expires_at or now - row.last_seen_at >= self._idle:
                row.ended_at = now
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return self._identity(row)

    async def end(self, token: str | None, after_logout: str) -> str | None:
        """End the session; the provider's logout address to send the person on to, if any."""
        if not token:
            return None
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(ClientSession).where(ClientSession.token_hash == token_hash(token))
            )
            if row is None or row.ended_at is not None:
                return None
            row.ended_at = self._clock()
            provider_id, id_token = row.provider_id, row.id_token
        party = self._parties.get(provider_id)
        if party is None:
            return None
        endpoint = await party.end_session_endpoint()
        if endpoint is None:
            return None
        query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": after_logout})
        return f"{endpoint}?{query}"

    def _identity(self, row: ClientSession) -> ClientIdentity:
        return ClientIdentity(
            session_id=row.id,
            provider=self._by_id[row.provider_id],
            identity_code=row.identity_code,
            identity_hash=row.identity_hash,
            given_name=row.given_name,
            family_name=row.family_name,
            acr=row.acr,
            authenticated_at=row.authenticated_at,
        )
