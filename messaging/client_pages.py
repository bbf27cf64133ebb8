"""The client's messages on their own pages: their threads, writing to a unit they have met,
reading and answering, and the files. Work without JavaScript; only for the identified."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.errors import ValidationFailed
from core.request_keys import language_key
from core.templating import render
from identification.keys import identified_client, providers_key
from identification.service import ClientIdentity
from messaging.keys import file_response, messaging_service_key, on_form, text_of, uploads_of

pages = web.RouteTableDef()
THREAD = "/my/messages/{thread_id:[0-9a-f-]{36}}"


async def _person(request: web.Request) -> ClientIdentity:
    return await identified_client(request, page=True)


@pages.get("/my/messages", name="my_messages")
async def threads(request: web.Request) -> web.Response:
    person = await _person(request)
    found = await request.app[messaging_service_key].client_threads(person)
    return render(request, "messaging/my_threads.html", {"threads": found})


@pages.get("/my/messages/new", name="my_message_new")
async def new_form(request: web.Request) -> web.Response:
    person = await _person(request)
    return await _new_page(request, person, {"unit_id": request.query.get("unit", "")}, {})


@pages.post("/my/messages/new")
async def new_submit(request: web.Request) -> web.Response:
    person = await _person(request)
    form = await request.post()
    values = {name: text_of(form, name) for name in ("unit_id", "subject", "body")}
    # "<unit>" writes to the unit, "<unit>+<caseworker>" to a caseworker met there.
    unit_id, _, caseworker_id = values["unit_id"].partition("+")
    try:
        thread_id = await request.app[messaging_service_key].start_by_client(
            person,
            unit_id,
            values["subject"],
            values["body"],
            uploads_of(form),
            request[language_key],
            caseworker_id=caseworker_id or None,
        )
    except ValidationFailed as error:
        return await _new_page(request, person, values, on_form(error.fields), 422)
    raise web.HTTPSeeOther(f"/my/messages/{thread_id}?sent=1")


async def _new_page(
    request: web.Request,
    person: ClientIdentity,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    addressees = await request.app[messaging_service_key].addressees(person)
    context: dict[str, Any] = {"addressees": addressees, "values": values, "errors": errors}
    return render(request, "messaging/my_new.html", context, status=status)


@pages.get(THREAD, name="my_message_thread")
async def thread_page(request: web.Request) -> web.Response:
    person = await _person(request)
    return await _thread_page(request, person, {}, {})


@pages.post(THREAD)
async def reply_submit(request: web.Request) -> web.Response:
    person = await _person(request)
    form = await request.post()
    body = text_of(form, "body")
    thread_id = request.match_info["thread_id"]
    try:
        await request.app[messaging_service_key].client_reply(
            person, thread_id, body, uploads_of(form), request[language_key]
        )
    except ValidationFailed as error:
        return await _thread_page(request, person, {"body": body}, on_form(error.fields), 422)
    raise web.HTTPSeeOther(f"/my/messages/{thread_id}?sent=1")


async def _thread_page(
    request: web.Request,
    person: ClientIdentity,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    view = await request.app[messaging_service_key].client_thread(
        person, request.match_info["thread_id"]
    )
    context = {"view": view, "values": values, "errors": errors, "sent": "sent" in request.query}
    return render(request, "messaging/my_thread.html", context, status=status)


@pages.get("/my/messages/files/{attachment_id}", name="my_message_file")
async def file_download(request: web.Request) -> web.Response:
    person = await _person(request)
    download = await request.app[messaging_service_key].client_attachment(
        person, request.match_info["attachment_id"]
    )
    return file_response(download)


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
