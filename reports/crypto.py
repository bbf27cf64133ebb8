"""Encryption at rest of concern reports: free text, identity numbers and attachment files.

Reports use the shared facility (core/crypto.py, purpose ``report``): AES-256-GCM under the
data keys, rotated by ``server.py reencrypt``. Reports written before that, under their own
Fernet keys, still read while ``KOHTAAMO_REPORT_KEYS`` holds those keys; the rotation moves them
to the data keys, after which that setting can go.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.crypto import FORMAT, DataCipher, UnreadableData
from core.files import EncryptedFiles

__all__ = ["AttachmentStore", "ReportCipher", "UnreadableData"]

PURPOSE = "report"
CURRENT_PREFIX = FORMAT.encode() + b"."


class ReportCipher:
    def __init__(self, data_cipher: DataCipher, legacy_keys: Sequence[str] = ()) -> None:
        self._data = data_cipher
        self._legacy = MultiFernet([Fernet(key) for key in legacy_keys]) if legacy_keys else None

    def encrypt(self, data: bytes) -> bytes:
        return self._data.encrypt(PURPOSE, data).encode("ascii")

    def decrypt(self, token: bytes) -> bytes:
        if token.startswith(CURRENT_PREFIX):
            return self._data.decrypt(PURPOSE, token.decode("ascii"))
        if self._legacy is None:
            raise UnreadableData("a report value under a Fernet key: set KOHTAAMO_REPORT_KEYS")
        try:
            return self._legacy.decrypt(token)
        except InvalidToken:
            raise UnreadableData("a report value does not open with KOHTAAMO_REPORT_KEYS") from None

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode("utf-8")

    def is_current(self, token: bytes) -> bool:
        return token.startswith(CURRENT_PREFIX) and self._data.is_current(token.decode("ascii"))

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext under the newest data key; a token already there is kept."""
        return token if self.is_current(token) else self.encrypt(self.decrypt(token))


class AttachmentStore(EncryptedFiles):
    """Reports' attachment files, under the file store's ``concern-reports`` folder."""

    def __init__(self, root: Path, cipher: ReportCipher) -> None:
        super().__init__(root / "concern-reports", cipher)
