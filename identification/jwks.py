"""The service's own keys as an OpenID relying party: one to sign, one to open encrypted tokens.

They live in a private JWKS file (``KOHTAAMO_IDENTITY_KEYS``, mode 0600) that ``server.py keys``
makes and rotates. A rotation puts a new pair in front and keeps the previous ones (at most
``KEPT_PER_USE`` of each use): a provider that cached the old public keys can still check our
signatures and still encrypt to the old key until it fetches again. The newest signing key
signs; every encryption key stays able to open what was sent to it. The public half is served
at ``/.well-known/jwks.json`` for the providers to fetch.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

from core.settings import SettingsError

SIGNING_ALG = "RS256"
ENCRYPTION_ALG = "RSA-OAEP-256"
KEY_BITS = 3072
KEPT_PER_USE = 3


@dataclasses.dataclass(frozen=True)
class ServiceKeys:
    signing: RSAKey
    all: KeySet

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.all.keys]}


def new_pair() -> list[RSAKey]:
    return [
        RSAKey.generate_key(
            KEY_BITS, parameters={"use": use, "alg": alg}, private=True, auto_kid=True
        )
        for use, alg in (("sig", SIGNING_ALG), ("enc", ENCRYPTION_ALG))
    ]


def rotate(path: Path) -> ServiceKeys:
    """Put a new signing and encryption key in front of the file's keys (making the file if
    there is none) and drop the oldest beyond what is kept."""
    existing = _read(path).keys if path.exists() else []
    keys = new_pair() + list(existing)
    kept = [
        key
        for use in ("sig", "enc")
        for key in [k for k in keys if k.get("use") == use][:KEPT_PER_USE]
    ]
    _write(path, KeySet(kept))
    return load(path)


def load(path: Path) -> ServiceKeys:
    keys = _read(path)
    signing = [key for key in keys.keys if key.get("use") == "sig"]
    if not signing or not any(key.get("use") == "enc" for key in keys.keys):
        raise SettingsError("IDENTITY_KEYS", f"{path} needs a signing and an encryption key")
    first = signing[0]
    assert isinstance(first, RSAKey)
    return ServiceKeys(signing=first, all=keys)


def load_or_make(path: Path, *, production: bool) -> ServiceKeys:
    """The keys; a development machine makes its own on first use, production is told how."""
    if not path.exists():
        if production:
            raise SettingsError(
                "IDENTITY_KEYS", f"{path} does not exist: make it with `server.py keys`"
            )
        return rotate(path)
    return load(path)


def _read(path: Path) -> KeySet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return KeySet.import_key_set(data)
    except (OSError, ValueError) as error:
        raise SettingsError("IDENTITY_KEYS", f"cannot read the keys in {path}: {error}") from None


def _write(path: Path, keys: KeySet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(keys.as_dict(private=True), file, indent=2)
    os.replace(temporary, path)
