"""Concern reports: the public report, the intake API and pages (being built, issue 7)."""

from __future__ import annotations

from aiohttp import web

from core.api import ApiRoutes

api = ApiRoutes("reports")


def setup(app: web.Application) -> None:
    app.router.add_routes(api.table)
