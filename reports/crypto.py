"""Encryption at rest of concern reports: free text, identity numbers and attachment files.

Keys come from ``KOHTAAMO_REPORT_KEYS``, newest first. ``MultiFernet`` encrypts with the newest
and decrypts with any, so a new key is put in front, ``rotate`` re-encrypts every stored value
(``server.py`` command ``reencrypt-reports``), and then the old key can be dropped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["AttachmentStore", "InvalidToken", "ReportCipher"]


class ReportCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode("utf-8")

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext encrypted with the newest key (a new token even if it already was)."""
        return self._fernet.rotate(token)


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

    def rotate(self, blob_id: str) -> None:
        path = self.path(blob_id)
        self._write_raw(path, self._cipher.rotate(path.read_bytes()))

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
