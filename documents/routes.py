"""The shared documents API: the caseworker shares a summary of a booking's meeting (PDFs from
the page's form) and exports one for filing; the identified client lists and reads theirs.
Registered by ``setup(app)`` (server.create_app) only when identification is on."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import current_viewer
from audit.service import AuditLog
from booking.keys import booking_service_key, listen_to_removals
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import person_hasher_key, sessions_key, settings_key
from core.data_keys import cipher_for
from core.files import EncryptedFiles, PurposeCipher
from core.http import json_download
from core.principal import Role
from core.request_keys import language_key
from core.settings import Settings
from documents.keys import document_service_key, pdf_response
from documents.records import DocumentRecords
from documents.schemas import CreatedOut, DocumentOut, DocumentsOut, SummaryIn
from documents.service import DocumentService, DocumentsOfRemovedBookings
from identification.keys import identified_client, providers_key

api = ApiRoutes("shared documents")
CLIENT_SESSION = ("clientSession",)
STAFF_SESSION = ("session",)


def document_files(settings: Settings) -> EncryptedFiles:
    return EncryptedFiles(
        settings.file_store / "documents", PurposeCipher(cipher_for(settings), "documents")
    )


async def documents_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    app[document_service_key] = DocumentService(
        app[sessions_key],
        app[booking_service_key],
        AuditLog(app[sessions_key]),
        document_files(settings),
        DocumentRecords(lambda: app[person_hasher_key], enabled=bool(settings.records_webhook_url)),
    )
    yield


@api.get(
    "/api/v1/my/documents",
    summary="Documents caseworkers have shared with the identified client",
    response=DocumentsOut,
    auth=CLIENT_SESSION,
)
async def api_my_documents(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    found = await request.app[document_service_key].of_person(person)
    language = request[language_key]
    return json_response(DocumentsOut(documents=[DocumentOut.of(d, language) for d in found]))


@api.get(
    "/api/v1/my/documents/{document_id}",
    summary="One shared document (the read is recorded)",
    response=DocumentOut,
    auth=CLIENT_SESSION,
)
async def api_my_document(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    view, _data = await request.app[document_service_key].read_by_client(
        person, request.match_info["document_id"]
    )
    return json_response(DocumentOut.of(view, request[language_key]))


@api.get(
    "/api/v1/my/documents/{document_id}/file",
    summary="A shared PDF's contents (the read is recorded)",
    auth=CLIENT_SESSION,
)
async def api_my_document_file(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    _view, data = await request.app[document_service_key].read_by_client(
        person, request.match_info["document_id"]
    )
    if data is None:
        raise web.HTTPNotFound()
    return pdf_response(data, "kohtaamo-document.pdf")


@api.get(
    "/api/v1/bookings/{booking_id}/documents",
    summary="The documents shared with the booking's client, and whether they were read",
    response=DocumentsOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_booking_documents(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    found = await request.app[document_service_key].of_booking(
        viewer, request.match_info["booking_id"]
    )
    language = request[language_key]
    return json_response(DocumentsOut(documents=[DocumentOut.of(d, language) for d in found]))


@api.post(
    "/api/v1/bookings/{booking_id}/documents",
    summary="Share a written summary of the meeting with the booking's identified client",
    body=SummaryIn,
    response=CreatedOut,
    status=201,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_share_summary(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    body = await parse_body(request, SummaryIn)
    document_id = await request.app[document_service_key].share(
        viewer, request.match_info["booking_id"], body.title, body.summary
    )
    return json_response(CreatedOut(id=document_id), status=201)


@api.get(
    "/api/v1/documents/{document_id}/export",
    summary="The shared document, for filing in the client record system",
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_document_export(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    exported = await request.app[document_service_key].export(
        viewer, request.match_info["document_id"]
    )
    return json_download(exported, f"kohtaamo-document-{request.match_info['document_id']}.json")


def setup(app: web.Application) -> None:
    # Retention removes a booking's documents whether or not identification is on now.
    listen_to_removals(app, DocumentsOfRemovedBookings(document_files(app[settings_key])))
    if not app.get(providers_key):
        return
    app.cleanup_ctx.append(documents_context)
    app.router.add_routes(api.table)
