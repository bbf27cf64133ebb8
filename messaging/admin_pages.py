"""A unit's message settings for the admin: how many working days the unit aims to take to
answer a client, and how long it keeps closed threads. Works without JavaScript."""

from __future__ import annotations

from aiohttp import web

from accounts.keys import account_service_key, staff_page
from accounts.organisation import UnitInfo
from core.app_keys import settings_key
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role
from core.templating import render

pages = web.RouteTableDef()
SETTINGS = "/admin/units/{unit_id:[0-9a-f-]{36}}/messages"


@pages.get(SETTINGS, name="admin_unit_messages")
async def settings_form(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    unit = await _unit(request)
    values = {
        "answer_days": str(unit.answer_days),
        "message_retention_days": str(unit.message_retention_days or ""),
    }
    return await _page(request, values, {}, saved="saved" in request.query)


@pages.post(SETTINGS)
async def settings_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    values = {
        name: str(form.get(name, "")).strip()[:10]
        for name in ("answer_days", "message_retention_days")
    }
    errors: dict[str, str] = {}
    answer_days = _number(values["answer_days"])
    if answer_days is None:
        errors["answer_days"] = N_("Enter a number of days from 1 to 30.")
    retention = (
        _number(values["message_retention_days"]) if values["message_retention_days"] else None
    )
    if values["message_retention_days"] and retention is None:
        errors["message_retention_days"] = N_(
            "Enter a number of days from 30 to 3650, or leave it empty for the default."
        )
    try:
        if errors:
            raise ValidationFailed(errors)
        assert answer_days is not None
        await request.app[account_service_key].organisation.set_message_settings(
            viewer, request.match_info["unit_id"], answer_days, retention
        )
    except ValidationFailed as invalid:
        return await _page(request, values, invalid.fields, status=422)
    raise web.HTTPSeeOther(f"{request.path}?saved=1")


async def _unit(request: web.Request) -> UnitInfo:
    wanted = request.match_info["unit_id"]
    for unit in await request.app[account_service_key].organisation.units():
        if unit.id == wanted:
            return unit
    raise NotFound()


async def _page(
    request: web.Request,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    saved: bool = False,
    status: int = 200,
) -> web.Response:
    context = {
        "unit": await _unit(request),
        "values": values,
        "errors": errors,
        "saved": saved,
        "default_days": request.app[settings_key].message_retention_days,
    }
    return render(request, "messaging/admin_unit.html", context, status=status)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
