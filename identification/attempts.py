"""Trips to a provider under way: what the way back must match, each used at most once.

An attempt is stored before the browser leaves for the provider and taken when it comes back:
a replayed or forged callback finds no unused attempt and is refused. Only a hash of ``state``
is kept; the nonce and PKCE verifier are encrypted. Client identification and staff sign-on
share this, each taking back only its own kind of attempt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import token_hash
from core.db import Sessions, utcnow
from identification.models import IdentificationAttempt
from identification.relying_party import IdentificationRefused, Secrets

ATTEMPT_LIFETIME = timedelta(minutes=10)


@dataclasses.dataclass(frozen=True, slots=True)
class TakenAttempt:
    provider_id: str
    secrets: Secrets
    return_to: str


class Attempts:
    def __init__(self, sessions: Sessions, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(
        self,
        session: AsyncSession,
        provider_id: str,
        attempt: Secrets,
        return_to: str,
        language: str,
    ) -> None:
        now = self._clock()
        # What can no longer be used goes as new attempts come.
        await session.execute(
            delete(IdentificationAttempt).where(
                IdentificationAttempt.created_at < now - ATTEMPT_LIFETIME * 6
            )
        )
        session.add(
            IdentificationAttempt(
                state_hash=token_hash(attempt.state),
                provider_id=provider_id,
                nonce=attempt.nonce,
                code_verifier=attempt.code_verifier,
                return_to=return_to,
                language=language,
                created_at=now,
            )
        )

    async def take(
        self, state: str, error: str | None, belongs: Callable[[str], bool]
    ) -> TakenAttempt:
        """The attempt ``state`` names, marked used; refused if unknown, used, too old, not
        of this kind (``belongs`` judges its provider id), or answered with an error."""
        now = self._clock()
        async with self._sessions.begin() as session:
            attempt = await session.scalar(
                select(IdentificationAttempt).where(
                    IdentificationAttempt.state_hash == token_hash(state[:200])
                )
            )
            if attempt is None or not belongs(attempt.provider_id):
                raise IdentificationRefused("state")
            used = await session.execute(
                update(IdentificationAttempt)
                .where(
                    IdentificationAttempt.id == attempt.id,
                    IdentificationAttempt.used_at.is_(None),
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise IdentificationRefused("used already")
            taken = TakenAttempt(
                attempt.provider_id,
                Secrets(state, attempt.nonce, attempt.code_verifier),
                attempt.return_to,
            )
            created_at = attempt.created_at
        if now - created_at > ATTEMPT_LIFETIME:
            raise IdentificationRefused("too late")
        if error is not None:
            raise IdentificationRefused("cancelled" if error == "access_denied" else "provider")
        return taken
