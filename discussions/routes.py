"""The group discussions' WebSocket and API: one socket for participants and for the session's
host and moderators (known by their staff session cookie), and the public list of sessions.
Protocol: docs/groups.md. This module checks frames and moves them between sockets and the
rooms; the rooms decide."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from accounts.keys import account_service_key
from audit.service import AuditLog
from core.api import ApiRoutes, json_response
from core.app_keys import redis_key, sessions_key, settings_key
from core.data_keys import cipher_for
from core.errors import NotFound
from core.homes import Seat
from core.http import client_address
from core.request_keys import viewer_key
from core.websockets import (
    AddressLimits,
    MessageBucket,
    QueuedSocket,
    Refusal,
    first_text,
    open_socket,
    text_frames,
)
from discussions.cluster import LocalGroups, RedisGroups
from discussions.keys import (
    GROUP_COOKIE,
    group_addresses_key,
    group_rooms_key,
    group_sessions_key,
    groups_key,
)
from discussions.limits import Pace
from discussions.protocol import (
    FRAMES_PER_SECOND,
    HELLO_TIMEOUT_SECONDS,
    MAX_FRAME_BYTES,
    Close,
    Hello,
    Say,
    parse,
)
from discussions.room import Entry
from discussions.rooms import GroupRooms
from discussions.schemas import GroupOut, GroupsOut
from discussions.service import GroupSessions

log = logging.getLogger("kohtaamo.groups")
api = ApiRoutes("group discussions")
HEARTBEAT_SECONDS = 20.0
# What one person says: five at once, then one every two seconds.
SAY_BURST, SAY_EVERY_SECONDS = 5, 2.0


async def groups_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    sessions = GroupSessions(
        app[sessions_key], app[account_service_key], AuditLog(app[sessions_key]), settings.zone
    )
    app[group_sessions_key] = sessions
    # One clock for the sessions and their rooms (a test that moves one moves both).
    rooms = app[group_rooms_key] = GroupRooms(sessions, clock=sessions.now)
    app[group_addresses_key] = AddressLimits(
        settings.chat_connections_per_address, settings.chat_frames_per_address, Close.FLOOD
    )
    redis = app.get(redis_key)
    if redis is None:
        app[groups_key] = LocalGroups(rooms)
    else:
        shared = RedisGroups(rooms, redis, cipher_for(settings))
        await shared.start()
        app[groups_key] = shared
    yield
    await app[groups_key].stop()


async def _tell_rooms_to_reconnect(app: web.Application) -> None:
    """On shutdown: every page is told to reconnect (4503) and resumes where it can."""
    await app[groups_key].close_all(Close.RESTARTING, "restarting")
    await app[group_rooms_key].flush()


def browser_of(request: web.Request) -> str:
    """The keyed hash of the browser's group cookie (the session's page sets one), for
    removals; a browser without one gets a random one that matches nothing."""
    value = request.cookies.get(GROUP_COOKIE) or secrets.token_urlsafe(16)
    key = request.app[settings_key].secret_key.encode()
    return hmac.new(key, b"group browser\0" + value.encode(), hashlib.sha256).hexdigest()


@api.get(
    "/api/v1/groups/ws",
    summary="The group discussions' WebSocket, for participants, hosts and moderators "
    "(docs/groups.md)",
    status=101,
    errors=(400, 403),
)
async def group_socket(request: web.Request) -> web.StreamResponse:
    socket, link = await open_socket(request, heartbeat=HEARTBEAT_SECONDS, max_size=MAX_FRAME_BYTES)
    seat: Seat | None = None
    try:
        with _address_limit(request) as shared:
            hello = await _hello(socket)
            entry = await _entry(request, hello)
            seat = await request.app[groups_key].enter(entry, link)
            await _frames(socket, seat, link, shared)
    except Refusal as refusal:
        link.close(refusal.code, refusal.reason)
    except Exception:
        log.exception("group discussion connection failed")
        link.close(Close.SERVER_ERROR, "server error")
    finally:
        if seat is not None:
            seat.disconnected()
        await link.finish()
    return socket


def _address_limit(request: web.Request) -> contextlib.AbstractContextManager[MessageBucket]:
    """Logged-in staff are not counted against their address (an office shares one)."""
    if request.get(viewer_key) is not None:
        frames = request.app[settings_key].chat_frames_per_address
        return contextlib.nullcontext(MessageBucket(frames, Close.FLOOD))
    limits: AddressLimits = request.app[group_addresses_key]
    return limits.hold(client_address(request))


async def _hello(socket: web.WebSocketResponse) -> Hello:
    message = parse(await first_text(socket, within=HELLO_TIMEOUT_SECONDS))
    if not isinstance(message, Hello):
        raise Refusal(Close.MALFORMED, "the first message must be hello")
    return message


async def _entry(request: web.Request, hello: Hello) -> Entry:
    sessions: GroupSessions = request.app[group_sessions_key]
    try:
        view = await sessions.session(hello.session)
    except NotFound:
        raise Refusal(Close.NO_SESSION, "no such session") from None
    viewer = request.get(viewer_key)
    return Entry(
        info=view.room_info(),
        nickname=hello.nickname,
        resume=hello.resume,
        seen=hello.seen,
        browser=browser_of(request),
        staff_id=viewer.user_id if viewer else None,
        staff_name=viewer.name if viewer else "",
    )


async def _frames(
    socket: web.WebSocketResponse,
    seat: Seat,
    link: QueuedSocket,
    shared: MessageBucket,
) -> None:
    bucket = MessageBucket(FRAMES_PER_SECOND, Close.FLOOD)
    pace = Pace(SAY_BURST, SAY_EVERY_SECONDS)
    async for raw in text_frames(socket, bucket, shared):
        message = parse(raw)
        if isinstance(message, Hello):
            raise Refusal(Close.MALFORMED, "hello may be sent only once")
        if isinstance(message, Say) and not pace.allows():
            link.send(_error("slow-down", "wait a moment before writing again"))
            continue
        seat.handle(message, raw, {})


def _error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail}


# ---- the API ------------------------------------------------------------------------------------


@api.get(
    "/api/v1/groups",
    summary="Group discussions going on or to come, and past ones with the host's summary",
    response=GroupsOut,
)
async def api_groups(request: web.Request) -> web.Response:
    sessions = request.app[group_sessions_key]
    now = sessions.now()
    upcoming = [GroupOut.of(view, now) for view in await sessions.upcoming()]
    past = [GroupOut.of(view, now) for view in await sessions.past_with_summary()]
    return json_response(GroupsOut(upcoming=upcoming, past=past))


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(groups_context)
    app.on_shutdown.append(_tell_rooms_to_reconnect)
    app.router.add_routes(api.table)
