"""The group discussions' app keys, shared by their routes and pages."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from babel.dates import format_date, format_time

from core.app_keys import settings_key
from core.request_keys import language_key
from core.websockets import AddressLimits
from discussions.cluster import Groups
from discussions.rooms import GroupRooms
from discussions.service import GroupSessions

group_sessions_key = web.AppKey("group_sessions", GroupSessions)
group_rooms_key = web.AppKey("group_rooms", GroupRooms)
# Where connections sit in the rooms: this process's, or the instance's that runs them (Redis).
groups_key = web.AppKey("groups", Groups)
# Open sockets and their frames per client address, in memory only (discussions/limits.py).
group_addresses_key = web.AppKey("group_addresses", AddressLimits)
# The browser's group session: a random id in a cookie, so that a removal holds for that
# browser without knowing who or where it is. Never logged; the server keeps only a keyed hash
# of it, in memory, while the session lasts.
GROUP_COOKIE = "kohtaamo_group"


def session_time(request: web.Request, starts_at: datetime, ends_at: datetime) -> str:
    """A session's day and hours as the reader reads them, in the service's zone."""
    zone = request.app[settings_key].zone
    locale = request.get(language_key, "fi")
    day = format_date(starts_at.astimezone(zone).date(), "full", locale=locale)
    start = format_time(starts_at, "short", tzinfo=zone, locale=locale)
    end = format_time(ends_at, "short", tzinfo=zone, locale=locale)
    return f"{day} {start}–{end}"
