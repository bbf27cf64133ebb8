"""The caseworker's agenda and calendar settings pages, and the admin's units and meeting types."""

from __future__ import annotations

from aiohttp import web

pages = web.RouteTableDef()


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
