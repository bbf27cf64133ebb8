"""The meeting room's WebSocket, the connection test and the host's meeting API.

The protocol is docs/signaling.md; its messages are checked in ``video.signaling`` and handled in
``video.rooms``. This module only moves frames between the socket and the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from accounts.keys import current_viewer
from booking.keys import booking_service_key, limit_public, listen_to_removals
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import (
    HealthCheck,
    health_checks_key,
    metrics_key,
    redis_key,
    sessions_key,
    settings_key,
)
from core.errors import Forbidden, NotAuthenticated, NotFound
from core.principal import Role, Viewer
from core.request_keys import viewer_key
from core.websockets import first_text, open_socket, text_frames
from identification.keys import client_identity
from sfu.gateways import Gateways
from video.cluster import LocalRooms, RedisRooms, Seat
from video.echo import MAX_TEST_SECONDS, ConnectionTests
from video.keys import (
    connection_tests_key,
    guest_join_url,
    live_assessments_key,
    live_plans_key,
    meeting_service_key,
    room_registry_key,
    rooms_key,
)
from video.live_state import (
    AssessmentTemplate,
    LiveAssessments,
    LivePlans,
    PlanDraft,
    SubmittedAssessment,
)
from video.retention import MeetingRecordsOfRemovedBookings
from video.rooms import RoomRegistry
from video.schemas import (
    ConnectionTestIn,
    ConnectionTestOut,
    EventOut,
    GuestCreatedOut,
    GuestIn,
    GuestOut,
    MeetingOut,
    MeetingPatchIn,
    SessionDescriptionOut,
    WaitingOut,
)
from video.service import (
    Admission,
    GuestLinkUsed,
    IdentificationRequired,
    Meeting,
    MeetingCancelled,
    MeetingOver,
    MeetingService,
    NotAVideoMeeting,
    RoomNotOpen,
)
from video.sfu_path import SfuLoads, SfuPath
from video.signaling import (
    HELLO_TIMEOUT_SECONDS,
    MAX_MESSAGE_BYTES,
    MESSAGES_PER_SECOND,
    Close,
    Credential,
    Hello,
    MessageBucket,
    Refusal,
    parse_message,
)

log = logging.getLogger("kohtaamo.video")


api = ApiRoutes("video")
MEETING = "/api/v1/meetings/{meeting_id}"


async def video_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    service = MeetingService(app[sessions_key], settings, app[booking_service_key])
    app[meeting_service_key] = service
    async with sfu_gateways(app) as sfu:
        registry = RoomRegistry(
            service,
            service.ice_configuration,
            assessments=_AssessmentsOf(app),
            plans=_PlansOf(app),
            sfu=sfu,
        )
        app[room_registry_key] = registry
        app[connection_tests_key] = ConnectionTests(settings.video_test_limit)
        redis = app.get(redis_key)
        if redis is None:
            app[rooms_key] = LocalRooms(registry)
        else:
            shared = RedisRooms(registry, redis)
            await shared.start()
            app[rooms_key] = shared
        yield
        await app[connection_tests_key].close_all()
        await app[rooms_key].stop()


@contextlib.asynccontextmanager
async def sfu_gateways(app: web.Application) -> AsyncIterator[SfuPath | None]:
    """The Janus gateways, when configured: connected at start (one that cannot be reached is
    retried, and meetings stay peer-to-peer meanwhile), reported in /healthz and /metrics."""
    settings = app[settings_key]
    if not settings.janus_urls:
        yield None
        return
    async with aiohttp.ClientSession() as http:
        gateways = Gateways(
            settings.janus_urls,
            settings.janus_api_secret,
            settings.janus_admin_key,
            http,
            shared=app.get(redis_key),
        )
        await gateways.start()
        path = SfuPath(gateways)
        app[health_checks_key].append(_sfu_health(gateways))
        loads = SfuLoads(app[metrics_key].registry, gateways)
        watching = asyncio.create_task(loads.watch())
        try:
            yield path
        finally:
            watching.cancel()
            await path.close()
            await gateways.close()


async def _tell_rooms_to_move(app: web.Application) -> None:
    """On shutdown, before the server stops: every participant reconnects elsewhere (4503)."""
    await app[rooms_key].close_all(Close.RESTARTING, "restarting")


def _sfu_health(gateways: Gateways) -> HealthCheck:
    async def check(_app: web.Application) -> dict[str, Any]:
        # Reported, never unhealthy: without Janus, meetings fall back to peer-to-peer.
        return {"sfu": await gateways.health()}

    return check


class _AssessmentsOf:
    """The app's live assessments, looked up when a host first pushes one: the assessments
    package starts after this one, and an app may run without it."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def _service(self) -> LiveAssessments:
        service = self._app.get(live_assessments_key)
        if service is None:
            raise NotFound()
        return service

    def template(self, template_id: str) -> AssessmentTemplate:
        return self._service().template(template_id)

    async def prefill(self, meeting_id: str, template_id: str) -> dict[str, Any]:
        return await self._service().prefill(meeting_id, template_id)

    async def record(
        self, meeting_id: str, template_id: str, answers: dict[str, Any]
    ) -> SubmittedAssessment:
        return await self._service().record(meeting_id, template_id, answers)


class _PlansOf:
    """The app's wellbeing plans, looked up when a host opens one (the plans package starts
    after this one, and an app may run without it)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def _service(self) -> LivePlans:
        service = self._app.get(live_plans_key)
        if service is None:
            raise NotFound()
        return service

    async def draft(self, meeting_id: str) -> PlanDraft:
        return await self._service().draft(meeting_id)

    async def save(self, meeting_id: str, goals: list[dict[str, Any]]) -> PlanDraft:
        return await self._service().save(meeting_id, goals)


# ---- the WebSocket -----------------------------------------------------------------------------


@api.get(
    f"{MEETING}/ws",
    summary="The meeting room's signaling WebSocket (protocol: docs/signaling.md)",
    status=101,
    errors=(400, 403),
)
async def meeting_socket(request: web.Request) -> web.StreamResponse:
    socket, link = await open_socket(
        request,
        heartbeat=request.app[settings_key].video_heartbeat_seconds,
        max_size=MAX_MESSAGE_BYTES,
    )
    seat: Seat | None = None
    try:
        hello = await _hello(socket)
        admission = await _admit(request, request.match_info["meeting_id"], hello)
        seat = await request.app[rooms_key].enter(admission, link, hello.resume)
        await _relay(socket, seat)
    except Refusal as refusal:
        link.close(refusal.code, refusal.reason)
    except Exception:
        log.exception("meeting connection failed")
        link.close(Close.SERVER_ERROR, "server error")
    finally:
        if seat is not None:
            seat.disconnected()
        await link.finish()
    return socket


async def _hello(socket: web.WebSocketResponse) -> Hello:
    raw = await first_text(socket, within=HELLO_TIMEOUT_SECONDS, late_code=Close.NOT_AUTHENTICATED)
    message = parse_message(raw)
    if not isinstance(message, Hello):
        raise Refusal(Close.MALFORMED, "the first message must be hello")
    return message


async def _relay(socket: web.WebSocketResponse, seat: Seat) -> None:
    bucket = MessageBucket(MESSAGES_PER_SECOND, Close.FLOOD)
    async for raw in text_frames(socket, bucket):
        seat.handle(parse_message(raw), raw)


async def _admit(request: web.Request, meeting_id: str, hello: Hello) -> Admission:
    """Check the hello's credential (or the staff session) and the room's time window."""
    service = request.app[meeting_service_key]
    try:
        admission = await _admission(
            request, meeting_id, hello.credential, used_link_ok=hello.resume is not None
        )
        service.check_window(admission.meeting)
        await service.check_not_ended(meeting_id)
        if hello.credential is not None and hello.credential.kind == "guest" and not hello.resume:
            await service.claim_guest(hello.credential.token)
    except NotAVideoMeeting:
        raise Refusal(Close.NO_MEETING, "no such meeting") from None
    except (NotAuthenticated, GuestLinkUsed, IdentificationRequired):
        raise Refusal(Close.NOT_AUTHENTICATED, "not authenticated") from None
    except NotFound:
        code = Close.NO_MEETING if hello.credential is None else Close.NOT_AUTHENTICATED
        raise Refusal(code, "no such meeting or token") from None
    except MeetingCancelled:
        raise Refusal(Close.FORBIDDEN, "cancelled") from None
    except Forbidden:
        raise Refusal(Close.FORBIDDEN, "not this meeting") from None
    except RoomNotOpen as not_open:
        opens = not_open.opens_at.isoformat().replace("+00:00", "Z")
        raise Refusal(Close.NOT_OPEN, f"opens {opens}") from None
    except MeetingOver:
        raise Refusal(Close.ENDED, "ended") from None
    return dataclasses.replace(admission, protocol=hello.v)


async def _admission(
    request: web.Request, meeting_id: str, credential: Credential | None, *, used_link_ok: bool
) -> Admission:
    """Who the credential (or the staff session) says this is. ``used_link_ok`` lets a guest whose
    link is already claimed through: their seat is then checked by its resume token."""
    service = request.app[meeting_service_key]
    if credential is None:
        viewer: Viewer | None = request.get(viewer_key)
        if viewer is None:
            raise NotAuthenticated()
        return await service.admit_host(viewer, meeting_id)
    if credential.kind == "client":
        admission = await service.admit_client(
            credential.token, identity=await client_identity(request)
        )
    else:
        admission = await service.admit_guest(credential.token, used_link_ok=used_link_ok)
    # A valid token of another booking is refused as such, not as an unknown token.
    if admission.meeting.id != meeting_id:
        raise Forbidden()
    return admission


# ---- the connection test -----------------------------------------------------------------------


@api.post(
    f"{MEETING}/connection-test",
    summary="Start a connection test: the server sends the browser's media back",
    body=ConnectionTestIn,
    response=ConnectionTestOut,
    errors=(401, 403, 409, 429, 503),
)
async def connection_test(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, ConnectionTestIn)
    meeting_id = request.match_info["meeting_id"]
    credential = body.credential
    # The test may be taken before the room opens, so only the credential is checked here.
    admission = await _admission(request, meeting_id, credential, used_link_ok=True)
    if admission.meeting.cancelled:
        raise MeetingCancelled()
    service = request.app[meeting_service_key]
    ice = service.ice_configuration(admission.meeting, f"test-{secrets.token_urlsafe(6)}")
    sdp = await request.app[connection_tests_key].answer(body.offer.sdp, ice)
    return json_response(
        ConnectionTestOut(
            answer=SessionDescriptionOut(type="answer", sdp=sdp), max_seconds=MAX_TEST_SECONDS
        )
    )


# ---- the host's meeting API --------------------------------------------------------------------


async def _meeting_out(request: web.Request, viewer: Viewer, meeting: Meeting) -> MeetingOut:
    service = request.app[meeting_service_key]
    waiting = (await request.app[rooms_key].lobby([meeting.id])).get(meeting.id, [])
    guests = await service.guests(viewer, meeting.id)
    events = await service.events(viewer, meeting.id)
    return MeetingOut(
        id=meeting.id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        opens_at=meeting.opens_at,
        closes_at=meeting.closes_at,
        protected=meeting.protected,
        relay_only=service.ice_configuration(meeting, "")["iceTransportPolicy"] == "relay",
        lobby=[WaitingOut(id=p.id, role=p.role, name=p.name) for p in waiting],
        guests=[
            GuestOut(
                id=guest.id,
                display_name=guest.display_name,
                created_at=guest.created_at,
                claimed_at=guest.claimed_at,
                revoked_at=guest.revoked_at,
            )
            for guest in guests
        ],
        events=[
            EventOut(
                kind=event.kind,
                role=event.role,
                participant_id=event.participant_id,
                at=event.at,
                seconds=event.seconds,
            )
            for event in events
        ],
    )


@api.get(
    MEETING,
    summary="A video meeting: its window, lobby, guests and events (for its caseworker)",
    response=MeetingOut,
    errors=(403,),
    auth=("session",),
)
async def meeting_details(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    service = request.app[meeting_service_key]
    meeting = await service.meeting_for_host(viewer, request.match_info["meeting_id"])
    return json_response(await _meeting_out(request, viewer, meeting))


@api.patch(
    MEETING,
    summary="Mark the meeting's client as protected: relay-only media",
    body=MeetingPatchIn,
    response=MeetingOut,
    errors=(403,),
    auth=("session",),
)
async def meeting_update(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    body = await parse_body(request, MeetingPatchIn)
    service = request.app[meeting_service_key]
    meeting = await service.set_protected(viewer, request.match_info["meeting_id"], body.protected)
    return json_response(await _meeting_out(request, viewer, meeting))


@api.post(
    f"{MEETING}/guests",
    summary="Invite one more participant with a one-time link",
    body=GuestIn,
    response=GuestCreatedOut,
    status=201,
    errors=(403, 409, 410),
    auth=("session",),
)
async def guest_invite(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    body = await parse_body(request, GuestIn)
    invitation = await request.app[meeting_service_key].invite_guest(
        viewer, request.match_info["meeting_id"], body.display_name
    )
    return json_response(
        GuestCreatedOut(
            id=invitation.id,
            display_name=invitation.display_name,
            join_url=guest_join_url(request, invitation.token),
        ),
        status=201,
    )


@api.delete(
    f"{MEETING}/guests/{{guest_id}}",
    summary="Withdraw a guest's invitation",
    status=204,
    errors=(403,),
    auth=("session",),
)
async def guest_revoke(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    await request.app[meeting_service_key].revoke_guest(
        viewer, request.match_info["meeting_id"], request.match_info["guest_id"]
    )
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    listen_to_removals(app, MeetingRecordsOfRemovedBookings())
    app.cleanup_ctx.append(video_context)
    app.on_shutdown.append(_tell_rooms_to_move)
    app.router.add_routes(api.table)
