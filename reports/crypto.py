"""Encryption at rest of concern reports: free text, identity numbers and attachment files.

Reports use the shared facility (core/crypto.py, purpose ``report``): AES-256-GCM under the
data keys, rotated by ``server.py reencrypt``. Reports written before that, under their own
Fernet keys, still read while ``KOHTAAMO_REPORT_KEYS`` holds those keys; the rotation moves them
to the data keys, after which that setting can go.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.crypto import FORMAT, DataCipher, UnreadableData

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


class AttachmentStore:
    """Encrypted files under the file store, named by a random id, never by what was uploaded."""

    def __init__(self, root: Path, cipher: ReportCipher) -> None:
        self._root = root / "concern-reports"
        self._cipher = cipher

    def path(self, blob_id: str) -> Path:
        if not blob_id or not all(c.isalnum() or c == "-" for c in blob_id):
            raise ValueError("not a blob id")
        return self._root / blob_id[:2] / blob_id

    def write(self, blob_id: str, data: bytes) -> None:
        """Encrypt and store; written to a temporary file first so a crash leaves no half file."""
        self._write_raw(self.path(blob_id), self._cipher.encrypt(data))

    def read(self, blob_id: str) -> bytes:
        return self._cipher.decrypt(self.path(blob_id).read_bytes())

    def delete(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def rotate(self, blob_id: str) -> bool:
        """Move a file to the newest data key; False if it already was."""
        path = self.path(blob_id)
        token = path.read_bytes()
        if self._cipher.is_current(token):
            return False
        self._write_raw(path, self._cipher.rotate(token))
        return True

    def modified_at(self, blob_id: str) -> float:
        return self.path(blob_id).stat().st_mtime

    def blob_ids(self) -> Iterator[str]:
        if self._root.exists():
            for path in self._root.glob("*/*"):
                if not path.name.startswith("."):
                    yield path.name

    @staticmethod
    def _write_raw(path: Path, token: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(token)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
