"""Column types that encrypt on the way in and decrypt on the way out (core/crypto.py).

A model declares ``client_name: Mapped[str] = mapped_column(EncryptedText("booking"))`` and its
code reads and writes plain values. The cipher is the engine's own (``create_engine`` puts it on
the engine's dialect), so two apps in one process keep their own keys. Encrypted columns cannot
be searched or sorted by the database: keep what queries need (times, ids, statuses) in clear
columns beside them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

from core.crypto import DataCipher

CIPHER_ATTRIBUTE = "kohtaamo_data_cipher"


def cipher_of(dialect: Dialect) -> DataCipher:
    cipher: DataCipher | None = getattr(dialect, CIPHER_ATTRIBUTE, None)
    if cipher is None:
        raise RuntimeError("this engine was made without data keys: pass them to create_engine")
    return cipher


def attach_cipher(dialect: Dialect, cipher: DataCipher) -> None:
    setattr(dialect, CIPHER_ATTRIBUTE, cipher)


class _Encrypted(TypeDecorator[Any]):
    """Text holding the ciphertext of a value; subclasses say how a value becomes bytes."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def to_plain(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_plain(self, plain: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(self.purpose, self.to_plain(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.from_plain(cipher_of(dialect).decrypt(self.purpose, value))


class EncryptedText(_Encrypted):
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def to_plain(self, value: str) -> bytes:
        return value.encode("utf-8")

    def from_plain(self, plain: bytes) -> str:
        return plain.decode("utf-8")


class EncryptedJSON(_Encrypted):
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def to_plain(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def from_plain(self, plain: bytes) -> Any:
        return json.loads(plain)


class EncryptedBytes(_Encrypted):
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def to_plain(self, value: bytes) -> bytes:
        return value

    def from_plain(self, plain: bytes) -> bytes:
        return plain
