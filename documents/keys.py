"""The documents package's app key, and a PDF as a download (for its routes and pages)."""

from __future__ import annotations

from aiohttp import web

from core.http import attachment_response
from documents.service import DocumentService

document_service_key = web.AppKey("document_service", DocumentService)


def pdf_response(data: bytes, filename: str) -> web.Response:
    return attachment_response(data, "application/pdf", filename)
