"""The identification package's app keys and the one request helper the pages above it use."""

from __future__ import annotations

from aiohttp import web

from core.errors import NotAuthenticated
from core.rate_limit import Limiter
from identification.jwks import ServiceKeys
from identification.providers import Provider
from identification.service import ClientIdentity, IdentificationService
from identification.staff_sign_on import StaffSignOnService

identification_service_key = web.AppKey("identification_service", IdentificationService)
service_keys_key = web.AppKey("identification_service_keys", ServiceKeys)
# Set only when a providers file names providers: the feature is on.
providers_key = web.AppKey("identity_providers", tuple[Provider, ...])
# Starting an identification is a public form: per address, as the booking forms are limited.
identification_limiter_key = web.AppKey("identification_limiter", Limiter)
# Set only when the providers file names the municipality's own provider for staff.
staff_sign_on_service_key = web.AppKey("staff_sign_on_service", StaffSignOnService)
CLIENT_COOKIE = "kohtaamo_client"


async def client_identity(request: web.Request) -> ClientIdentity | None:
    """The identified client of this request, if any (identification may be off)."""
    service = request.app.get(identification_service_key)
    if service is None:
        return None
    return await service.identity(request.cookies.get(CLIENT_COOKIE))


async def identified_client(request: web.Request, *, page: bool) -> ClientIdentity:
    """The identified client of this request. A page sends anyone else to identify first (and
    back here); the API answers 401."""
    identity = await client_identity(request)
    if identity is None:
        if page:
            raise web.HTTPSeeOther(f"/identify?next={request.path}")
        raise NotAuthenticated()
    return identity
