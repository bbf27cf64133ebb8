"""Shared documents' pages: the caseworker's list and sharing form for one booking, and the
identified client's documents on their own pages. Work without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.keys import staff_page
from core.errors import ValidationFailed
from core.http import json_download
from core.i18n import N_
from core.principal import Role
from core.templating import render
from core.uploads import MAX_ATTACHMENT_BYTES, Upload
from documents.keys import document_service_key, pdf_response
from identification.keys import identified_client, providers_key

pages = web.RouteTableDef()
BOOKING = "/caseworker/bookings/{booking_id:[0-9a-f-]{36}}/documents"
DOCUMENT = "/my/documents/{document_id:[0-9a-f-]{36}}"
NOTICES = {"shared": N_("The document was shared. The client sees it on their own pages.")}


@pages.get(BOOKING, name="caseworker_documents")
async def booking_documents(request: web.Request) -> web.Response:
    staff_page(request, Role.CASEWORKER)
    return await _booking_page(request, {}, {})


@pages.post(BOOKING)
async def share(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    values = {name: str(form.get(name, ""))[:40000] for name in ("title", "summary")}
    chosen = form.get("file")
    upload = None
    if isinstance(chosen, web.FileField) and chosen.filename:
        upload = Upload(chosen.filename, chosen.file.read(MAX_ATTACHMENT_BYTES + 1))
    booking_id = request.match_info["booking_id"]
    try:
        await request.app[document_service_key].share(
            viewer, booking_id, values["title"], values["summary"], upload
        )
    except ValidationFailed as error:
        return await _booking_page(request, values, error.fields, 422)
    raise web.HTTPSeeOther(f"/caseworker/bookings/{booking_id}/documents?notice=shared")


async def _booking_page(
    request: web.Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    documents = await request.app[document_service_key].of_booking(viewer, booking_id)
    context: dict[str, Any] = {
        "booking_id": booking_id,
        "documents": documents,
        "values": values,
        "errors": errors,
        "notice": NOTICES.get(request.query.get("notice", "")),
    }
    return render(request, "documents/booking_documents.html", context, status=status)


@pages.get("/caseworker/documents/{document_id:[0-9a-f-]{36}}/export.json")
async def export(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    document_id = request.match_info["document_id"]
    exported = await request.app[document_service_key].export(viewer, document_id)
    return json_download(exported, f"kohtaamo-document-{document_id}.json")


@pages.get("/my/documents", name="my_documents")
async def my_documents(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    documents = await request.app[document_service_key].of_person(person)
    return render(request, "documents/my_documents.html", {"documents": documents})


@pages.get(DOCUMENT, name="my_document")
async def my_document(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    view, _data = await request.app[document_service_key].read_by_client(
        person, request.match_info["document_id"]
    )
    return render(request, "documents/my_document.html", {"document": view})


@pages.get(DOCUMENT + "/file", name="my_document_file")
async def my_document_file(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    view, data = await request.app[document_service_key].read_by_client(
        person, request.match_info["document_id"]
    )
    if data is None:
        raise web.HTTPNotFound()
    return pdf_response(data, view.filename or "kohtaamo.pdf")


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
