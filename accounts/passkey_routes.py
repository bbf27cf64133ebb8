"""The passkey ceremonies' JSON endpoints, called by web/static/passkeys.js: register a passkey
(logged in), and complete a pending login with one. The pages themselves work without them: a
code from the authenticator app or a recovery code always does."""

from __future__ import annotations

from aiohttp import web

from accounts.keys import (
    PENDING_COOKIE,
    account_service_key,
    current_viewer,
    logged_in,
)
from accounts.schemas import Me, PasskeyCredential
from core.api import ApiRoutes, parse_body
from core.http import client_address

api = ApiRoutes("accounts")
SESSION_AUTH = ("session",)


def _options(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/json")


@api.post(
    "/api/v1/auth/passkeys/options",
    summary="Options to create a passkey for the logged-in staff member (WebAuthn)",
    auth=SESSION_AUTH,
)
async def api_passkey_options(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    passkeys = request.app[account_service_key].passkeys
    return _options(await passkeys.registration_options(viewer.user_id, viewer.email, viewer.name))


@api.post(
    "/api/v1/auth/passkeys",
    summary="Register the passkey the browser created",
    body=PasskeyCredential,
    status=201,
    auth=SESSION_AUTH,
)
async def api_passkey_register(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    body = await parse_body(request, PasskeyCredential)
    await request.app[account_service_key].passkeys.register(viewer.user_id, body.model_dump())
    return web.Response(status=201)


@api.post(
    "/api/v1/auth/passkey-login/options",
    summary="Options to complete a pending login with a passkey (WebAuthn)",
    errors=(401,),
)
async def api_passkey_login_options(request: web.Request) -> web.Response:
    service = request.app[account_service_key]
    return _options(await service.pending_passkey_options(request.cookies.get(PENDING_COOKIE, "")))


@api.post(
    "/api/v1/auth/passkey-login",
    summary="Complete a pending login with the passkey the browser used",
    body=PasskeyCredential,
    response=Me,
    errors=(401, 429),
)
async def api_passkey_login(request: web.Request) -> web.Response:
    body = await parse_body(request, PasskeyCredential)
    result = await request.app[account_service_key].complete_login_with_passkey(
        request.cookies.get(PENDING_COOKIE, ""), body.model_dump(), client_address(request)
    )
    return logged_in(request, result)


def setup(app: web.Application) -> None:
    app.router.add_routes(api.table)
