"""The secure messages API: the identified client's threads (``/api/v1/my/threads``, client
session) and the unit's inbox (``/api/v1/threads``, staff session). Registered by
``setup(app)`` (server.create_app) only when identification is on; attachments are sent from
the pages (multipart forms) and downloaded here or there."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import account_service_key, current_viewer
from audit.service import AuditLog
from booking.keys import booking_service_key
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import person_hasher_key, sessions_key, settings_key
from core.data_keys import cipher_for
from core.files import EncryptedFiles, PurposeCipher
from core.http import json_download
from core.principal import Role
from core.request_keys import language_key
from core.settings import Settings
from identification.keys import identified_client, providers_key
from identification.service import ClientIdentity
from messaging.keys import file_response, messaging_service_key, multipart_message
from messaging.notices import MessageNotices
from messaging.retention import MessageRetention
from messaging.schemas import (
    AddresseeOut,
    AddresseesOut,
    AssignIn,
    CreatedOut,
    MessageIn,
    StaffMessageIn,
    StaffThreadIn,
    ThreadDetailOut,
    ThreadIn,
    ThreadOut,
    ThreadsOut,
)
from messaging.service import MessagingService
from notifications.keys import add_retention_task

api = ApiRoutes("messages")
CLIENT_SESSION = ("clientSession",)
STAFF_SESSION = ("session",)
STAFF = (Role.CASEWORKER, Role.INTAKE)


def message_files(settings: Settings) -> EncryptedFiles:
    return EncryptedFiles(
        settings.file_store / "messages", PurposeCipher(cipher_for(settings), "messages")
    )


async def messaging_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    files = message_files(settings)
    app[messaging_service_key] = MessagingService(
        app[sessions_key],
        app[account_service_key],
        app[booking_service_key],
        AuditLog(app[sessions_key]),
        files,
        lambda: app[person_hasher_key],
        MessageNotices(
            lambda: app[person_hasher_key],
            settings.base_url,
            settings.default_language,
            records_system=bool(settings.records_webhook_url),
        ),
        country=settings.jurisdiction,
        zone_of_day=lambda moment: moment.astimezone(settings.zone).date(),
    )
    yield


async def identified(request: web.Request) -> ClientIdentity:
    return await identified_client(request, page=False)


# ---- the client -----------------------------------------------------------------------------


@api.get(
    "/api/v1/my/threads",
    summary="The identified client's message threads, newest first",
    response=ThreadsOut,
    auth=CLIENT_SESSION,
)
async def api_my_threads(request: web.Request) -> web.Response:
    threads = await request.app[messaging_service_key].client_threads(await identified(request))
    language = request[language_key]
    return json_response(
        ThreadsOut(threads=[ThreadOut.of(t, language, for_staff=False) for t in threads])
    )


@api.get(
    "/api/v1/my/addressees",
    summary="Whom the client may write to: units they have met, each with the caseworkers met",
    response=AddresseesOut,
    auth=CLIENT_SESSION,
)
async def api_my_addressees(request: web.Request) -> web.Response:
    found = await request.app[messaging_service_key].addressees(await identified(request))
    language = request[language_key]
    return json_response(AddresseesOut(addressees=[AddresseeOut.of(a, language) for a in found]))


@api.post(
    "/api/v1/my/threads",
    summary="Write to a unit the client has met, or to a caseworker met there",
    body=ThreadIn,
    response=CreatedOut,
    status=201,
    auth=CLIENT_SESSION,
    errors=(429,),
)
async def api_start_thread(request: web.Request) -> web.Response:
    person = await identified(request)
    body = await parse_body(request, ThreadIn)
    thread_id = await request.app[messaging_service_key].start_by_client(
        person,
        body.unit_id,
        body.subject,
        body.body,
        language=request[language_key],
        caseworker_id=body.caseworker_id,
    )
    return json_response(CreatedOut(id=thread_id), status=201)


@api.get(
    "/api/v1/my/threads/{thread_id}",
    summary="One of the client's threads with its messages (marks it read)",
    response=ThreadDetailOut,
    auth=CLIENT_SESSION,
)
async def api_my_thread(request: web.Request) -> web.Response:
    view = await request.app[messaging_service_key].client_thread(
        await identified(request), request.match_info["thread_id"]
    )
    return json_response(ThreadDetailOut.of(view, request[language_key], for_staff=False))


@api.post(
    "/api/v1/my/threads/{thread_id}/messages",
    summary="The client writes again in a thread",
    body=MessageIn,
    status=204,
    auth=CLIENT_SESSION,
    errors=(429,),
)
async def api_my_reply(request: web.Request) -> web.Response:
    person = await identified(request)
    body = await parse_body(request, MessageIn)
    await request.app[messaging_service_key].client_reply(
        person, request.match_info["thread_id"], body.body, language=request[language_key]
    )
    return web.Response(status=204)


@api.post(
    "/api/v1/my/threads/{thread_id}/files",
    summary="The client writes with a file (multipart/form-data: body, file)",
    status=204,
    auth=CLIENT_SESSION,
    errors=(413, 415, 422, 429),
)
async def api_my_reply_with_file(request: web.Request) -> web.Response:
    person = await identified(request)
    body, uploads = await multipart_message(request)
    await request.app[messaging_service_key].client_reply(
        person, request.match_info["thread_id"], body, uploads, language=request[language_key]
    )
    return web.Response(status=204)


@api.get(
    "/api/v1/my/attachments/{attachment_id}",
    summary="A file in one of the client's threads",
    auth=CLIENT_SESSION,
)
async def api_my_attachment(request: web.Request) -> web.Response:
    download = await request.app[messaging_service_key].client_attachment(
        await identified(request), request.match_info["attachment_id"]
    )
    return file_response(download)


# ---- the unit -------------------------------------------------------------------------------


@api.get(
    "/api/v1/threads",
    summary="The unit's inbox: open threads, unanswered first",
    response=ThreadsOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_inbox(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    show = "closed" if request.query.get("status") == "closed" else "open"
    threads = await request.app[messaging_service_key].inbox(viewer, show=show)
    language = request[language_key]
    return json_response(
        ThreadsOut(threads=[ThreadOut.of(t, language, for_staff=True) for t in threads])
    )


@api.post(
    "/api/v1/threads",
    summary="Start a thread to a person by identity code",
    body=StaffThreadIn,
    response=CreatedOut,
    status=201,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_staff_start(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    body = await parse_body(request, StaffThreadIn)
    thread_id = await request.app[messaging_service_key].start_by_staff(
        viewer, body.identity_code, body.subject, body.body
    )
    return json_response(CreatedOut(id=thread_id), status=201)


@api.get(
    "/api/v1/threads/{thread_id}",
    summary="A thread of the unit with its messages and internal notes",
    response=ThreadDetailOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_staff_thread(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    view = await request.app[messaging_service_key].staff_thread(
        viewer, request.match_info["thread_id"]
    )
    return json_response(ThreadDetailOut.of(view, request[language_key], for_staff=True))


@api.post(
    "/api/v1/threads/{thread_id}/messages",
    summary="Answer the client, or write an internal note",
    body=StaffMessageIn,
    status=204,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_staff_reply(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    body = await parse_body(request, StaffMessageIn)
    await request.app[messaging_service_key].staff_reply(
        viewer, request.match_info["thread_id"], body.body, note=body.note
    )
    return web.Response(status=204)


@api.post(
    "/api/v1/threads/{thread_id}/files",
    summary="Answer the client with a file (multipart/form-data: body, file)",
    status=204,
    auth=STAFF_SESSION,
    errors=(403, 413, 415, 422),
)
async def api_staff_reply_with_file(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    body, uploads = await multipart_message(request)
    await request.app[messaging_service_key].staff_reply(
        viewer, request.match_info["thread_id"], body, uploads
    )
    return web.Response(status=204)


@api.post(
    "/api/v1/threads/{thread_id}/assign",
    summary="Assign the thread to a worker of the unit (or to nobody)",
    body=AssignIn,
    status=204,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_assign(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    body = await parse_body(request, AssignIn)
    await request.app[messaging_service_key].assign(
        viewer, request.match_info["thread_id"], body.user_id
    )
    return web.Response(status=204)


@api.post(
    "/api/v1/threads/{thread_id}/close",
    summary="Close the thread (the client writing again reopens it)",
    status=204,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_close(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    await request.app[messaging_service_key].close(viewer, request.match_info["thread_id"])
    return web.Response(status=204)


@api.get(
    "/api/v1/threads/{thread_id}/export",
    summary="The whole thread with its files, for filing in the client record system",
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_thread_export(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    exported = await request.app[messaging_service_key].export(
        viewer, request.match_info["thread_id"]
    )
    return json_download(exported, f"kohtaamo-thread-{request.match_info['thread_id']}.json")


@api.get(
    "/api/v1/thread-attachments/{attachment_id}",
    summary="A file in a thread of the unit",
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_staff_attachment(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF)
    download = await request.app[messaging_service_key].staff_attachment(
        viewer, request.match_info["attachment_id"]
    )
    return file_response(download)


def setup(app: web.Application) -> None:
    settings = app[settings_key]

    def retention() -> MessageRetention:  # the database is there once the app has started
        files = message_files(settings)
        return MessageRetention(
            app[sessions_key],
            files,
            settings.message_retention_days,
            app[account_service_key].organisation,
        )

    # Closed threads go whether or not identification is on now.
    add_retention_task(app, "closed message threads", lambda: retention().delete_expired())
    """The API, when identification is on (clients must be identified); the pages register
    themselves the same way (messaging/client_pages.py, staff_pages.py)."""
    if not app.get(providers_key):
        return
    app.cleanup_ctx.append(messaging_context)
    app.router.add_routes(api.table)
