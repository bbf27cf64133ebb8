"""The caseworker's page for their private subscription feed: a secret .ics address of their
bookings for their own calendar app, made anew or stopped."""

from __future__ import annotations

from aiohttp import web

from accounts.keys import staff_page
from calendars.base_pages import notice_of, redirect_to
from calendars.keys import calendar_service_key
from core.app_keys import settings_key
from core.i18n import N_
from core.principal import Role, Viewer
from core.templating import render

pages = web.RouteTableDef()

NOTICES = {
    "feed-stopped": N_("The feed address was stopped. It no longer shows your bookings."),
}


async def _feed_page(
    request: web.Request, viewer: Viewer, feed_url: str | None = None
) -> web.Response:
    context = {
        "has_feed": await request.app[calendar_service_key].has_feed(viewer.user_id),
        "feed_url": feed_url,
        "notice": notice_of(request, NOTICES) if feed_url is None else None,
    }
    return render(request, "calendars/feed.html", context)


@pages.get("/caseworker/calendar/feed", name="calendar_feed_settings")
async def feed_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _feed_page(request, viewer)


@pages.post("/caseworker/calendar/feed", name="calendar_feed_create")
async def feed_create(request: web.Request) -> web.Response:
    """A new feed address, shown on this answer only: it is kept nowhere but as a hash."""
    viewer = staff_page(request, Role.CASEWORKER)
    token = await request.app[calendar_service_key].new_feed_token(viewer, viewer.user_id)
    path = request.app.router["calendar_feed"].url_for(token=token)
    return await _feed_page(request, viewer, f"{request.app[settings_key].base_url}{path}")


@pages.post("/caseworker/calendar/feed/stop", name="calendar_feed_stop")
async def feed_stop(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[calendar_service_key].revoke_feed_token(viewer, viewer.user_id)
    raise redirect_to(request, "calendar_feed_settings", "feed-stopped")
