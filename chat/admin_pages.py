"""The admin's pages for the advice chats: the list, and one chat's settings (names, unit, the
meeting type offered, weekly hours and single days' exceptions, phone and other help, capacity,
saved answers). Work without JavaScript; the same rules as the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from babel.dates import get_day_names

from accounts.keys import account_service_key, staff_page
from calendars.keys import calendar_service_key
from chat.keys import chat_services_key
from chat.service import ServiceView
from core.errors import NotFound, ValidationFailed
from core.principal import Role
from core.request_keys import language_key
from core.templating import render

pages = web.RouteTableDef()
CHAT = "/admin/chats/{service_id:[0-9a-f-]{36}}"
LANGUAGES = ("fi", "sv", "en")
MAX_EXCEPTION_ROWS = 60


@pages.get("/admin/chats", name="admin_chats")
async def chat_list(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    services = await request.app[chat_services_key].services()
    context = {"services": services, "saved": request.query.get("saved") == "1"}
    return render(request, "chat/admin_list.html", context)


@pages.get("/admin/chats/new", name="admin_chat_new")
async def new_form(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    return await _form(request, None, {"capacity": "3", "active": "yes"}, {})


@pages.post("/admin/chats/new")
async def new_submit(request: web.Request) -> web.Response:
    return await _submit(request, None)


@pages.get(CHAT, name="admin_chat")
async def change_form(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    service = await _service(request)
    return await _form(request, service.info.id, _values_of(service), {})


@pages.post(CHAT)
async def change_submit(request: web.Request) -> web.Response:
    return await _submit(request, (await _service(request)).info.id)


async def _submit(request: web.Request, service_id: str | None) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    values = {key: str(value)[:2000] for key, value in form.items() if key != "csrf_token"}
    try:
        await request.app[chat_services_key].save_service(viewer, _fields_of(values), service_id)
    except ValidationFailed as invalid:
        return await _form(request, service_id, values, invalid.fields, status=422)
    raise web.HTTPSeeOther("/admin/chats?saved=1")


async def _service(request: web.Request) -> ServiceView:
    wanted = request.match_info["service_id"]
    for service in await request.app[chat_services_key].services():
        if service.info.id == wanted:
            return service
    raise NotFound()


def _values_of(service: ServiceView) -> dict[str, str]:
    values = {
        "slug": service.info.slug,
        "unit_id": service.info.unit_id or "",
        "meeting_type_id": service.info.meeting_type_id or "",
        "phone": service.phone,
        "capacity": str(service.info.capacity),
        "active": "yes" if service.active else "",
    }
    values |= {f"names.{lang}": service.info.names.get(lang, "") for lang in LANGUAGES}
    values |= {f"other_help.{lang}": service.other_help.get(lang, "") for lang in LANGUAGES}
    for i, (exception_day, opening) in enumerate(sorted(service.hours.exceptions.items())):
        values[f"exceptions.{i}.date"] = exception_day.isoformat()
        if opening is not None:
            values[f"exceptions.{i}.opens"] = opening[0].strftime("%H:%M")
            values[f"exceptions.{i}.closes"] = opening[1].strftime("%H:%M")
    for day, (opens, closes) in service.hours.weekly.items():
        values[f"hours.{day}.opens"] = opens.strftime("%H:%M")
        values[f"hours.{day}.closes"] = closes.strftime("%H:%M")
    for i, answer in enumerate(service.saved_answers):
        values[f"saved.{i}.title"], values[f"saved.{i}.text"] = answer.title, answer.text
    return values


def _fields_of(values: Mapping[str, str]) -> dict[str, Any]:
    """The form as the service takes it: a day with neither time is closed, a blank saved
    answer row is left out."""
    hours = {
        str(day): [values.get(f"hours.{day}.opens", ""), values.get(f"hours.{day}.closes", "")]
        for day in range(7)
        if values.get(f"hours.{day}.opens") or values.get(f"hours.{day}.closes")
    }
    saved = [
        {"title": values.get(f"saved.{i}.title", ""), "text": values.get(f"saved.{i}.text", "")}
        for i in range(31)
        if values.get(f"saved.{i}.title", "").strip() or values.get(f"saved.{i}.text", "").strip()
    ]
    exceptions = [
        {
            "date": values.get(f"exceptions.{i}.date", "").strip(),
            "hours": [
                values.get(f"exceptions.{i}.opens", ""),
                values.get(f"exceptions.{i}.closes", ""),
            ]
            if values.get(f"exceptions.{i}.opens") or values.get(f"exceptions.{i}.closes")
            else None,
        }
        for i in range(MAX_EXCEPTION_ROWS)
        if values.get(f"exceptions.{i}.date", "").strip()
    ]
    capacity = values.get("capacity", "")
    return {
        "slug": values.get("slug", ""),
        "names": {lang: values.get(f"names.{lang}", "") for lang in LANGUAGES},
        "unit_id": values.get("unit_id") or None,
        "meeting_type_id": values.get("meeting_type_id") or None,
        "phone": values.get("phone", ""),
        "other_help": {lang: values.get(f"other_help.{lang}", "") for lang in LANGUAGES},
        "capacity": int(capacity) if capacity.isdigit() else -1,
        "active": values.get("active") == "yes",
        "hours": hours,
        "exceptions": exceptions,
        "saved_answers": saved,
    }


async def _form(
    request: web.Request,
    service_id: str | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> web.Response:
    language = request[language_key]
    days = get_day_names("wide", locale=language)
    saved_rows = 1 + max(
        (int(key.split(".")[1]) + 1 for key in values if key.startswith("saved.")), default=0
    )
    exception_rows = 2 + max(
        (int(key.split(".")[1]) + 1 for key in values if key.startswith("exceptions.")), default=0
    )
    units = await request.app[account_service_key].organisation.units()
    calendars = request.app[calendar_service_key]
    meeting_types = [
        (meeting_type.id, f"{unit.name_in(language)}: {meeting_type.name_in(language)}")
        for unit in units
        for meeting_type in await calendars.unit_meeting_types(unit.id)
    ]
    context = {
        "service_id": service_id,
        "values": values,
        "errors": errors,
        "unit_choices": [(unit.id, unit.name_in(language)) for unit in units],
        "meeting_type_choices": meeting_types,
        "exception_rows": min(exception_rows, MAX_EXCEPTION_ROWS),
        "days": [(day, days[day].capitalize()) for day in range(7)],
        "saved_rows": min(saved_rows, 30),
        "languages": LANGUAGES,
    }
    return render(request, "chat/admin_form.html", context, status=status)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
