"""Encrypted files at rest (attachments, shared documents): one folder of the file store
(``KOHTAAMO_FILE_STORE``) per kind, each file encrypted under the data keys and rotated by
``server.py reencrypt``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from core.crypto import DataCipher


class FileCipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...
    def decrypt(self, token: bytes) -> bytes: ...
    def is_current(self, token: bytes) -> bool: ...
    def rotate(self, token: bytes) -> bytes: ...


class PurposeCipher:
    """The data keys for one purpose, on bytes (a file's contents)."""

    def __init__(self, data_cipher: DataCipher, purpose: str) -> None:
        self._data = data_cipher
        self._purpose = purpose

    def encrypt(self, data: bytes) -> bytes:
        return self._data.encrypt(self._purpose, data).encode("ascii")

    def decrypt(self, token: bytes) -> bytes:
        return self._data.decrypt(self._purpose, token.decode("ascii"))

    def is_current(self, token: bytes) -> bool:
        return self._data.is_current(token.decode("ascii"))

    def rotate(self, token: bytes) -> bytes:
        return token if self.is_current(token) else self.encrypt(self.decrypt(token))


class EncryptedFiles:
    """Encrypted files under one folder of the file store, named by a random id, never by what
    was uploaded."""

    def __init__(self, root: Path, cipher: FileCipher) -> None:
        self._root = root
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
