"""The client's booking pages (server-rendered, no JavaScript needed), registered together.

booking_flow_pages holds the booking flow (/book …), with its question pages in
booking_steps_pages; manage_pages holds what the manage link reaches (/manage/{token} …).
"""

from __future__ import annotations

from aiohttp import web

from booking import booking_flow_pages, manage_pages


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(booking_flow_pages.keep_confirmations)
    app.router.add_routes(booking_flow_pages.pages)
    app.router.add_routes(manage_pages.pages)
