"""The calendar pages, one module per flow: the caseworker's settings (settings_pages.py),
calendar imports (import_pages.py), meeting types with the admin's units
(meeting_type_pages.py) and the subscription feed (feed_pages.py). The agenda and a booking's
pages are in the agenda package."""

from __future__ import annotations

from aiohttp import web

from calendars import feed_pages, import_pages, meeting_type_pages, settings_pages


def setup(app: web.Application) -> None:
    for flow in (settings_pages, import_pages, meeting_type_pages, feed_pages):
        app.router.add_routes(flow.pages)
