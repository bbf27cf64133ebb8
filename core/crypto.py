"""Encryption at rest of personal data: one facility for every package.

Keys come from ``KOHTAAMO_DATA_KEYS`` (32 random bytes each, url-safe base64, newest first).
Each stored value is AES-256-GCM under a key derived for its purpose (bookings, outbox,
assessments, meetings) from the newest key, and names that key by its id:
``k1.<key id>.<nonce + ciphertext, base64>``. The purpose is also the associated data, so a
value copied into another purpose's column does not decrypt. A value under an older key still
reads; ``server.py reencrypt`` moves everything to the newest, after which the older key can be
dropped. A value under a key that is not configured, a tampered value, or clear text where a
ciphertext belongs is an error, never read as something else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "k1"
NONCE_BYTES = 12
KEY_BYTES = 32


class UnreadableData(Exception):
    """A stored value that the configured keys cannot open."""


class DataKeyError(Exception):
    """The configured data keys do not fit this database (a key in use is missing)."""


def token_hash(token: str) -> str:
    """How a secret token (a session, a manage link, a feed address) is stored and looked up:
    its SHA-256. Each carries 256 random bits, so no salt or stretching is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def key_id(key: bytes) -> str:
    """A short, stable name for a key that reveals nothing of it."""
    return hashlib.sha256(b"kohtaamo data key id\0" + key).hexdigest()[:12]


def decode_key(text: str) -> bytes:
    """A key as configured: url-safe base64 of 32 bytes (a Fernet key has that shape too)."""
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("not url-safe base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{len(key)} bytes, not {KEY_BYTES}")
    return key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def development_keys(path: Path) -> tuple[str, ...]:
    """The key of a development machine, made on first use and kept in ``path`` (mode 0600), so
    that demo data stays readable from one start to the next. Production configures its own."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(new_key() + "\n")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        path.chmod(0o600)
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())


class DataCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one data key is needed")
        decoded = [decode_key(key) for key in keys]
        self._keys = {key_id(key): key for key in decoded}
        self.newest_key_id = key_id(decoded[0])

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def encrypt(self, purpose: str, plaintext: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead(self.newest_key_id, purpose).encrypt(nonce, plaintext, purpose.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT}.{self.newest_key_id}.{body}"

    def decrypt(self, purpose: str, token: str) -> bytes:
        kid = self.key_id_of(token)
        if kid not in self._keys:
            raise UnreadableData(f"encrypted with key {kid}, which is not configured")
        try:
            raw = base64.urlsafe_b64decode(token.split(".", 2)[2].encode("ascii"))
            return self._aead(kid, purpose).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()
            )
        except (InvalidTag, binascii.Error, ValueError):
            raise UnreadableData(f"a {purpose} value does not open with key {kid}") from None

    def encrypt_text(self, purpose: str, text: str) -> str:
        return self.encrypt(purpose, text.encode("utf-8"))

    def decrypt_text(self, purpose: str, token: str) -> str:
        return self.decrypt(purpose, token).decode("utf-8")

    def is_current(self, token: str) -> bool:
        return self.key_id_of(token) == self.newest_key_id

    @staticmethod
    def key_id_of(token: str) -> str:
        parts = token.split(".", 2)
        if len(parts) != 3 or parts[0] != FORMAT:
            raise UnreadableData("not an encrypted value")
        return parts[1]

    def _aead(self, kid: str, purpose: str) -> AESGCM:
        return _derived(self._keys[kid], purpose)


@cache
def _derived(key: bytes, purpose: str) -> AESGCM:
    # One key per purpose: a leaked purpose key opens nothing else.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"kohtaamo:" + purpose.encode()
    ).derive(key)
    return AESGCM(derived)
