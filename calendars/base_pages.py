"""What every calendar page builds on: the caseworker's local times, links by route name, and the
303 after a saved form with the notice the next page shows."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from yarl import URL

from calendars.keys import calendar_service_key
from core.local_times import LocalTimes
from core.principal import Viewer
from core.request_keys import language_key


async def caseworker_times(request: web.Request, viewer: Viewer) -> LocalTimes:
    """Times in the caseworker's own zone, formatted in the page language."""
    zone = await request.app[calendar_service_key].time_zone_of(viewer.user_id)
    return LocalTimes.of(zone, request[language_key])


def notice_of(request: web.Request, notices: Mapping[str, str]) -> str | None:
    """The notice a redirect asked for, if it is one of this page's."""
    return notices.get(request.query.get("notice", ""))


def url_of(request: web.Request, name: str, notice: str | None = None, **parts: str) -> URL:
    url = request.app.router[name].url_for(**parts)
    return url.with_query(notice=notice) if notice else url


def redirect_to(request: web.Request, name: str, notice: str, **parts: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url_of(request, name, notice, **parts))
