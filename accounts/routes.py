"""Login, logout, the staff start page, user administration, and the accounts JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.typedefs import Handler

from accounts.keys import (
    PENDING_COOKIE,
    SESSION_COOKIE,
    account_service_key,
    current_viewer,
    logged_in,
    second_factor_listener_key,
    set_pending_cookie,
    set_session_cookie,
    staff_page,
    unit_settings_listener_key,
)
from accounts.schemas import (
    AnswerTargetIn,
    LoginRequest,
    Me,
    MessageSettingsIn,
    SecondFactorCode,
    SecondFactorNeeded,
    UnitDetail,
    UnitIn,
    UnitList,
)
from accounts.service import AccountService, PendingSecondFactor
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import (
    cpu_executor_key,
    sessions_key,
    settings_key,
    staff_sign_on_offer_key,
)
from core.errors import NotAuthenticated, RateLimited, ValidationFailed
from core.http import client_address, content_security_policy, local_path
from core.i18n import N_
from core.principal import Role
from core.request_keys import language_key, viewer_key
from core.templating import render

pages = web.RouteTableDef()
api = ApiRoutes("accounts")


async def accounts_context(app: web.Application) -> AsyncIterator[None]:
    app[account_service_key] = AccountService(
        app[sessions_key],
        app[settings_key],
        app[cpu_executor_key],
        listener=app.get(second_factor_listener_key),
        unit_listener=app.get(unit_settings_listener_key),
    )
    yield


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.path.startswith("/static/"):
        viewer = await request.app[account_service_key].viewer_for_token(token)
        if viewer is not None:
            request[viewer_key] = viewer
    return await handler(request)


# ---- login and logout pages -------------------------------------------------------------------


@pages.get("/login", name="login")
async def login_form(request: web.Request) -> web.Response:
    if request.get(viewer_key) is not None:
        raise web.HTTPSeeOther("/staff")
    context = {
        "values": {},
        "errors": {},
        "next": request.query.get("next", ""),
        "logged_out": "logged_out" in request.query,
    }
    return _login_page(request, context)


@pages.post("/login", name="login_submit")
async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    values = {"email": str(form.get("email", ""))}
    next_path = str(form.get("next", ""))
    password = str(form.get("password", ""))
    errors: dict[str, str] = {}
    if not values["email"].strip():
        errors["email"] = N_("Enter your email address.")
    if not password:
        errors["password"] = N_("Enter your password.")
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "next": next_path,
        "logged_out": False,
    }
    if errors:
        return _login_page(request, context, status=422)
    try:
        result = await request.app[account_service_key].log_in(
            values["email"], password, client_address(request)
        )
    except RateLimited as error:
        context["errors"] = {"email": error.detail}
        response = _login_page(request, context, status=429)
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    except NotAuthenticated as error:
        context["errors"] = {"email": error.detail}
        return _login_page(request, context, status=401)
    if isinstance(result, PendingSecondFactor):
        step = "/login/enrol" if result.enrol else "/login/code"
        redirect = web.HTTPSeeOther(f"{step}?{urlencode({'next': next_path})}")
        set_pending_cookie(request, redirect, result.token)
        raise redirect
    redirect = web.HTTPSeeOther(local_path(next_path, "/staff"))
    set_session_cookie(request, redirect, result.token)
    raise redirect


def _login_page(request: web.Request, context: dict[str, Any], status: int = 200) -> web.Response:
    """The login form, offering the municipality's own sign-on where one is configured."""
    offer = request.app.get(staff_sign_on_offer_key)
    language = request[language_key]
    context["sign_on_name"] = offer.names.get(language) if offer is not None else None
    page = render(request, "accounts/login.html", context, status=status)
    if offer is not None:  # the sign-on form leads to the provider
        page.headers["Content-Security-Policy"] = content_security_policy([offer.origin])
    return page


@pages.post("/logout", name="logout")
async def logout_submit(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[account_service_key].log_out(token)
    redirect = web.HTTPSeeOther("/login?logged_out=1")
    redirect.del_cookie(SESSION_COOKIE, path="/")
    raise redirect


@pages.get("/staff", name="staff_home")
async def staff_home(request: web.Request) -> web.Response:
    viewer = staff_page(request)
    return render(request, "accounts/staff_home.html", {"viewer": viewer})


# ---- user administration ----------------------------------------------------------------------


@pages.get("/admin/users", name="admin_users")
async def admin_users(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    users = await request.app[account_service_key].list_users(viewer)
    return render(
        request, "admin/users.html", {"users": users, "notice": request.query.get("notice", "")}
    )


@pages.get("/admin/users/new", name="admin_user_new")
async def admin_user_new(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    return render(
        request,
        "admin/user_new.html",
        {"values": {"role": "caseworker"}, "errors": {}, "roles": list(Role)},
    )


@pages.post("/admin/users/new", name="admin_user_create")
async def admin_user_create(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    values = {key: str(form.get(key, "")) for key in ("email", "name", "role")}
    password = str(form.get("password", ""))
    errors: dict[str, str] = {}
    if values["role"] not in {role.value for role in Role}:
        errors["role"] = N_("Choose a role.")
    if not errors:
        try:
            await request.app[account_service_key].create_user(
                viewer,
                email=values["email"],
                name=values["name"],
                role=Role(values["role"]),
                password=password,
            )
        except ValidationFailed as error:
            errors = error.fields
    if errors:
        context = {"values": values, "errors": errors, "roles": list(Role)}
        return render(request, "admin/user_new.html", context, status=422)
    raise web.HTTPSeeOther("/admin/users?notice=created")


@pages.get("/admin/users/{user_id}", name="admin_user")
async def admin_user(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    user = await request.app[account_service_key].get_user(viewer, request.match_info["user_id"])
    return render(
        request,
        "admin/user.html",
        {"user": user, "new_password": None, "notice": request.query.get("notice", "")},
    )


@pages.post(
    "/admin/users/{user_id}/{action:activate|deactivate|end-sessions}", name="admin_user_action"
)
async def admin_user_action(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    user_id = request.match_info["user_id"]
    action = request.match_info["action"]
    service = request.app[account_service_key]
    if action == "end-sessions":
        await service.end_all_sessions(viewer, user_id)
    else:
        await service.set_active(viewer, user_id, active=action == "activate")
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?notice={action}")


@pages.post("/admin/users/{user_id}/reset-password", name="admin_user_reset")
async def admin_user_reset(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    service = request.app[account_service_key]
    user_id = request.match_info["user_id"]
    new_password = await service.reset_password(viewer, user_id)
    user = await service.get_user(viewer, user_id)
    return render(
        request, "admin/user.html", {"user": user, "new_password": new_password, "notice": ""}
    )


# ---- JSON API ---------------------------------------------------------------------------------


@api.post(
    "/api/v1/auth/login",
    summary="Log in and receive a session cookie",
    body=LoginRequest,
    response=Me,
    errors=(401, 429),
)
async def api_login(request: web.Request) -> web.Response:
    credentials = await parse_body(request, LoginRequest)
    result = await request.app[account_service_key].log_in(
        credentials.email, credentials.password, client_address(request)
    )
    if isinstance(result, PendingSecondFactor):
        # 202: the password was right, a code is still needed (POST /api/v1/auth/second-factor).
        needed = SecondFactorNeeded(second_factor="enrol" if result.enrol else "code")
        response = json_response(needed, status=202)
        set_pending_cookie(request, response, result.token)
        return response
    return logged_in(request, result)


@api.post(
    "/api/v1/auth/second-factor",
    summary="Complete a login with an authenticator or recovery code",
    body=SecondFactorCode,
    response=Me,
    errors=(401, 429),
)
async def api_second_factor(request: web.Request) -> web.Response:
    body = await parse_body(request, SecondFactorCode)
    result = await request.app[account_service_key].complete_login(
        request.cookies.get(PENDING_COOKIE, ""), body.code, client_address(request)
    )
    return logged_in(request, result)


@api.post("/api/v1/auth/logout", summary="End the current session", status=204)
async def api_logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[account_service_key].log_out(token)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/api/v1/auth/me", summary="Who is logged in", response=Me, auth=("session",))
async def api_me(request: web.Request) -> web.Response:
    return json_response(Me.of(current_viewer(request)))


@api.get(
    "/api/v1/admin/units",
    summary="All units (admin)",
    response=UnitList,
    auth=("session",),
    errors=(403,),
)
async def api_admin_units(request: web.Request) -> web.Response:
    current_viewer(request, Role.ADMIN)
    units = await request.app[account_service_key].organisation.units()
    return json_response(UnitList(units=[UnitDetail.of(unit) for unit in units]))


@api.post(
    "/api/v1/admin/units",
    summary="Add a unit (admin)",
    body=UnitIn,
    response=UnitDetail,
    status=201,
    auth=("session",),
    errors=(403,),
)
async def api_admin_add_unit(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.ADMIN)
    body = await parse_body(request, UnitIn)
    unit = await request.app[account_service_key].organisation.create_unit(
        viewer, None, body.name, body.phone
    )
    return json_response(UnitDetail.of(unit), status=201)


@api.put(
    "/api/v1/admin/units/{unit_id}/answer-target",
    summary="Set how many working days the unit aims to take to answer a client's message",
    body=AnswerTargetIn,
    response=UnitDetail,
    auth=("session",),
    errors=(403,),
)
async def api_admin_answer_target(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.ADMIN)
    body = await parse_body(request, AnswerTargetIn)
    unit = await request.app[account_service_key].organisation.set_answer_days(
        viewer, request.match_info["unit_id"], body.answer_days
    )
    return json_response(UnitDetail.of(unit))


@api.put(
    "/api/v1/admin/units/{unit_id}/message-settings",
    summary="Set the unit's answer target and how long it keeps closed message threads",
    body=MessageSettingsIn,
    response=UnitDetail,
    auth=("session",),
    errors=(403,),
)
async def api_admin_message_settings(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.ADMIN)
    body = await parse_body(request, MessageSettingsIn)
    unit = await request.app[account_service_key].organisation.set_message_settings(
        viewer, request.match_info["unit_id"], body.answer_days, body.message_retention_days
    )
    return json_response(UnitDetail.of(unit))


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(accounts_context)
    app.router.add_routes(pages)
    app.router.add_routes(api.table)
