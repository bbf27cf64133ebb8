"""A local OpenID provider to try identification and staff sign-on by hand (`make
local-identity`): the tests' provider (npm's oidc-provider) on http://127.0.0.1:9090, registered
for a Kohtaamo at http://127.0.0.1:8080 as Suomi.fi (FTN profile), a Swedish eID broker and the
municipality's own staff provider. It writes var/local-providers.yaml; start the service with

    KOHTAAMO_IDENTITY_PROVIDERS=var/local-providers.yaml make run

The test people: Aino Asiakas and Erkki Esimerkki (Finnish), Tolvan Tolvansson (Swedish), and
the demo's Maria Virtanen (caseworker) and Aino Admin (admin) for staff sign-on.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from identification.jwks import load_or_make
from tests.identification.provider import (
    FINNISH_PERSON,
    FTN_HIGH,
    FTN_SUBSTANTIAL,
    OTHER_FINNISH_PERSON,
    SE_LOA3,
    SE_LOA4,
    SWEDISH_PERSON,
    OpenIdProvider,
    client_metadata,
    providers_file,
)

PORT = 9090
ISSUER = f"http://127.0.0.1:{PORT}"
BASE_URL = "http://127.0.0.1:8080"
VAR = Path("var")
STAFF_CLAIMS = {
    "maria": {
        "email": "maria.virtanen@demokunta.example",
        "name": "Maria Virtanen",
        "roles": ["Kohtaamo.Caseworker"],
        "department": "Family services",
    },
    "admin": {
        "email": "admin@demokunta.example",
        "name": "Aino Admin",
        "roles": ["Kohtaamo.Admin"],
    },
}
STAFF_SIGN_ON = """
staff_sign_on:
  issuer: {issuer}
  client_id: kohtaamo-staff
  names: {{fi: Demokunnan työntekijät, sv: Demokommunens anställda, en: Demo municipality staff}}
  roles: {{Kohtaamo.Admin: admin, Kohtaamo.Caseworker: caseworker, Kohtaamo.Intake: intake}}
  unit_claim: department
  units: {{Family services: Family services}}
"""


def clients() -> list[dict[str, Any]]:
    """Our registration with each of the three, with this machine's keys."""
    VAR.mkdir(exist_ok=True)
    keys = load_or_make(VAR / "identity-keys.json", production=False)
    staff = client_metadata(
        "kohtaamo-staff",
        BASE_URL,
        keys,
        redirect_uris=[f"{BASE_URL}/login/sign-on/callback"],
        require_signed_request_object=False,
        id_token_encrypted_response_alg=None,
        id_token_encrypted_response_enc=None,
        userinfo_encrypted_response_alg=None,
        userinfo_encrypted_response_enc=None,
    )
    return [
        client_metadata("kohtaamo-ftn", BASE_URL, keys),
        client_metadata("kohtaamo-se", BASE_URL, keys),
        {key: value for key, value in staff.items() if value is not None},
    ]


def write_providers_file() -> Path:
    path = providers_file(VAR / "local-providers.yaml", ISSUER)
    with path.open("a") as file:
        file.write(STAFF_SIGN_ON.format(issuer=ISSUER))
    return path


async def serve(registered: list[dict[str, Any]]) -> None:
    people = {
        "aino": FINNISH_PERSON,
        "erkki": OTHER_FINNISH_PERSON,
        "tolvan": SWEDISH_PERSON,
        **STAFF_CLAIMS,
    }
    acr_values = [FTN_SUBSTANTIAL, FTN_HIGH, SE_LOA3, SE_LOA4]
    async with OpenIdProvider(clients=registered, people=people, acr_values=acr_values, port=PORT):
        await asyncio.Event().wait()


if __name__ == "__main__":
    registered = clients()
    path = write_providers_file()
    print(f"OpenID provider at {ISSUER}; providers file {path}")
    print(f"Start Kohtaamo with: KOHTAAMO_IDENTITY_PROVIDERS={path} make run")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(registered))
