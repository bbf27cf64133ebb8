"""The identity providers a municipality has registered with, read from the providers file.

``KOHTAAMO_IDENTITY_PROVIDERS`` names a YAML (or JSON) file::

    providers:
      - id: suomifi
        issuer: https://tunnistus.suomi.fi/oidc      # discovery at /.well-known/openid-configuration
        client_id: kohtaamo-espoo
        profile: ftn                                  # or oidc-sweden
        acr_values: [http://ftn.ficora.fi/2017/loa2, http://ftn.ficora.fi/2017/loa3]  # accepted
        names: {fi: Suomi.fi-tunnistus, sv: Suomi.fi-identifikation, en: Suomi.fi identification}

The claims that carry the identity code and names default by profile and can be overridden
(``identity_code_claim``, ``given_name_claim``, ``family_name_claim``). No file, or no
``providers`` in it: client identification is off and no page mentions it. The same file may
name the municipality's own provider for staff single sign-on (``staff_sign_on``, read by
identification/staff_providers.py). A bad file stops the start with one line naming what is
wrong.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml

from core.i18n import N_
from core.settings import SettingsError

# "oidc" is plain OpenID Connect, as the municipality's own provider (Entra ID and the like)
# speaks it to staff: no request objects, tokens signed but not necessarily encrypted.
Profile = Literal["ftn", "oidc-sweden", "oidc"]
LANGUAGES = ("fi", "sv", "en")
SETTING = "IDENTITY_PROVIDERS"

# Finnish Trust Network: Suomi.fi and the Finnish brokers name persons by these (OIDs as URIs).
FTN_CLAIMS = {
    "identity_code_claim": "urn:oid:1.2.246.21",
    "given_name_claim": "urn:oid:2.5.4.42",
    "family_name_claim": "urn:oid:2.5.4.4",
}
# The Swedish OIDC profile (Sweden Connect).
SWEDISH_CLAIMS = {
    "identity_code_claim": "https://id.oidc.se/claim/personalIdentityNumber",
    "given_name_claim": "given_name",
    "family_name_claim": "family_name",
}
PROFILE_CLAIMS: dict[str, dict[str, str]] = {"ftn": FTN_CLAIMS, "oidc-sweden": SWEDISH_CLAIMS}
CLIENT_PROFILES = tuple(PROFILE_CLAIMS)
# What the lobby and the client's pages call each level.
SUBSTANTIAL, HIGH = N_("substantial"), N_("high")
ASSURANCE_NAMES = {
    "http://ftn.ficora.fi/2017/loa2": SUBSTANTIAL,
    "http://ftn.ficora.fi/2017/loa3": HIGH,
    "http://id.elegnamnden.se/loa/1.0/loa3": SUBSTANTIAL,
    "http://id.elegnamnden.se/loa/1.0/loa4": HIGH,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Provider:
    id: str
    issuer: str
    client_id: str
    profile: Profile
    acr_values: tuple[str, ...]
    names: dict[str, str]
    identity_code_claim: str
    given_name_claim: str
    family_name_claim: str
    scope: str = "openid profile"
    # The national profiles sign every authorization request (a request object); Entra ID and
    # the like take plain parameters.
    signed_request: bool = True
    # Only for a staff provider that does not take private_key_jwt (client_secret_basic).
    client_secret: str | None = None

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["fi"]

    def accepts(self, acr: str | None) -> bool:
        """Whether an answered assurance level is one of those asked for (all accepted ones are
        asked, in the configured order of preference). A provider configured without levels
        (staff sign-on may be) accepts what its own policy gave."""
        if not self.acr_values:
            return True
        return acr is not None and acr in self.acr_values


def read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(SETTING, f"cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise SettingsError(SETTING, f"{path} is not valid YAML or JSON: {error}") from None
    if not isinstance(document, dict) or not (
        document.get("providers") or document.get("staff_sign_on")
    ):
        raise SettingsError(SETTING, f"{path} must list 'providers' or name a 'staff_sign_on'")
    return document


def load_providers(path: Path | None) -> tuple[Provider, ...]:
    if path is None:
        return ()
    entries = read_document(path).get("providers")
    if not entries:
        return ()
    if not isinstance(entries, list):
        raise SettingsError(SETTING, f"{path}: 'providers' must be a list")
    providers = tuple(_provider(entry, number) for number, entry in enumerate(entries, start=1))
    ids = [provider.id for provider in providers]
    if len(set(ids)) != len(ids):
        raise SettingsError(SETTING, f"{path}: two providers share an id")
    return providers


def _provider(entry: Any, number: int) -> Provider:
    def fail(problem: str) -> SettingsError:
        return SettingsError(SETTING, f"provider {number}: {problem}")

    if not isinstance(entry, dict):
        raise fail("must be a mapping")
    for field in ("id", "issuer", "client_id", "profile", "acr_values", "names"):
        if not entry.get(field):
            raise fail(f"'{field}' is missing")
    provider_id = str(entry["id"])
    if not provider_id.replace("-", "").isalnum():
        raise fail("'id' may hold only letters, digits and '-'")
    profile = entry["profile"]
    if profile not in CLIENT_PROFILES:
        raise fail("'profile' must be ftn or oidc-sweden")
    claims = {
        key: str(entry.get(key) or default) for key, default in PROFILE_CLAIMS[profile].items()
    }
    return provider_of(entry, fail, id=provider_id, profile=profile, **claims)


def provider_of(entry: dict[str, Any], fail: Callable[[str], Exception], **fields: Any) -> Provider:
    """The parts every provider entry has (issuer, client, levels, names), checked."""
    for field in ("issuer", "client_id", "names"):
        if not entry.get(field):
            raise fail(f"'{field}' is missing")
    issuer = str(entry["issuer"]).rstrip("/")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise fail("'issuer' must be an https address")
    acr_values = entry.get("acr_values") or []
    if not isinstance(acr_values, list) or not all(isinstance(a, str) for a in acr_values):
        raise fail("'acr_values' must be a list of strings")
    names = entry["names"]
    if not isinstance(names, dict) or any(not names.get(lang) for lang in LANGUAGES):
        raise fail("'names' must give the provider's name in fi, sv and en")
    return Provider(
        issuer=issuer,
        client_id=str(entry["client_id"]),
        acr_values=tuple(acr_values),
        names={lang: str(names[lang]) for lang in LANGUAGES},
        scope=str(entry.get("scope") or "openid profile"),
        **fields,
    )
