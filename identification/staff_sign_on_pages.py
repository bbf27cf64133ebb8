"""Staff single sign-on pages: the login page's "Log in with …" form leads here, here to the
municipality's provider, and its answer back to a staff session. A refusal says why in the
staff member's language and stores nothing."""

from __future__ import annotations

from aiohttp import web

from accounts.keys import set_session_cookie
from core.errors import NotAuthenticated
from core.http import client_address, local_path
from core.i18n import N_
from core.request_keys import language_key
from core.templating import render
from identification.keys import identification_limiter_key, staff_sign_on_service_key
from identification.provider_client import ProviderUnavailable, TokenRefused
from identification.relying_party import IdentificationRefused

routes = web.RouteTableDef()

CALLBACK_PATH = "/login/sign-on/callback"
REFUSALS = {
    "no role": N_(
        "Your user account has no role in Kohtaamo, so you cannot log in. Ask your "
        "administrator to give you the role of caseworker, intake worker or administrator."
    ),
    "no email": N_("Your user account has no email address, so you cannot log in."),
    "cancelled": N_("You cancelled the login."),
}
NOT_VERIFIED = N_("The login could not be verified, so it was not accepted. Log in again.")
EXPIRED = N_("This login has expired or was used already. Log in again.")


@routes.post("/login/sign-on", name="staff_sign_on")
async def start(request: web.Request) -> web.Response:
    await request.app[identification_limiter_key].check(client_address(request))
    form = await request.post()
    service = request.app[staff_sign_on_service_key]
    try:
        url = await service.begin(
            local_path(str(form.get("next", "")), "/staff"), request[language_key]
        )
    except ProviderUnavailable as error:
        return _refused(request, error.title, status=503)
    raise web.HTTPSeeOther(url)


@routes.get(CALLBACK_PATH, name="staff_sign_on_callback")
async def callback(request: web.Request) -> web.Response:
    service = request.app[staff_sign_on_service_key]
    try:
        result, return_to = await service.finish(
            request.query.get("state", ""), request.query.get("code"), request.query.get("error")
        )
    except IdentificationRefused as refused:
        message = REFUSALS.get(refused.reason)
        if message is None:
            message = (
                EXPIRED if refused.reason in ("state", "used already", "too late") else NOT_VERIFIED
            )
        return _refused(request, message)
    except TokenRefused:
        return _refused(request, EXPIRED)
    except ProviderUnavailable as error:
        return _refused(request, error.title, status=503)
    except NotAuthenticated as error:  # a closed account, or another sign-in's email address
        return _refused(request, error.title, status=403)
    response = web.HTTPSeeOther(return_to)
    set_session_cookie(request, response, result.token)
    raise response


def _refused(request: web.Request, message: str, *, status: int = 400) -> web.Response:
    context = {"message": message, "staff": True}
    return render(request, "identification/refused.html", context, status=status)
