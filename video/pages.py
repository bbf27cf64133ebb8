"""The meeting room pages (client, guest, host) and the host's meeting settings page.

The room page is the one page with JavaScript (web/static/video/); outside the room's time window
each link shows, without JavaScript, when the room opens or that the meeting is over.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from accounts.keys import staff_page
from booking.keys import limit_public
from calendars.keys import assessment_templates_key
from core.errors import Conflict, ValidationFailed
from core.i18n import N_
from core.local_times import LocalTimes
from core.principal import Role
from core.request_keys import language_key
from core.templating import render
from identification.keys import client_identity
from video.keys import guest_join_url, live_plans_key, meeting_service_key, rooms_key
from video.service import (
    MAX_GUESTS,
    Admission,
    IdentificationRequired,
    Meeting,
    MeetingCancelled,
    MeetingOver,
    RoomNotOpen,
)

pages = web.RouteTableDef()

# The room page may use the camera, the microphone and screen sharing; no other page may.
ROOM_PERMISSIONS = "camera=(self), microphone=(self), display-capture=(self), geolocation=()"
HOST = "/caseworker/bookings/{booking_id}/meeting"

NOTICES = {
    "protected": N_("The client is now protected: the meeting uses the relay only."),
    "unprotected": N_("The client is no longer marked as protected."),
    "revoked": N_("The invitation was withdrawn."),
}


@dataclasses.dataclass(frozen=True, slots=True)
class RoomPage:
    meeting_id: str
    ws_path: str
    test_path: str
    role: str
    credential_kind: str
    credential_token: str
    display_name: str
    title: str
    when: str
    caseworker_name: str
    leave_url: str
    protected: bool
    # The questionnaires the host can push to the client's screen: (id, title).
    assessments: tuple[dict[str, str], ...] = ()
    # The wellbeing plan can be opened beside the video (the booking's client is identified).
    plan: bool = False
    my_plans_url: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ClosedPage:
    reason: str
    opens_at: str
    when: str
    title: str
    back_url: str


def _times(request: web.Request, meeting: Meeting) -> LocalTimes:
    return LocalTimes.of(meeting.zone_name, request[language_key])


def _when(times: LocalTimes, meeting: Meeting) -> str:
    day = times.long_date(times.day_of(meeting.starts_at))
    return f"{day}, {times.span(meeting.starts_at, meeting.ends_at)}"


async def _room_or_closed(
    request: web.Request,
    admission: Admission,
    *,
    credential_kind: str,
    credential_token: str,
    leave_url: str,
) -> web.Response:
    service = request.app[meeting_service_key]
    meeting = admission.meeting
    times = _times(request, meeting)
    title = meeting.title_in(request[language_key])
    try:
        service.check_window(meeting)
        await service.check_not_ended(meeting.id)
    except (RoomNotOpen, MeetingOver, MeetingCancelled) as closed:
        reason = {RoomNotOpen: "not_open", MeetingOver: "ended", MeetingCancelled: "cancelled"}
        page = ClosedPage(
            reason=reason[type(closed)],
            opens_at=times.moment(meeting.opens_at),
            when=_when(times, meeting),
            title=title,
            back_url=leave_url,
        )
        return render(request, "video/closed.html", {"closed": page})
    page_ = RoomPage(
        meeting_id=meeting.id,
        ws_path=f"/api/v1/meetings/{meeting.id}/ws",
        test_path=f"/api/v1/meetings/{meeting.id}/connection-test",
        role=admission.role,
        credential_kind=credential_kind,
        credential_token=credential_token,
        display_name=admission.name,
        title=title,
        when=_when(times, meeting),
        caseworker_name=meeting.caseworker_name,
        leave_url=leave_url,
        protected=meeting.protected,
        assessments=_assessments(request) if admission.role == "host" else (),
        plan=admission.role in ("host", "client")
        and meeting.client_identity_hash is not None
        and live_plans_key in request.app,
        my_plans_url="/my/plans" if admission.role == "client" else "",
    )
    response = render(request, "video/room.html", {"room": page_})
    response.headers["Permissions-Policy"] = ROOM_PERMISSIONS
    return response


def _assessments(request: web.Request) -> tuple[dict[str, str], ...]:
    language = request[language_key]
    known = request.app.get(assessment_templates_key, {})
    return tuple(
        sorted(
            (
                {"id": template_id, "title": titles.get(language) or template_id}
                for template_id, titles in known.items()
            ),
            key=lambda item: item["title"],
        )
    )


@pages.get("/manage/{token:[A-Za-z0-9_-]{1,100}}/join", name="manage_booking_join")
async def client_room(request: web.Request) -> web.Response:
    await limit_public(request)
    token = request.match_info["token"]
    try:
        admission = await request.app[meeting_service_key].admit_client(
            token, identity=await client_identity(request)
        )
    except IdentificationRequired:
        raise web.HTTPSeeOther(f"/identify?{urlencode({'next': request.path})}") from None
    return await _room_or_closed(
        request,
        admission,
        credential_kind="client",
        credential_token=token,
        leave_url=str(request.app.router["manage_booking"].url_for(token=token)),
    )


@pages.get("/meetings/guest/{token:[A-Za-z0-9_-]{1,100}}", name="guest_room")
async def guest_room(request: web.Request) -> web.Response:
    await limit_public(request)
    token = request.match_info["token"]
    # Opening the page does not use the link up; joining the room does.
    admission = await request.app[meeting_service_key].admit_guest(token, used_link_ok=True)
    return await _room_or_closed(
        request, admission, credential_kind="guest", credential_token=token, leave_url="/"
    )


@pages.get(HOST, name="caseworker_meeting_room")
async def host_room(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    admission = await request.app[meeting_service_key].admit_host(viewer, booking_id)
    return await _room_or_closed(
        request,
        admission,
        credential_kind="",
        credential_token="",
        leave_url=str(request.app.router["caseworker_meeting"].url_for(booking_id=booking_id)),
    )


# ---- the host's settings: protection, guests, events ------------------------------------------


async def _settings_page(
    request: web.Request,
    *,
    invited: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    service = request.app[meeting_service_key]
    meeting = await service.meeting_for_host(viewer, booking_id)
    times = _times(request, meeting)
    waiting = (await request.app[rooms_key].lobby([meeting.id])).get(meeting.id, [])
    context: dict[str, Any] = {
        "meeting": meeting,
        "title": meeting.title_in(request[language_key]),
        "when": _when(times, meeting),
        "opens_at": times.moment(meeting.opens_at),
        "closes_at": times.moment(meeting.closes_at),
        "times": times,
        "relay_only": service.ice_configuration(meeting, "")["iceTransportPolicy"] == "relay",
        "has_turn": service.has_turn,
        "network_meetings": service.max_guests > MAX_GUESTS,
        "waiting": [person.name for person in waiting],
        "guests": await service.guests(viewer, meeting.id),
        "events": await service.events(viewer, meeting.id),
        "invited": invited,
        "values": values or {"display_name": ""},
        "errors": errors or {},
        "notice": NOTICES.get(request.query.get("notice", "")),
    }
    return render(request, "video/settings.html", context, status=status)


def _back_to_settings(request: web.Request, notice: str) -> web.HTTPSeeOther:
    url = request.app.router["caseworker_meeting"].url_for(
        booking_id=request.match_info["booking_id"]
    )
    return web.HTTPSeeOther(url.with_query(notice=notice))


@pages.get(f"{HOST}/settings", name="caseworker_meeting")
async def meeting_settings(request: web.Request) -> web.Response:
    return await _settings_page(request)


@pages.post(f"{HOST}/protection", name="caseworker_meeting_protection")
async def meeting_protection(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    protected = form.get("protected") == "yes"
    await request.app[meeting_service_key].set_protected(
        viewer, request.match_info["booking_id"], protected
    )
    raise _back_to_settings(request, "protected" if protected else "unprotected")


@pages.post(f"{HOST}/guests", name="caseworker_meeting_invite")
async def meeting_invite(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    name = str(form.get("display_name", ""))
    try:
        invitation = await request.app[meeting_service_key].invite_guest(
            viewer, request.match_info["booking_id"], name
        )
    except ValidationFailed as error:
        return await _settings_page(
            request, values={"display_name": name}, errors=error.fields, status=422
        )
    except (Conflict, MeetingOver) as refused:
        return await _settings_page(
            request,
            values={"display_name": name},
            errors={"display_name": refused.detail},
            status=409,
        )
    invited = {
        "name": invitation.display_name,
        "url": guest_join_url(request, invitation.token),
    }
    return await _settings_page(request, invited=invited)


@pages.post(f"{HOST}/guests/{{guest_id}}/revoke", name="caseworker_meeting_revoke")
async def meeting_revoke(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[meeting_service_key].revoke_guest(
        viewer, request.match_info["booking_id"], request.match_info["guest_id"]
    )
    raise _back_to_settings(request, "revoked")


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
