"""The unit's inbox for caseworkers and intake workers: open and closed threads, unanswered
first with the time against the unit's answer target; a thread with the client's messages,
the answers and the internal notes; answering, noting, assigning and closing; writing to a
person by identity code."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.keys import staff_page
from core.errors import ValidationFailed
from core.http import json_download
from core.i18n import N_
from core.principal import Role, Viewer
from core.templating import render
from identification.keys import providers_key
from messaging.keys import (
    file_response,
    messaging_service_key,
    on_form,
    text_of,
    uploads_of,
)

pages = web.RouteTableDef()
STAFF = (Role.CASEWORKER, Role.INTAKE)
THREAD = "/staff/messages/{thread_id:[0-9a-f-]{36}}"
NOTICES = {
    "sent": N_("Your message was sent. The client is told there is a new message."),
    "noted": N_("The internal note was saved. The client does not see it."),
    "assigned": N_("The assignment was saved."),
    "closed": N_("The thread was closed."),
}


@pages.get("/staff/messages", name="staff_messages")
async def inbox(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    show = "closed" if request.query.get("status") == "closed" else "open"
    service = request.app[messaging_service_key]
    threads = await service.inbox(viewer, show=show)
    context = {"threads": threads, "show": show, "today": service.today()}
    return render(request, "messaging/inbox.html", context)


@pages.get("/staff/messages/new", name="staff_message_new")
async def new_form(request: web.Request) -> web.Response:
    staff_page(request, *STAFF)
    return render(request, "messaging/staff_new.html", {"values": {}, "errors": {}})


@pages.post("/staff/messages/new")
async def new_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    form = await request.post()
    values = {name: text_of(form, name) for name in ("identity_code", "subject", "body")}
    try:
        thread_id = await request.app[messaging_service_key].start_by_staff(
            viewer, values["identity_code"], values["subject"], values["body"]
        )
    except ValidationFailed as error:
        context = {"values": values, "errors": error.fields}
        return render(request, "messaging/staff_new.html", context, status=422)
    raise web.HTTPSeeOther(f"/staff/messages/{thread_id}?notice=sent")


@pages.get(THREAD, name="staff_message_thread")
async def thread_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    return await _thread_page(request, viewer, {}, {})


@pages.post(THREAD)
async def thread_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    form = await request.post()
    thread_id = request.match_info["thread_id"]
    service = request.app[messaging_service_key]
    action = text_of(form, "action", 20)
    body = text_of(form, "body")
    try:
        if action == "assign":
            await service.assign(viewer, thread_id, text_of(form, "assigned_to", 36) or None)
        elif action == "close":
            await service.close(viewer, thread_id)
        else:
            note = action == "note"
            await service.staff_reply(viewer, thread_id, body, uploads_of(form), note=note)
            action = "noted" if note else "sent"
    except ValidationFailed as error:
        return await _thread_page(request, viewer, {"body": body}, on_form(error.fields), 422)
    notice = {"assign": "assigned", "close": "closed"}.get(action, action)
    raise web.HTTPSeeOther(f"/staff/messages/{thread_id}?notice={notice}")


async def _thread_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    service = request.app[messaging_service_key]
    view = await service.staff_thread(viewer, request.match_info["thread_id"])
    context: dict[str, Any] = {
        "view": view,
        "worker_choices": [(w.id, w.name) for w in await service.workers(viewer)],
        "values": values,
        "errors": errors,
        "notice": NOTICES.get(request.query.get("notice", "")),
        "today": service.today(),
    }
    return render(request, "messaging/staff_thread.html", context, status=status)


@pages.get(THREAD + "/export.json", name="staff_message_export")
async def export_download(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    thread_id = request.match_info["thread_id"]
    exported = await request.app[messaging_service_key].export(viewer, thread_id)
    return json_download(exported, f"kohtaamo-thread-{thread_id}.json")


@pages.get("/staff/messages/files/{attachment_id}", name="staff_message_file")
async def file_download(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF)
    download = await request.app[messaging_service_key].staff_attachment(
        viewer, request.match_info["attachment_id"]
    )
    return file_response(download)


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
