"""Identification's wiring: the providers, our keys, one HTTP client for the providers, and the
public half of our keys at a stable address. With no providers file nothing is registered:
identification is off and no page mentions it. Registered by ``setup(app)`` (server.create_app),
before identification/pages.py's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
from aiohttp import web

from accounts.keys import account_service_key
from core.app_keys import (
    SignOnOffer,
    identification_on_key,
    person_hasher_key,
    redis_key,
    sessions_key,
    settings_key,
    staff_sign_on_offer_key,
)
from core.http import origin_of
from core.rate_limit import request_limiter
from identification.jwks import load_or_make
from identification.keys import (
    identification_limiter_key,
    identification_service_key,
    providers_key,
    service_keys_key,
    staff_sign_on_service_key,
)
from identification.provider_client import ProviderClient
from identification.providers import Provider, load_providers
from identification.relying_party import RelyingParty
from identification.service import IdentificationService
from identification.staff_providers import StaffSignOn, load_staff_sign_on
from identification.staff_sign_on import StaffSignOnService
from identification.staff_sign_on_pages import CALLBACK_PATH as STAFF_CALLBACK_PATH
from identification.staff_sign_on_pages import routes as staff_routes

CALLBACK_PATH = "/identify/callback"
JWKS_PATH = "/.well-known/jwks.json"


def identification_context(
    providers: tuple[Provider, ...], staff: StaffSignOn | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[settings_key]
        keys = load_or_make(
            settings.identity_keys_file, production=settings.environment == "production"
        )
        app[service_keys_key] = keys
        app[identification_limiter_key] = request_limiter(
            app.get(redis_key), "identification", settings.booking_rate_limit
        )
        base_url = settings.base_url.rstrip("/")
        timeout = settings.identity_provider_timeout_seconds
        async with aiohttp.ClientSession() as http:

            def party(provider: Provider, callback_path: str) -> RelyingParty:
                client = ProviderClient(provider, http, timeout)
                return RelyingParty(client, keys, base_url + callback_path)

            app[identification_service_key] = IdentificationService(
                app[sessions_key],
                {provider.id: party(provider, CALLBACK_PATH) for provider in providers},
                providers,
                app[person_hasher_key],
                idle=timedelta(minutes=settings.client_session_idle_minutes),
                longest=timedelta(hours=settings.client_session_hours),
            )
            if staff is not None:
                app[staff_sign_on_service_key] = StaffSignOnService(
                    app[sessions_key],
                    party(staff.provider, STAFF_CALLBACK_PATH),
                    staff,
                    app[account_service_key],
                )
            yield

    return context


async def public_keys(request: web.Request) -> web.Response:
    """Our public signing and encryption keys, for the providers to fetch."""
    response = web.json_response(request.app[service_keys_key].public_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def setup(app: web.Application) -> None:
    settings = app[settings_key]
    providers = load_providers(settings.identity_providers_file)
    staff = load_staff_sign_on(settings.identity_providers_file, settings.staff_sso_client_secret)
    if not providers and staff is None:
        return
    if providers:
        app[providers_key] = providers
        app[identification_on_key] = True
    if staff is not None:
        app[staff_sign_on_offer_key] = SignOnOffer(
            staff.provider.names, origin_of(staff.provider.issuer)
        )
        app.router.add_routes(staff_routes)
    app.cleanup_ctx.append(identification_context(providers, staff))
    app.router.add_get(JWKS_PATH, public_keys, name="identification_jwks")
