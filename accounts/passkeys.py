"""Passkeys (WebAuthn) as a staff member's second factor, through py_webauthn.

Registered from one's own second-factor page while logged in; used after the password instead of
an authenticator code. Each ceremony's challenge is kept server-side (one per user and purpose)
and used once; the relying party is the host of ``KOHTAAMO_BASE_URL`` and the origin its
scheme and host. The sign counter is checked and kept, so a cloned authenticator shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import StaffPasskey, WebAuthnChallenge
from accounts.second_factor import SecondFactorListener
from core.db import Sessions, utcnow
from core.errors import ValidationFailed
from core.i18n import N_

CHALLENGE_LIFETIME = timedelta(minutes=5)
NOT_ACCEPTED = N_("The passkey was not accepted. Try again, or use a code.")


class Passkeys:
    def __init__(
        self,
        sessions: Sessions,
        base_url: str,
        listener: SecondFactorListener | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        parts = urlsplit(base_url)
        self._rp_id = parts.hostname or "localhost"
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._listener = listener
        self._clock = clock

    async def has_any(self, user_id: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(StaffPasskey.id).where(StaffPasskey.user_id == user_id).limit(1)
            )
        return found is not None

    async def registration_options(self, user_id: str, email: str, name: str) -> str:
        async with self._sessions() as session:
            existing = (
                await session.scalars(
                    select(StaffPasskey.credential_id).where(StaffPasskey.user_id == user_id)
                )
            ).all()
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name="Kohtaamo",
            user_id=user_id.encode(),
            user_name=email,
            user_display_name=name,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential))
                for credential in existing
            ],
        )
        await self._keep_challenge("register", user_id, options.challenge)
        return options_to_json(options)

    async def register(self, user_id: str, credential: dict[str, Any]) -> None:
        challenge = await self._take_challenge("register", user_id)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            raise ValidationFailed({"credential": NOT_ACCEPTED}) from None
        async with self._sessions.begin() as session:
            session.add(
                StaffPasskey(
                    user_id=user_id,
                    credential_id=bytes_to_base64url(verified.credential_id),
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    created_at=self._clock(),
                )
            )
            if self._listener is not None:
                self._listener.second_factor_changed(session, user_id, user_id, "passkey-added")

    async def authentication_options(self, user_id: str) -> str:
        async with self._sessions() as session:
            credentials = (
                await session.scalars(
                    select(StaffPasskey.credential_id).where(StaffPasskey.user_id == user_id)
                )
            ).all()
        options = generate_authentication_options(
            rp_id=self._rp_id,
            allow_credentials=[
                PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential))
                for credential in credentials
            ],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        await self._keep_challenge("login", user_id, options.challenge)
        return options_to_json(options)

    async def authenticate(self, user_id: str, credential: dict[str, Any]) -> bool:
        challenge = await self._take_challenge("login", user_id)
        credential_id = str(credential.get("id", ""))[:400]
        async with self._sessions.begin() as session:
            passkey = await session.scalar(
                select(StaffPasskey).where(
                    StaffPasskey.user_id == user_id, StaffPasskey.credential_id == credential_id
                )
            )
            if passkey is None:
                return False
            try:
                verified = verify_authentication_response(
                    credential=credential,
                    expected_challenge=challenge,
                    expected_rp_id=self._rp_id,
                    expected_origin=self._origin,
                    credential_public_key=passkey.public_key,
                    credential_current_sign_count=passkey.sign_count,
                )
            except (WebAuthnException, ValueError, KeyError, TypeError):
                return False
            passkey.sign_count, passkey.last_used_at = verified.new_sign_count, self._clock()
        return True

    async def _keep_challenge(self, purpose: str, user_id: str, challenge: bytes) -> None:
        key = f"{purpose}:{user_id}"
        async with self._sessions.begin() as session:
            await session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.id == key))
            session.add(WebAuthnChallenge(id=key, challenge=challenge, created_at=self._clock()))

    async def _take_challenge(self, purpose: str, user_id: str) -> bytes:
        """The outstanding challenge, used up now; refused if there is none or it is old."""
        key = f"{purpose}:{user_id}"
        async with self._sessions.begin() as session:
            row = await session.get(WebAuthnChallenge, key)
            if row is not None:
                await session.delete(row)
        if row is None or row.created_at < self._clock() - CHALLENGE_LIFETIME:
            raise ValidationFailed({"credential": NOT_ACCEPTED})
        return bytes(row.challenge)
