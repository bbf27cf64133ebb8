"""Keyed hashes of a person's email, phone and identity code: equality look-ups of encrypted data.

An encrypted column cannot be searched, so a row that must be found by who it is about keeps a
keyed hash (HMAC-SHA256) of the identifier beside the ciphertext. The hash key is random, made
once per database and stored in it encrypted under the data keys (``lookup_keys``): a copy of
the database alone cannot test guesses against the hashes, and rotating the data keys
(``server.py reencrypt``) re-encrypts the hash key without changing it, so no hash is recomputed.

Identifiers are normalised before hashing, so that "Anna@Example.org " finds "anna@example.org",
"040 123 4567" finds "+358401234567" and "811218-9876" finds "19811218-9876".
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date
from typing import Literal

import phonenumbers
from sqlalchemy import Integer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core import validators
from core.db import Base, Sessions
from core.encrypted_columns import EncryptedBytes

Country = Literal["fi", "se"]
KEY_BYTES = 32
THE_KEY = 1


class LookupKey(Base):
    __tablename__ = "lookup_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[bytes] = mapped_column(EncryptedBytes("lookup"))


class PersonHasher:
    """Keyed hashes of identifiers; ``None`` for a missing one, so it never matches another."""

    def __init__(self, key: bytes, country: Country = "fi") -> None:
        self._key = key
        self._country = country

    def email(self, value: str | None) -> str | None:
        value = (value or "").strip().lower()
        return self._hash("email", value) if value else None

    def phone(self, value: str | None) -> str | None:
        value = (value or "").strip()
        return self._hash("phone", self.normal_phone(value)) if value else None

    def identity_code(self, value: str | None) -> str | None:
        value = (value or "").strip().upper()
        return self._hash("identity", self.normal_identity_code(value)) if value else None

    def contact(self, channel: str, value: str | None) -> str | None:
        """The hash of a message's recipient, by the channel it goes through."""
        return self.phone(value) if channel == "sms" else self.email(value)

    def normal_phone(self, value: str) -> str:
        try:
            parsed = phonenumbers.parse(value, self._country.upper())
        except phonenumbers.NumberParseException:
            return "".join(c for c in value if c.isdigit() or c == "+")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def normal_identity_code(self, value: str) -> str:
        today = date.today()
        for country in (self._country, "se" if self._country == "fi" else "fi"):
            try:
                return validators.identity_number(value, country, today).value
            except validators.InvalidValue:
                continue
        return "".join(value.split())

    def _hash(self, kind: str, value: str) -> str:
        message = kind.encode() + b"\0" + value.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


async def load_person_hasher(sessions: Sessions, country: Country = "fi") -> PersonHasher:
    """This database's hasher; the first start (or the migration that needed it) makes the key."""
    async with sessions() as session:
        row = await session.get(LookupKey, THE_KEY)
    if row is None:
        try:
            async with sessions.begin() as session:
                session.add(LookupKey(id=THE_KEY, key=os.urandom(KEY_BYTES)))
        except IntegrityError:
            pass  # another instance made it first: use theirs
        async with sessions() as session:
            row = await session.get(LookupKey, THE_KEY)
    assert row is not None
    return PersonHasher(row.key, country)
