"""The client's booking pages and the manage page (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from aiohttp import web

pages = web.RouteTableDef()


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
