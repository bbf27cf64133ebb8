"""The staff's pages for group discussions: their unit's sessions (every unit's for admins),
planning one, changing or cancelling it, the host's and moderators' console while it is on, and
the summary afterwards. Work without JavaScript, except the console."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from accounts.keys import account_service_key, staff_page
from core.errors import ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer
from core.request_keys import language_key
from core.templating import render
from discussions.keys import group_sessions_key, groups_key, session_time
from discussions.protocol import MAX_TEXT_LENGTH
from discussions.service import LANGUAGES, SessionFields, SessionView

pages = web.RouteTableDef()
STAFF = (Role.ADMIN, Role.CASEWORKER, Role.INTAKE)
SESSION = "/staff/groups/{session_id:[0-9a-f-]{36}}"
TEXT_FIELDS = ("topic", "description", "language", "host_id", "day", "starts", "ends", "capacity")
NOTICES = {
    "created": N_("The group discussion was planned. It is shown on the public list."),
    "saved": N_("The changes were saved."),
    "cancelled": N_("The group discussion was cancelled."),
    "summary": N_("The summary was published on the discussion's page."),
}


@pages.get("/staff/groups", name="staff_groups")
async def session_list(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    sessions = request.app[group_sessions_key]
    now = sessions.now()
    found = await sessions.for_staff(viewer)
    context = {
        "rows": [
            (view, view.state(now), session_time(request, view.starts_at, view.ends_at))
            for view in found
        ],
        "notice": NOTICES.get(request.query.get("notice", "")),
    }
    return render(request, "discussions/staff_list.html", context)


@pages.get("/staff/groups/new", name="staff_group_new")
async def new_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    values: dict[str, Any] = {
        "language": request[language_key],
        "capacity": "20",
        "premoderation": "yes",
        "host_id": "" if viewer.role == Role.ADMIN else viewer.user_id,
        "moderator_ids": [],
    }
    return await _form(request, viewer, None, values, {})


@pages.post("/staff/groups/new")
async def new_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    values = _values_of(await request.post())
    try:
        view = await request.app[group_sessions_key].create(viewer, _fields_of(values))
    except ValidationFailed as invalid:
        return await _form(request, viewer, None, values, invalid.fields, status=422)
    raise web.HTTPSeeOther(f"/staff/groups/{view.id}?notice=created")


@pages.get(SESSION, name="staff_group")
async def session_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    sessions = request.app[group_sessions_key]
    view = await sessions.for_staff_one(viewer, request.match_info["session_id"])
    values = sessions.local_fields(view) | {"moderator_ids": [m.id for m in view.moderators]}
    return await _form(request, viewer, view, values, {})


@pages.post(SESSION)
async def change_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    sessions = request.app[group_sessions_key]
    view = await sessions.for_staff_one(viewer, request.match_info["session_id"])
    values = _values_of(await request.post())
    try:
        changed = await sessions.change(viewer, view.id, _fields_of(values))
    except ValidationFailed as invalid:
        return await _form(request, viewer, view, values, invalid.fields, status=422)
    await request.app[groups_key].update(changed.room_info())
    raise web.HTTPSeeOther(f"/staff/groups/{view.id}?notice=saved")


@pages.post(SESSION + "/cancel", name="staff_group_cancel")
async def cancel_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    cancelled = await request.app[group_sessions_key].cancel(
        viewer, request.match_info["session_id"]
    )
    await request.app[groups_key].update(cancelled.room_info())
    raise web.HTTPSeeOther("/staff/groups?notice=cancelled")


@pages.post(SESSION + "/summary", name="staff_group_summary")
async def summary_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    sessions = request.app[group_sessions_key]
    view = await sessions.for_staff_one(viewer, request.match_info["session_id"])
    form = await request.post()
    summary = str(form.get("summary", ""))[:20_000]
    try:
        await sessions.publish_summary(viewer, view.id, summary)
    except ValidationFailed as invalid:
        values = sessions.local_fields(view) | {
            "moderator_ids": [m.id for m in view.moderators],
            "summary": summary,
        }
        return await _form(request, viewer, view, values, invalid.fields, status=422)
    raise web.HTTPSeeOther(f"/staff/groups/{view.id}?notice=summary")


def _values_of(form: MultiDictProxy[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name, ""))[:3000] for name in TEXT_FIELDS}
    values["unit_id"] = str(form.get("unit_id", ""))[:36]
    values["premoderation"] = "yes" if form.get("premoderation") == "yes" else ""
    values["moderator_ids"] = [str(value)[:36] for value in form.getall("moderator_ids", [])][:50]
    return values


def _fields_of(values: Mapping[str, Any]) -> SessionFields:
    return SessionFields(
        topic=values["topic"],
        description=values["description"],
        language=values["language"],
        host_id=values["host_id"],
        moderator_ids=tuple(values["moderator_ids"]),
        day=values["day"],
        starts=values["starts"],
        ends=values["ends"],
        capacity=values["capacity"],
        premoderation=values["premoderation"] == "yes",
        unit_id=values.get("unit_id") or None,
    )


async def _form(
    request: web.Request,
    viewer: Viewer,
    view: SessionView | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> web.Response:
    """The planning form (new or changed), and for a planned session the rest of its page:
    the console while it is on, cancelling, and the summary once it has ended."""
    sessions = request.app[group_sessions_key]
    language = request[language_key]
    accounts = request.app[account_service_key]
    units = {unit.id: unit.name_in(language) for unit in await accounts.organisation.units()}
    staff = await sessions.staff_choices(viewer)
    admin = viewer.role == Role.ADMIN
    now = sessions.now()
    choices = [
        (m.id, f"{m.name} ({units.get(m.unit_id or '', '')})" if admin else m.name) for m in staff
    ]
    context = {
        "view": view,
        "values": values,
        "errors": errors,
        "state": view.state(now) if view else "new",
        "when": session_time(request, view.starts_at, view.ends_at) if view else "",
        "role": view.room_info().role_of(viewer.user_id) if view else None,
        "unit_choices": sorted(units.items(), key=lambda unit: unit[1]) if admin else [],
        "staff_choices": choices,
        "moderator_choices": [(value, label, None) for value, label in choices],
        "languages": LANGUAGES,
        "max_text": MAX_TEXT_LENGTH,
        "notice": NOTICES.get(request.query.get("notice", "")) if not errors else None,
    }
    return render(request, "discussions/staff_session.html", context, status=status)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
