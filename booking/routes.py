"""The booking API, the subscription feed and the .ics downloads; the pages are in *_pages.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import account_service_key
from audit.service import AuditLog
from booking.keys import (
    booking_limiter_key,
    booking_listener_key,
    booking_removal_listeners_key,
    booking_service_key,
    limit_public,
    manage_token,
)
from booking.schemas import (
    AgendaQuery,
    BookingCreatedOut,
    BookingIn,
    BookingOut,
    BookingsOut,
    CancelIn,
    CaseworkerOut,
    CaseworkersOut,
    CaseworkersQuery,
    MeetingTypeOut,
    RescheduleIn,
    SlotsOut,
    SlotsQuery,
    UnitOut,
    UnitsOut,
    booking_out,
)
from booking.service import BookingService
from booking.types import Access, BookingRequest, ClientDetails, ManageToken
from calendars.keys import calendar_service_key
from core.api import ApiRoutes, json_response, parse_body, parse_query
from core.app_keys import person_hasher_key, redis_key, sessions_key, settings_key
from core.errors import NotAuthenticated
from core.http import CALENDAR_CONTENT_TYPE, ics_response
from core.principal import Viewer
from core.rate_limit import request_limiter
from core.request_keys import language_key, viewer_key
from identification.keys import client_identity

api = ApiRoutes("booking")
feed_routes = web.RouteTableDef()


async def booking_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    removal_listeners = app.get(booking_removal_listeners_key)
    app[booking_service_key] = BookingService(
        app[sessions_key],
        settings,
        app[account_service_key],
        app[calendar_service_key],
        AuditLog(app[sessions_key]),
        app[person_hasher_key],
        listener=app.get(booking_listener_key),
        removal_listeners=removal_listeners or [],
    )
    app[booking_limiter_key] = request_limiter(
        app.get(redis_key), "booking", settings.booking_rate_limit
    )
    yield


async def access_of(request: web.Request) -> Access:
    """A manage token from ``Authorization: Bearer``, or the logged-in staff member."""
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return await manage_token(request, authorization.removeprefix("Bearer ").strip())
    viewer: Viewer | None = request.get(viewer_key)
    if viewer is None:
        raise NotAuthenticated()
    return viewer


# ---- directory and slots ----------------------------------------------------------------------


@api.get(
    "/api/v1/units",
    summary="Units whose caseworkers can be booked",
    response=UnitsOut,
    errors=(429,),
)
async def api_units(request: web.Request) -> web.Response:
    await limit_public(request)
    language = request[language_key]
    units = await request.app[account_service_key].organisation.units()
    return json_response(
        UnitsOut(
            units=[
                UnitOut(id=unit.id, name=unit.name_in(language), names=unit.names, phone=unit.phone)
                for unit in units
            ]
        )
    )


@api.get(
    "/api/v1/caseworkers",
    summary="Caseworkers and the meeting types they offer",
    query=CaseworkersQuery,
    response=CaseworkersOut,
    errors=(429,),
)
async def api_caseworkers(request: web.Request) -> web.Response:
    await limit_public(request)
    query = parse_query(request, CaseworkersQuery)
    language = request[language_key]
    people = await request.app[account_service_key].caseworkers(unit_id=query.unit_id)
    calendars = request.app[calendar_service_key]
    offered = await calendars.meeting_types_for([(person.id, person.unit_id) for person in people])
    languages = await calendars.languages_of([person.id for person in people])
    return json_response(
        CaseworkersOut(
            caseworkers=[
                CaseworkerOut(
                    id=person.id,
                    name=person.name,
                    unit_id=person.unit_id,
                    languages=list(languages[person.id]),
                    meeting_types=[
                        MeetingTypeOut(
                            id=item.id,
                            name=item.name_in(language),
                            duration_minutes=item.duration_minutes,
                            modes=list(item.modes),
                        )
                        for item in offered[person.id]
                    ],
                )
                for person in people
            ]
        )
    )


@api.get(
    "/api/v1/slots",
    summary="Free times to book",
    query=SlotsQuery,
    response=SlotsOut,
    errors=(429,),
)
async def api_slots(request: web.Request) -> web.Response:
    await limit_public(request)
    query = parse_query(request, SlotsQuery)
    found = await request.app[booking_service_key].free_times(
        query.meeting_type_id,
        caseworker_id=query.caseworker_id,
        unit_id=query.unit_id,
        first_day=query.from_,
        last_day=query.to,
    )
    zones = found.zones
    # SlotsOut's shape, written with the standard library's encoder: the values come from the
    # engine already checked, and a pydantic object per slot cost more than the search itself.
    slots = [
        {
            "start": slot.start.astimezone(zones[slot.caseworker_id]).isoformat(),
            "end": slot.end.astimezone(zones[slot.caseworker_id]).isoformat(),
            "caseworker_id": slot.caseworker_id,
        }
        for slot in found.slots
    ]
    return web.json_response(
        text=json.dumps({"slots": slots}, separators=(",", ":")), content_type="application/json"
    )


# ---- bookings ---------------------------------------------------------------------------------


@api.post(
    "/api/v1/bookings",
    summary="Book a time",
    body=BookingIn,
    response=BookingCreatedOut,
    status=201,
    errors=(409, 429),
)
async def api_book(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, BookingIn)
    service = request.app[booking_service_key]
    identified = await client_identity(request)
    created = await service.book(
        BookingRequest(
            meeting_type_id=body.meeting_type_id,
            caseworker_id=body.caseworker_id,
            unit_id=body.unit_id,
            start=body.start,
            mode=body.mode,
            language=body.language,
            client=ClientDetails(
                name=body.client.name, email=body.client.email, phone=body.client.phone
            ),
            answers=body.answers,
            identity_code=identified.identity_code if identified else None,
        )
    )
    view = created.booking
    base_url = request.app[settings_key].base_url
    return json_response(
        BookingCreatedOut(
            id=view.id,
            status=view.status,
            start=view.start.astimezone(view.zone),
            end=view.end.astimezone(view.zone),
            caseworker_id=view.caseworker.id,
            manage_token=created.manage_token,
            manage_url=service.manage_url(created.manage_token),
            ics_url=f"{base_url}/api/v1/bookings/{view.id}/ics",
            join_url=service.join_url(created.manage_token) if view.mode == "video" else None,
        ),
        status=201,
    )


BOOKING_AUTH = ("manageToken", "session")


@api.get(
    "/api/v1/bookings/{booking_id}",
    summary="One booking (manage token or the caseworker's session)",
    response=BookingOut,
    auth=BOOKING_AUTH,
    errors=(403, 404, 429),
)
async def api_booking(request: web.Request) -> web.Response:
    await limit_public(request)
    view = await request.app[booking_service_key].booking(
        await access_of(request), request.match_info["booking_id"]
    )
    return json_response(booking_out(view, request[language_key]))


@api.post(
    "/api/v1/bookings/{booking_id}/cancel",
    summary="Cancel a booking",
    body=CancelIn,
    response=BookingOut,
    auth=BOOKING_AUTH,
    errors=(403, 404, 409, 429),
)
async def api_cancel(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, CancelIn)
    view = await request.app[booking_service_key].cancel(
        await access_of(request), body.reason, booking_id=request.match_info["booking_id"]
    )
    return json_response(booking_out(view, request[language_key]))


@api.post(
    "/api/v1/bookings/{booking_id}/reschedule",
    summary="Move a booking to another free time",
    body=RescheduleIn,
    response=BookingOut,
    auth=BOOKING_AUTH,
    errors=(403, 404, 409, 429),
)
async def api_reschedule(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, RescheduleIn)
    view = await request.app[booking_service_key].reschedule(
        await access_of(request), body.start, booking_id=request.match_info["booking_id"]
    )
    return json_response(booking_out(view, request[language_key]))


@api.get(
    "/api/v1/bookings/{booking_id}/ics",
    summary="The booking as an iCalendar file",
    auth=BOOKING_AUTH,
    errors=(403, 404, 429),
)
async def api_booking_ics(request: web.Request) -> web.Response:
    await limit_public(request)
    access = await access_of(request)
    service = request.app[booking_service_key]
    view = await service.booking(access, request.match_info["booking_id"])
    token = access.value if isinstance(access, ManageToken) and access.lasting else None
    return ics_response(service.invitation_ics(view, token), "kohtaamo.ics")


@api.get(
    "/api/v1/me/bookings",
    summary="The logged-in caseworker's bookings",
    query=AgendaQuery,
    response=BookingsOut,
    auth=("session",),
    errors=(403,),
)
async def api_my_bookings(request: web.Request) -> web.Response:
    viewer = request.get(viewer_key)
    if viewer is None:
        raise NotAuthenticated()
    query = parse_query(request, AgendaQuery)
    views = await request.app[booking_service_key].agenda(viewer, query.from_, query.to)
    return json_response(
        BookingsOut(bookings=[booking_out(view, request[language_key]) for view in views])
    )


@feed_routes.get(r"/calendars/feed/{token:[A-Za-z0-9_-]+}.ics", name="calendar_feed")
async def calendar_feed(request: web.Request) -> web.Response:
    caseworker_id = await request.app[calendar_service_key].caseworker_for_feed(
        request.match_info["token"]
    )
    body = await request.app[booking_service_key].feed(caseworker_id)
    response = web.Response(
        body=body, headers={"Content-Type": f"{CALENDAR_CONTENT_TYPE}; charset=utf-8"}
    )
    return response


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(booking_context)
    app.router.add_routes(api.table)
    app.router.add_routes(feed_routes)
