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

from core.app_keys import (
    identification_on_key,
    person_hasher_key,
    redis_key,
    sessions_key,
    settings_key,
)
from core.rate_limit import request_limiter
from identification.jwks import load_or_make
from identification.keys import (
    identification_limiter_key,
    identification_service_key,
    providers_key,
    service_keys_key,
)
from identification.provider_client import ProviderClient
from identification.providers import Provider, load_providers
from identification.relying_party import RelyingParty
from identification.service import IdentificationService

CALLBACK_PATH = "/identify/callback"
JWKS_PATH = "/.well-known/jwks.json"


def identification_context(
    providers: tuple[Provider, ...],
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
        redirect_uri = settings.base_url.rstrip("/") + CALLBACK_PATH
        async with aiohttp.ClientSession() as http:
            parties = {
                provider.id: RelyingParty(
                    ProviderClient(provider, http, settings.identity_provider_timeout_seconds),
                    keys,
                    redirect_uri,
                )
                for provider in providers
            }
            app[identification_service_key] = IdentificationService(
                app[sessions_key],
                parties,
                providers,
                app[person_hasher_key],
                idle=timedelta(minutes=settings.client_session_idle_minutes),
                longest=timedelta(hours=settings.client_session_hours),
            )
            yield

    return context


async def public_keys(request: web.Request) -> web.Response:
    """Our public signing and encryption keys, for the providers to fetch."""
    response = web.json_response(request.app[service_keys_key].public_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def setup(app: web.Application) -> None:
    providers = load_providers(app[settings_key].identity_providers_file)
    if not providers:
        return
    app[providers_key] = providers
    app[identification_on_key] = True
    app.cleanup_ctx.append(identification_context(providers))
    app.router.add_get(JWKS_PATH, public_keys, name="identification_jwks")
