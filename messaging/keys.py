"""The messaging package's app key and the request helpers its routes and pages share: a file
as a download, and reading a form's one attached file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from core.errors import DomainError
from core.http import attachment_response
from core.i18n import N_
from core.uploads import MAX_ATTACHMENT_BYTES, Upload
from messaging.service import MessagingService
from messaging.types import FileDownload

messaging_service_key = web.AppKey("messaging_service", MessagingService)


def file_response(download: FileDownload) -> web.Response:
    return attachment_response(download.data, download.media_type, download.filename)


FILE_FIELD = "file"


class NotMultipart(DomainError):
    status = 415
    title = N_("Send the message with its file as multipart/form-data.")


async def multipart_message(request: web.Request) -> tuple[str, list[Upload]]:
    """A message's words and its one file from a multipart body (the API's file endpoints)."""
    if not request.content_type.startswith("multipart/form-data"):
        raise NotMultipart()
    form = await request.post()
    return text_of(form, "body"), uploads_of(form)


def uploads_of(form: Mapping[str, Any]) -> list[Upload]:
    """The form's one file, if one was chosen (read to one byte over the limit, so an
    oversized file is named as such without reading all of it)."""
    chosen = form.get(FILE_FIELD)
    if not isinstance(chosen, web.FileField) or not chosen.filename:
        return []
    return [Upload(chosen.filename, chosen.file.read(MAX_ATTACHMENT_BYTES + 1))]


def on_form(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors keyed as the form's fields are (a file's problem is the file field's)."""
    return {
        (FILE_FIELD if key.startswith("attachments") else key): message
        for key, message in errors.items()
    }


def text_of(form: Mapping[str, Any], name: str, limit: int = 20000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""
