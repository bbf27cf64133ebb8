"""The client's identification pages: choose a provider, go there, come back identified.

``/identify?next=/somewhere`` lists the providers; choosing one (a form post, so the trip is
not started by a link someone else planted) records the attempt and sends the browser to the
provider. ``/identify/callback`` opens the identified session and returns to ``next``; a refusal
says why in the person's language and stores nothing. ``/identify/logout`` ends the session here
and, where the provider offers it, there too. Works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.app_keys import settings_key
from core.http import client_address, content_security_policy, local_path, origin_of
from core.i18n import N_
from core.request_keys import language_key
from core.templating import render
from identification.keys import (
    CLIENT_COOKIE,
    client_identity,
    identification_limiter_key,
    identification_service_key,
    providers_key,
)
from identification.provider_client import ProviderUnavailable, TokenRefused
from identification.relying_party import IdentificationRefused

routes = web.RouteTableDef()

DEFAULT_NEXT = "/identify/me"
# What the person is told, by the reason a return from the provider was refused.
REFUSALS = {
    "cancelled": N_("You cancelled the identification. Nothing was saved."),
    "assurance level": N_(
        "The identification method was not strong enough for this service. "
        "Choose a method with at least substantial assurance."
    ),
    "state": N_("This identification has expired or was used already. Start again."),
    "used already": N_("This identification has expired or was used already. Start again."),
    "too late": N_("This identification has expired or was used already. Start again."),
}
NOT_VERIFIED = N_(
    "The identification could not be verified, so it was not accepted. Nothing was saved. "
    "Start again."
)


@routes.get("/identify", name="identify")
async def choose(request: web.Request) -> web.Response:
    language = request[language_key]
    providers = [
        {"id": provider.id, "name": provider.name_in(language)}
        for provider in request.app[providers_key]
    ]
    context = {"providers": providers, "next": local_path(request.query.get("next"), DEFAULT_NEXT)}
    return _may_lead_to_providers(request, render(request, "identification/choose.html", context))


@routes.post("/identify/with/{provider_id}", name="identify_start")
async def start(request: web.Request) -> web.Response:
    await request.app[identification_limiter_key].check(client_address(request))
    form = await request.post()
    service = request.app[identification_service_key]
    try:
        url = await service.begin(
            request.match_info["provider_id"][:40],
            local_path(str(form.get("next", "")), DEFAULT_NEXT),
            request[language_key],
        )
    except ProviderUnavailable as error:
        return _refused(request, error.title, status=503)
    raise web.HTTPSeeOther(url)


@routes.get("/identify/callback", name="identify_callback")
async def callback(request: web.Request) -> web.Response:
    service = request.app[identification_service_key]
    state = request.query.get("state", "")
    try:
        finished = await service.finish(
            state, request.query.get("code"), request.query.get("error")
        )
    except IdentificationRefused as refused:
        return _refused(request, REFUSALS.get(refused.reason, NOT_VERIFIED))
    except TokenRefused:
        return _refused(request, REFUSALS["used already"])
    except ProviderUnavailable as error:
        return _refused(request, error.title, status=503)
    settings = request.app[settings_key]
    response = web.HTTPSeeOther(finished.return_to)
    response.set_cookie(
        CLIENT_COOKIE,
        finished.session_token,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.client_session_hours * 3600,
    )
    raise response


@routes.get("/identify/me", name="identified")
async def identified(request: web.Request) -> web.Response:
    identity = await client_identity(request)
    if identity is None:
        raise web.HTTPSeeOther("/identify?next=/identify/me")
    page = render(request, "identification/identified.html", {"identity": identity})
    return _may_lead_to_providers(request, page)  # logging out ends the provider's session too


@routes.post("/identify/logout", name="identify_logout")
async def logout(request: web.Request) -> web.Response:
    settings = request.app[settings_key]
    after = settings.base_url.rstrip("/") + "/identify/logged-out"
    provider_logout = await request.app[identification_service_key].end(
        request.cookies.get(CLIENT_COOKIE), after
    )
    response = web.HTTPSeeOther(provider_logout or "/identify/logged-out")
    response.del_cookie(CLIENT_COOKIE, path="/")
    raise response


@routes.get("/identify/logged-out", name="identify_logged_out")
async def logged_out(request: web.Request) -> web.Response:
    return render(request, "identification/logged_out.html")


def _may_lead_to_providers(request: web.Request, page: web.Response) -> web.Response:
    # The page's forms redirect to a provider, which CSP's form-action must allow.
    origins = sorted({origin_of(provider.issuer) for provider in request.app[providers_key]})
    page.headers["Content-Security-Policy"] = content_security_policy(origins)
    return page


def _refused(request: web.Request, message: str, *, status: int = 400) -> web.Response:
    context: dict[str, Any] = {"message": message, "staff": False}
    return render(request, "identification/refused.html", context, status=status)


def setup(app: web.Application) -> None:
    """Register the pages when identification is on (identification/routes.py set it up)."""
    if app.get(providers_key):
        app.router.add_routes(routes)
