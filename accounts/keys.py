"""The accounts package's app keys and the request helpers every staff page uses: who is
logged in, and the session cookies."""

from __future__ import annotations

from aiohttp import web

from accounts.organisation import UnitSettingsListener
from accounts.schemas import Me
from accounts.second_factor import PENDING_LIFETIME, SecondFactorListener
from accounts.service import AccountService, LoginResult
from core.api import json_response
from core.app_keys import settings_key
from core.principal import Role, Viewer, require_role
from core.request_keys import viewer_key

account_service_key = web.AppKey("account_service", AccountService)
# Set by the package that records second-factor changes (audit) before the app starts.
second_factor_listener_key = web.AppKey("second_factor_listener", SecondFactorListener)
# Set by the package that records changes of a unit's settings (audit), the same way.
unit_settings_listener_key = web.AppKey("unit_settings_listener", UnitSettingsListener)

SESSION_COOKIE = "kohtaamo_session"
PENDING_COOKIE = "kohtaamo_pending"


def current_viewer(request: web.Request, *roles: Role) -> Viewer:
    return require_role(request.get(viewer_key), *roles)


def staff_page(request: web.Request, *roles: Role) -> Viewer:
    """The logged-in viewer of a staff page; anyone else is sent to the login form first."""
    viewer = request.get(viewer_key)
    if viewer is None:
        raise web.HTTPSeeOther(f"/login?next={request.path}")
    return require_role(viewer, *roles)


def set_pending_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        PENDING_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.app[settings_key].secure_cookies,
        path="/",
        max_age=int(PENDING_LIFETIME.total_seconds()),
    )


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.app[settings_key].secure_cookies,
        path="/",
    )


def logged_in(request: web.Request, result: LoginResult) -> web.Response:
    """The API's answer to a completed login: who is logged in, with the session cookie (and
    the pending second-factor cookie gone)."""
    response = json_response(Me.of(result.viewer))
    response.del_cookie(PENDING_COOKIE, path="/")
    set_session_cookie(request, response, result.token)
    return response
