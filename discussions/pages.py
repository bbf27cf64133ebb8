"""The group discussions' public pages: the list of sessions, and each session's page (what,
when, who hosts, the rules, then the live room while it is on, which needs JavaScript, and the
host's summary afterwards)."""

from __future__ import annotations

import secrets

from aiohttp import web

from core.app_keys import settings_key
from core.templating import render
from discussions.keys import GROUP_COOKIE, group_sessions_key, groups_key, session_time
from discussions.protocol import MAX_TEXT_LENGTH

pages = web.RouteTableDef()
SESSION = "/groups/{session_id:[0-9a-f-]{36}}"


@pages.get("/groups", name="groups")
async def group_list(request: web.Request) -> web.Response:
    sessions = request.app[group_sessions_key]
    now = sessions.now()
    upcoming = await sessions.upcoming()
    past = await sessions.past_with_summary()
    context = {
        "upcoming": [
            (view, session_time(request, view.starts_at, view.ends_at)) for view in upcoming
        ],
        "on_now": {view.id for view in upcoming if view.is_on(now)},
        "past": [(view, session_time(request, view.starts_at, view.ends_at)) for view in past],
    }
    return render(request, "discussions/list.html", context)


@pages.get(SESSION, name="group")
async def group_page(request: web.Request) -> web.Response:
    sessions = request.app[group_sessions_key]
    view = await sessions.session(request.match_info["session_id"])
    settings = request.app[settings_key]
    context = {
        "view": view,
        "state": view.state(sessions.now()),
        "when": session_time(request, view.starts_at, view.ends_at),
        "present": (await request.app[groups_key].present()).get(view.id, 0),
        "max_text": MAX_TEXT_LENGTH,
    }
    response = render(request, "discussions/session.html", context)
    if GROUP_COOKIE not in request.cookies:
        response.set_cookie(
            GROUP_COOKIE,
            secrets.token_urlsafe(16),
            httponly=True,
            samesite="Strict",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
