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


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt_text(self.purpose, value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).decrypt_text(self.purpose, value)


class EncryptedJSON(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return cipher_of(dialect).encrypt_text(self.purpose, plain)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(cipher_of(dialect).decrypt_text(self.purpose, value))


class EncryptedBytes(TypeDecorator[bytes]):
    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(self.purpose, value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return cipher_of(dialect).decrypt(self.purpose, value)
