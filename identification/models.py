"""Identification's tables: attempts under way and the identified client sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText


class IdentificationAttempt(Base):
    """One trip to a provider: what the callback must match. Used once, then only a record."""

    __tablename__ = "identification_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # A hash of ``state``: the callback finds its attempt by it; the state itself is not kept.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(EncryptedText("identity"))
    code_verifier: Mapped[str] = mapped_column(EncryptedText("identity"))
    return_to: Mapped[str] = mapped_column(String(400))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ClientSession(Base):
    """An identified client: separate from staff sessions, shorter, and revocable."""

    __tablename__ = "client_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[str] = mapped_column(String(40))
    identity_code: Mapped[str] = mapped_column(EncryptedText("identity"))
    # A keyed hash of the identity code (core/lookup.py): whose session this is, searchable.
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    given_name: Mapped[str] = mapped_column(EncryptedText("identity"))
    family_name: Mapped[str] = mapped_column(EncryptedText("identity"))
    acr: Mapped[str] = mapped_column(String(100))
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Kept for the provider's logout (``id_token_hint``).
    id_token: Mapped[str] = mapped_column(EncryptedText("identity"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
