"""The municipality's own OpenID provider for staff single sign-on, from the providers file::

    staff_sign_on:
      issuer: https://login.microsoftonline.com/<tenant>/v2.0
      client_id: 00000000-0000-0000-0000-000000000000
      client_auth: private_key_jwt        # or client_secret_basic (KOHTAAMO_STAFF_SSO_CLIENT_SECRET)
      scope: openid profile email
      names: {fi: Espoon työntekijät, sv: Esbo stads anställda, en: City of Espoo staff}
      email_claim: email                  # default email; Entra ID: preferred_username
      name_claim: name
      roles_claim: roles                  # the app roles the provider assigns
      roles: {Kohtaamo.Admin: admin, Kohtaamo.Caseworker: caseworker, Kohtaamo.Intake: intake}
      unit_claim: department              # optional
      units: {Perheiden palvelut: Family services}   # claim value: the unit's English name

A person is let in only with a role the mapping knows; with several, the widest counts
(admin, then caseworker, then intake). Role and unit are taken again at every login, so a
change at the provider reaches Kohtaamo the next time the person logs in.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from core.principal import Role
from core.settings import SettingsError
from identification.providers import SETTING, Provider, provider_of, read_document

# A client provider's id holds only letters, digits and "-": this one cannot clash.
STAFF_PROVIDER_ID = "staff:sign-on"
ROLE_ORDER = (Role.ADMIN, Role.CASEWORKER, Role.INTAKE)


@dataclasses.dataclass(frozen=True, slots=True)
class StaffSignOn:
    provider: Provider
    email_claim: str
    name_claim: str
    roles_claim: str
    roles: dict[str, Role]
    unit_claim: str | None
    units: dict[str, str]

    def role_of(self, claims: dict[str, Any]) -> Role | None:
        granted = set(_strings(claims.get(self.roles_claim)))
        mapped = {role for value, role in self.roles.items() if value in granted}
        return next((role for role in ROLE_ORDER if role in mapped), None)

    def unit_of(self, claims: dict[str, Any]) -> str | None:
        """The English name of the person's unit, where the claim names a mapped one."""
        if self.unit_claim is None:
            return None
        return next(
            (
                self.units[value]
                for value in _strings(claims.get(self.unit_claim))
                if value in self.units
            ),
            None,
        )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def load_staff_sign_on(path: Path | None, client_secret: str) -> StaffSignOn | None:
    if path is None:
        return None
    entry = read_document(path).get("staff_sign_on")
    if entry is None:
        return None

    def fail(problem: str) -> SettingsError:
        return SettingsError(SETTING, f"staff_sign_on: {problem}")

    if not isinstance(entry, dict):
        raise fail("must be a mapping")
    client_auth = entry.get("client_auth", "private_key_jwt")
    secret = None
    if client_auth == "client_secret_basic":
        secret = client_secret
        if not secret:
            raise fail("client_secret_basic needs KOHTAAMO_STAFF_SSO_CLIENT_SECRET")
    elif client_auth != "private_key_jwt":
        raise fail("'client_auth' must be private_key_jwt or client_secret_basic")
    roles = entry.get("roles")
    if not isinstance(roles, dict) or not roles:
        raise fail("'roles' must map the provider's role values to admin, caseworker or intake")
    if any(str(role) not in set(Role) for role in roles.values()):
        raise fail("'roles' may map only to admin, caseworker or intake")
    units = entry.get("units") or {}
    if not isinstance(units, dict):
        raise fail("'units' must map the claim's values to units' English names")
    provider = provider_of(
        entry,
        fail,
        id=STAFF_PROVIDER_ID,
        profile="oidc",
        identity_code_claim="",
        given_name_claim=str(entry.get("given_name_claim") or "given_name"),
        family_name_claim=str(entry.get("family_name_claim") or "family_name"),
        signed_request=bool(entry.get("signed_request", False)),
        client_secret=secret,
    )
    return StaffSignOn(
        provider=provider,
        email_claim=str(entry.get("email_claim") or "email"),
        name_claim=str(entry.get("name_claim") or "name"),
        roles_claim=str(entry.get("roles_claim") or "roles"),
        roles={str(value): Role(str(role)) for value, role in roles.items()},
        unit_claim=str(entry["unit_claim"]) if entry.get("unit_claim") else None,
        units={str(value): str(unit) for value, unit in units.items()},
    )
