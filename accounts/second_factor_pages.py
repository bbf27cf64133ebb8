"""The staff's second-factor pages: the code after the password, setting up an authenticator
(at the first login where it is required, or later from one's own page), recovery codes shown
once, and the admin's reset. Work without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.keys import (
    PENDING_COOKIE,
    account_service_key,
    set_session_cookie,
    staff_page,
)
from accounts.service import LoginExpired, WrongCode
from core.errors import RateLimited
from core.http import client_address, local_path
from core.i18n import N_
from core.principal import Role
from core.templating import render

pages = web.RouteTableDef()

CODE_FIELD = "code"
NO_CODE = N_("Enter the code from your authenticator app, or a recovery code.")


def _next(request: web.Request, form: Any = None) -> str:
    return local_path(str((form or {}).get("next", "") or request.query.get("next", "")), "/staff")


def _code(form: Any) -> str:
    return str(form.get(CODE_FIELD, "")).strip()[:40]


@pages.get("/login/code", name="login_code")
async def code_form(request: web.Request) -> web.Response:
    service = request.app[account_service_key]
    user = await service.factors.pending_user(request.cookies.get(PENDING_COOKIE))
    if user is None:
        raise web.HTTPSeeOther("/login")
    context = {
        "errors": {},
        "next": _next(request),
        "passkey": await service.passkeys.has_any(user),
    }
    return render(request, "accounts/login_code.html", context)


@pages.post("/login/code", name="login_code_submit")
async def code_submit(request: web.Request) -> web.Response:
    form = await request.post()
    context: dict[str, Any] = {"errors": {}, "next": _next(request, form), "passkey": False}
    code = _code(form)
    if not code:
        context["errors"] = {CODE_FIELD: NO_CODE}
        return render(request, "accounts/login_code.html", context, status=422)
    try:
        result = await request.app[account_service_key].complete_login(
            request.cookies.get(PENDING_COOKIE, ""), code, client_address(request)
        )
    except LoginExpired:
        raise web.HTTPSeeOther("/login") from None
    except RateLimited as error:
        context["errors"] = {CODE_FIELD: error.detail}
        return render(request, "accounts/login_code.html", context, status=429)
    except WrongCode as error:
        context["errors"] = {CODE_FIELD: error.title}
        return render(request, "accounts/login_code.html", context, status=401)
    redirect = web.HTTPSeeOther(context["next"])
    redirect.del_cookie(PENDING_COOKIE, path="/")
    set_session_cookie(request, redirect, result.token)
    raise redirect


@pages.get("/login/enrol", name="login_enrol")
async def enrol_form(request: web.Request) -> web.Response:
    try:
        enrolment = await request.app[account_service_key].pending_enrolment(
            request.cookies.get(PENDING_COOKIE, "")
        )
    except LoginExpired:
        raise web.HTTPSeeOther("/login") from None
    context = {"enrolment": enrolment, "errors": {}, "action": "/login/enrol"}
    return render(request, "accounts/enrol.html", {**context, "next": _next(request)})


@pages.post("/login/enrol", name="login_enrol_submit")
async def enrol_submit(request: web.Request) -> web.Response:
    form = await request.post()
    service = request.app[account_service_key]
    pending = request.cookies.get(PENDING_COOKIE, "")
    try:
        result, codes = await service.confirm_pending_enrolment(
            pending, _code(form), client_address(request)
        )
    except LoginExpired:
        raise web.HTTPSeeOther("/login") from None
    except WrongCode as error:
        context = {
            "enrolment": await service.pending_enrolment(pending),
            "errors": {CODE_FIELD: error.title},
            "action": "/login/enrol",
            "next": _next(request, form),
        }
        return render(request, "accounts/enrol.html", context, status=422)
    response = render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request, form)}
    )
    response.del_cookie(PENDING_COOKIE, path="/")
    set_session_cookie(request, response, result.token)
    return response


@pages.get("/account/second-factor", name="own_second_factor")
async def own_factor(request: web.Request) -> web.Response:
    viewer = staff_page(request)
    factors = request.app[account_service_key].factors
    if await factors.has_factor(viewer.user_id):
        return render(request, "accounts/second_factor.html")
    enrolment = await factors.enrolment(viewer.user_id, viewer.email)
    context = {"enrolment": enrolment, "errors": {}, "action": "/account/second-factor"}
    return render(request, "accounts/enrol.html", {**context, "next": "/staff"})


@pages.post("/account/second-factor", name="own_second_factor_confirm")
async def own_factor_confirm(request: web.Request) -> web.Response:
    viewer = staff_page(request)
    form = await request.post()
    factors = request.app[account_service_key].factors
    codes = await factors.confirm(viewer.user_id, _code(form))
    if codes is None:
        enrolment = await factors.unconfirmed(viewer.user_id, viewer.email)
        if enrolment is None:
            raise web.HTTPSeeOther("/account/second-factor")
        context = {
            "enrolment": enrolment,
            "errors": {CODE_FIELD: WrongCode.title},
            "action": "/account/second-factor",
            "next": "/staff",
        }
        return render(request, "accounts/enrol.html", context, status=422)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/staff"})


@pages.post("/account/second-factor/recovery-codes", name="own_recovery_codes")
async def own_recovery_codes(request: web.Request) -> web.Response:
    viewer = staff_page(request)
    factors = request.app[account_service_key].factors
    if not await factors.has_factor(viewer.user_id):
        raise web.HTTPSeeOther("/account/second-factor")
    codes = await factors.new_recovery_codes(viewer.user_id)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/staff"})


@pages.post("/admin/users/{user_id}/second-factor/reset", name="admin_user_factor_reset")
async def admin_factor_reset(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    user_id = request.match_info["user_id"]
    await request.app[account_service_key].reset_second_factor(viewer, user_id)
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?notice=factor-reset")


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
