"""Staff's second factor: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

A correct password of a staff member with a factor (or of anyone, once the factor is required:
``KOHTAAMO_STAFF_SECOND_FACTOR``) opens no session yet: it leaves a pending login, server-side
and good for ``PENDING_LIFETIME``, that a code then completes. A code is accepted for the
current 30-second step or the one either side, and only once (the step is remembered), so a code
seen over someone's shoulder cannot be used again. The secret is encrypted at rest; recovery
codes (80 random bits each) are kept only as hashes. Every change is told to the listener (the access log).
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

import pyotp
import segno
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import PendingLogin, RecoveryCode, StaffPasskey, StaffTotp
from core.crypto import token_hash
from core.db import Sessions, utcnow

ISSUER = "Kohtaamo"
PENDING_LIFETIME = timedelta(minutes=5)
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30


class SecondFactorListener(Protocol):
    def second_factor_changed(
        self, session: AsyncSession, actor_id: str | None, user_id: str, change: str
    ) -> None:
        """Record ``change`` ("enrolled", "reset", "recovery-code-used", "code-refused") of
        ``user_id``'s factors, done by ``actor_id`` (None: the user at login), in ``session``."""


@dataclasses.dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg_data_uri: str


def normal_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


class SecondFactors:
    def __init__(
        self,
        sessions: Sessions,
        listener: SecondFactorListener | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._listener = listener
        self._clock = clock

    async def has_factor(self, user_id: str) -> bool:
        """An authenticator that is on, or a passkey (accounts/passkeys.py)."""
        async with self._sessions() as session:
            row = await session.get(StaffTotp, user_id)
            if row is not None and row.confirmed_at is not None:
                return True
            passkey = await session.scalar(
                select(StaffPasskey.id).where(StaffPasskey.user_id == user_id).limit(1)
            )
            return passkey is not None

    # ---- enrolment --------------------------------------------------------------------------

    async def start(self, user_id: str, email: str) -> Enrolment:
        """A new secret, not yet on: it replaces an unconfirmed one, never a confirmed one."""
        secret = pyotp.random_base32()
        async with self._sessions.begin() as session:
            row = await session.get(StaffTotp, user_id)
            if row is not None and row.confirmed_at is not None:
                raise ValueError("a confirmed factor is reset by an admin, not replaced")
            if row is None:
                session.add(StaffTotp(user_id=user_id, secret=secret, created_at=self._clock()))
            else:
                row.secret, row.created_at, row.last_step = secret, self._clock(), 0
        return self._enrolment(secret, email)

    async def enrolment(self, user_id: str, email: str) -> Enrolment:
        """The authenticator being set up: the one started before, or a new one."""
        return await self.unconfirmed(user_id, email) or await self.start(user_id, email)

    async def unconfirmed(self, user_id: str, email: str) -> Enrolment | None:
        async with self._sessions() as session:
            row = await session.get(StaffTotp, user_id)
        if row is None or row.confirmed_at is not None:
            return None
        return self._enrolment(row.secret, email)

    async def confirm(self, user_id: str, code: str) -> list[str] | None:
        """Switch the factor on with a current code; the recovery codes, shown once. None: the
        code was wrong."""
        async with self._sessions.begin() as session:
            row = await session.get(StaffTotp, user_id, with_for_update=True)
            if row is None or row.confirmed_at is not None:
                return None
            step = self._matching_step(row, code)
            if step is None:
                return None
            row.confirmed_at, row.last_step = self._clock(), step
            codes = await self._new_recovery_codes(session, user_id)
            self._tell(session, user_id, user_id, "enrolled")
        return codes

    async def new_recovery_codes(self, user_id: str) -> list[str]:
        async with self._sessions.begin() as session:
            codes = await self._new_recovery_codes(session, user_id)
            self._tell(session, user_id, user_id, "recovery-codes-renewed")
        return codes

    async def reset(self, actor_id: str, user_id: str) -> None:
        """Remove the user's authenticator, codes and passkeys (an admin's help for a lost
        phone)."""
        async with self._sessions.begin() as session:
            await session.execute(delete(StaffTotp).where(StaffTotp.user_id == user_id))
            await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            await session.execute(delete(StaffPasskey).where(StaffPasskey.user_id == user_id))
            self._tell(session, actor_id, user_id, "reset")

    # ---- login --------------------------------------------------------------------------------

    async def pend(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PendingLogin).where(
                    PendingLogin.created_at < self._clock() - PENDING_LIFETIME
                )
            )
            session.add(
                PendingLogin(
                    token_hash=token_hash(token), user_id=user_id, created_at=self._clock()
                )
            )
        return token

    async def pending_user(self, token: str | None) -> str | None:
        if not token or len(token) > 100:
            return None
        async with self._sessions() as session:
            row = await session.get(PendingLogin, token_hash(token))
        if row is None or row.created_at < self._clock() - PENDING_LIFETIME:
            return None
        return row.user_id

    async def finish_pending(self, token: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PendingLogin).where(PendingLogin.token_hash == token_hash(token))
            )

    async def check(self, user_id: str, code: str) -> bool:
        """A current authenticator code (once) or an unused recovery code (used up now)."""
        code = normal_code(code)
        async with self._sessions.begin() as session:
            row = await session.get(StaffTotp, user_id, with_for_update=True)
            if row is not None and row.confirmed_at is not None and code.isdigit():
                step = self._matching_step(row, code)
                if step is not None:
                    row.last_step = step
                    return True
            used = await session.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user_id,
                    RecoveryCode.code_hash == token_hash(code),
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=self._clock())
            )
            if used.rowcount == 1:  # type: ignore[attr-defined]
                self._tell(session, None, user_id, "recovery-code-used")
                return True
            self._tell(session, None, user_id, "code-refused")
        return False

    # ---- parts --------------------------------------------------------------------------------

    def _matching_step(self, row: StaffTotp, code: str) -> int | None:
        code = normal_code(code)
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(row.secret, interval=STEP_SECONDS)
        now = self._clock().timestamp()
        current = int(now // STEP_SECONDS)
        for step in (current - 1, current, current + 1):
            if step > row.last_step and secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
                return step
        return None

    async def _new_recovery_codes(self, session: AsyncSession, user_id: str) -> list[str]:
        await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        # 80 random bits each (16 base32 letters): a stolen database cannot guess them back.
        codes = [
            base64.b32encode(secrets.token_bytes(10)).decode().lower()
            for _ in range(RECOVERY_CODE_COUNT)
        ]
        session.add_all(RecoveryCode(user_id=user_id, code_hash=token_hash(code)) for code in codes)
        return ["-".join(code[i : i + 4] for i in range(0, 16, 4)) for code in codes]

    @staticmethod
    def _enrolment(secret: str, email: str) -> Enrolment:
        uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
            name=email, issuer_name=ISSUER
        )
        qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
        return Enrolment(secret=secret, uri=uri, qr_svg_data_uri=qr)

    def _tell(self, session: AsyncSession, actor_id: str | None, user_id: str, change: str) -> None:
        if self._listener is not None:
            self._listener.second_factor_changed(session, actor_id, user_id, change)
