"""The documents package's app key, and a PDF as a download (for its routes and pages)."""

from __future__ import annotations

from aiohttp import web

from documents.service import DocumentService

document_service_key = web.AppKey("document_service", DocumentService)


def pdf_response(data: bytes, filename: str) -> web.Response:
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
