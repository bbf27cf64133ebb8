"""The advice chat's WebSockets and API: the person's socket (anonymous, or identified by
choice), the worker's console socket, the list of services, and the admin's settings and
statistics. Protocol: docs/chat.md. This module moves frames between sockets and the desk."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import datetime

from aiohttp import web

from accounts.keys import account_service_key, current_viewer
from chat.cluster import LocalDesks, PersonEntry, RedisDesks, WorkerEntry, duty_extra
from chat.desk import ChatDesk
from chat.desk_state import ChatIdentity
from chat.keys import (
    CHAT_COOKIE,
    chat_addresses_key,
    chat_desk_key,
    chat_desks_key,
    chat_services_key,
)
from chat.protocol import (
    HELLO_TIMEOUT_SECONDS,
    MAX_FRAME_BYTES,
    MESSAGES_PER_SECOND,
    Close,
    Duty,
    Hello,
    parse_person,
    parse_worker,
)
from chat.schemas import (
    AdminServiceOut,
    MonthQuery,
    ServiceIn,
    ServiceOut,
    ServicesOut,
    StatisticsOut,
    TopicCountOut,
)
from chat.service import ChatServices, ServiceView
from core.api import ApiRoutes, json_response, parse_body, parse_query
from core.app_keys import redis_key, sessions_key, settings_key
from core.data_keys import cipher_for
from core.errors import Forbidden, NotAuthenticated, NotFound
from core.homes import Seat
from core.http import client_address
from core.principal import Role
from core.request_keys import language_key
from core.websockets import (
    AddressLimits,
    MessageBucket,
    QueuedSocket,
    Refusal,
    first_text,
    open_socket,
    text_frames,
)
from identification.keys import client_identity
from messaging.keys import messaging_service_key

log = logging.getLogger("kohtaamo.chat")
api = ApiRoutes("advice chat")
STAFF_SESSION = ("session",)
HEARTBEAT_SECONDS = 20.0


async def chat_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    services = ChatServices.for_settings(app[sessions_key], settings)
    app[chat_services_key] = services
    app[chat_addresses_key] = AddressLimits(
        settings.chat_connections_per_address, settings.chat_frames_per_address, Close.FLOOD
    )
    desk = app[chat_desk_key] = ChatDesk(
        services, keeper=lambda: app.get(messaging_service_key), zone=settings.zone
    )
    redis = app.get(redis_key)
    if redis is None:
        app[chat_desks_key] = LocalDesks(desk)
    else:
        shared = RedisDesks(desk, redis, cipher_for(settings))
        await shared.start()
        app[chat_desks_key] = shared
    yield
    await app[chat_desks_key].stop()


async def _tell_chats_to_reconnect(app: web.Application) -> None:
    """On shutdown: every page reconnects (4503) and resumes where it was."""
    await app[chat_desks_key].close_all(Close.RESTARTING, "restarting")
    await app[chat_desk_key].flush()


def browser_session(request: web.Request) -> str:
    """The browser's chat cookie (the chat page sets one) hashed with the service's secret key,
    for blocks: the same on every instance, and nothing to recover a cookie from."""
    value = request.cookies.get(CHAT_COOKIE) or secrets.token_urlsafe(16)
    key = request.app[settings_key].secret_key.encode()
    return hmac.new(key, b"chat browser\0" + value.encode(), hashlib.sha256).hexdigest()


# ---- the person's socket ----------------------------------------------------------------------


@api.get(
    "/api/v1/chat/ws",
    summary="The advice chat's WebSocket for a person asking for advice (docs/chat.md)",
    status=101,
    errors=(400, 403),
)
async def person_socket(request: web.Request) -> web.StreamResponse:
    socket, link = await _open(request)
    seat: Seat | None = None
    try:
        with request.app[chat_addresses_key].hold(client_address(request)) as shared:
            hello = await _hello(socket, person=True)
            seat = await _enter_as_person(request, link, hello)
            await _person_frames(socket, seat, shared)
    except Refusal as refusal:
        link.close(refusal.code, refusal.reason)
    except Exception:
        log.exception("chat connection failed")
        link.close(Close.SERVER_ERROR, "server error")
    finally:
        if seat is not None:
            seat.disconnected()
        await link.finish()
    return socket


async def _person_frames(socket: web.WebSocketResponse, seat: Seat, shared: MessageBucket) -> None:
    """``shared``: the frames of all of this address's sockets together."""
    bucket = MessageBucket(MESSAGES_PER_SECOND, Close.FLOOD)
    async for raw in text_frames(socket, bucket, shared):
        message = parse_person(raw)
        if isinstance(message, Hello):
            raise Refusal(Close.MALFORMED, "hello may be sent only once")
        seat.handle(message, raw, {})


async def _enter_as_person(request: web.Request, link: QueuedSocket, hello: Hello) -> Seat:
    services = request.app[chat_services_key]
    try:
        service = await services.by_slug(hello.service or "")
    except NotFound:
        raise Refusal(Close.NO_SERVICE, "no such chat") from None
    identity = await client_identity(request) if hello.identified else None
    entry = PersonEntry(
        service.info,
        resume=hello.resume,
        seen=hello.seen,
        session_hash=browser_session(request),
        language=request[language_key],
        identity=None
        if identity is None
        else ChatIdentity(identity.identity_hash, identity.name, identity.identity_code),
        open_now=services.is_open(service),
    )
    return await request.app[chat_desks_key].person(entry, link)


# ---- the worker's socket ----------------------------------------------------------------------


@api.get(
    "/api/v1/chat/staff/ws",
    summary="The advice chat's WebSocket for a worker's console (docs/chat.md)",
    status=101,
    errors=(400, 403),
    auth=STAFF_SESSION,
)
async def worker_socket(request: web.Request) -> web.StreamResponse:
    try:
        viewer = current_viewer(request, Role.CASEWORKER, Role.INTAKE)
        unit_id = await request.app[account_service_key].unit_of(
            viewer, Role.CASEWORKER, Role.INTAKE
        )
    except NotAuthenticated:
        raise web.HTTPUnauthorized() from None
    except Forbidden:
        raise web.HTTPForbidden() from None
    socket, link = await _open(request)
    seat: Seat | None = None
    try:
        await _hello(socket, person=False)
        entry = WorkerEntry(viewer.user_id, viewer.name, unit_id)
        seat = await request.app[chat_desks_key].worker(entry, link)
        bucket = MessageBucket(MESSAGES_PER_SECOND, Close.FLOOD)
        async for raw in text_frames(socket, bucket):
            message = parse_worker(raw)
            if isinstance(message, Hello):
                raise Refusal(Close.MALFORMED, "hello may be sent only once")
            extra = (
                duty_extra([view.info for view in await _services(request)])
                if isinstance(message, Duty)
                else {}
            )
            seat.handle(message, raw, extra)
    except Refusal as refusal:
        link.close(refusal.code, refusal.reason)
    except Exception:
        log.exception("chat console connection failed")
        link.close(Close.SERVER_ERROR, "server error")
    finally:
        if seat is not None:
            seat.disconnected()
        await link.finish()
    return socket


# ---- both --------------------------------------------------------------------------------------


async def _open(request: web.Request) -> tuple[web.WebSocketResponse, QueuedSocket]:
    return await open_socket(request, heartbeat=HEARTBEAT_SECONDS, max_size=MAX_FRAME_BYTES)


async def _hello(socket: web.WebSocketResponse, *, person: bool) -> Hello:
    raw = await first_text(socket, within=HELLO_TIMEOUT_SECONDS)
    message = parse_person(raw) if person else parse_worker(raw)
    if not isinstance(message, Hello):
        raise Refusal(Close.MALFORMED, "the first message must be hello")
    return message


async def _services(request: web.Request) -> list[ServiceView]:
    return [view for view in await request.app[chat_services_key].services() if view.active]


# ---- the API ------------------------------------------------------------------------------------


async def _admin_out(request: web.Request, view: ServiceView) -> AdminServiceOut:
    public = _service_out(request, view, await request.app[chat_desks_key].counts())
    answers = [{"title": a.title, "text": a.text} for a in view.saved_answers]
    return AdminServiceOut(**public.model_dump(), saved_answers=answers)


def _service_out(
    request: web.Request, view: ServiceView, counts: dict[str, tuple[int, int]]
) -> ServiceOut:
    on_duty, waiting = counts.get(view.info.id, (0, 0))
    return ServiceOut.of(
        view,
        open_now=request.app[chat_services_key].is_open(view),
        on_duty=on_duty,
        waiting=waiting,
    )


@api.get(
    "/api/v1/chat/services",
    summary="The advice chats, and whether each is open now",
    response=ServicesOut,
)
async def api_services(request: web.Request) -> web.Response:
    found = await _services(request)
    counts = await request.app[chat_desks_key].counts()
    return json_response(
        ServicesOut(services=[_service_out(request, view, counts) for view in found])
    )


@api.post(
    "/api/v1/admin/chat/services",
    summary="Add an advice chat",
    body=ServiceIn,
    response=AdminServiceOut,
    status=201,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_add_service(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    body = await parse_body(request, ServiceIn)
    view = await request.app[chat_services_key].save_service(viewer, body.model_dump())
    return json_response(await _admin_out(request, view), status=201)


@api.put(
    "/api/v1/admin/chat/services/{service_id}",
    summary="Change an advice chat: its names, hours, phone, capacity and saved answers",
    body=ServiceIn,
    response=AdminServiceOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_change_service(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    body = await parse_body(request, ServiceIn)
    view = await request.app[chat_services_key].save_service(
        viewer, body.model_dump(), request.match_info["service_id"][:36]
    )
    return json_response(await _admin_out(request, view))


@api.get(
    "/api/v1/admin/chat/statistics",
    summary="Ended chats of a month by service and topic (fewer than five not shown)",
    query=MonthQuery,
    response=StatisticsOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_statistics(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    query = parse_query(request, MonthQuery)
    first = datetime.fromisoformat(f"{query.month}-01T00:00:00+00:00")
    counts = await request.app[chat_services_key].month(viewer, first)
    return json_response(
        StatisticsOut(month=query.month, counts=[TopicCountOut.of(count) for count in counts])
    )


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(chat_context)
    app.on_shutdown.append(_tell_chats_to_reconnect)
    app.router.add_routes(api.table)
