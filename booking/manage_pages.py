"""The pages a client reaches by the manage link of their booking: the confirmation, the booking
itself, its .ics, moving it to another free time and cancelling it. The token in the address is
the client's only key; the service judges what it opens."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from booking.booking_draft import Errors, form_text
from booking.client_times import parse_start, parse_week, start_value
from booking.keys import booking_service_key, limit_public, manage_token
from booking.types import BookingView, ManageToken, SlotTaken
from booking.week_pages import (
    ANCHORS,
    CHOOSE_TIME,
    TIME_NOT_FREE,
    alternative_times,
    client_times,
    day_and_time,
    mode_name,
    path_to,
    week_of_free_times,
)
from core.errors import ValidationFailed
from core.http import ics_response
from core.i18n import N_
from core.request_keys import language_key
from core.templating import render, translate

pages = web.RouteTableDef()

STATUS_NAMES = {
    "confirmed": N_("Booked"),
    "cancelled": N_("Cancelled"),
    "completed": N_("The meeting has taken place"),
    "no_show": N_("The meeting did not take place"),
}
NOTICES = {"moved": N_("Your booking was moved to the new time.")}

MANAGE = "/manage/{token:[A-Za-z0-9_-]{1,100}}"


async def _booking_of(request: web.Request) -> tuple[str, BookingView]:
    token = request.match_info["token"]
    view = await request.app[booking_service_key].booking(await manage_token(request, token))
    return token, view


def _booking_context(request: web.Request, token: str, view: BookingView) -> dict[str, Any]:
    service = request.app[booking_service_key]
    times = client_times(request, view.zone)
    language = request[language_key]
    return {
        "booking": view,
        "token": token,
        "when": day_and_time(request, times, view.start, view.end),
        "meeting_type_name": view.meeting_type.name_in(language),
        "mode_name": mode_name(request, view.mode),
        "address": view.meeting_type.address if view.mode == "in_person" else "",
        "status_name": translate(request, STATUS_NAMES.get(view.status, view.status)),
        "manage_url": service.manage_url(token),
        "manage_path": path_to(request, "manage_booking", token=token),
        "ics_path": path_to(request, "manage_booking_ics", token=token),
        "join_url": service.join_url(token) if view.mode == "video" else "",
        "join_path": path_to(request, "manage_booking_join", token=token),
        "reschedule_path": path_to(request, "manage_reschedule", token=token),
        "cancel_path": path_to(request, "manage_cancel", token=token),
    }


@pages.get(f"{MANAGE}/confirmation", name="booking_confirmation")
async def booking_confirmation(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if view.status != "confirmed":
        raise web.HTTPSeeOther(path_to(request, "manage_booking", token=token))
    return render(request, "booking/confirmation.html", _booking_context(request, token, view))


@pages.get(MANAGE, name="manage_booking")
async def manage_booking(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    context = _booking_context(request, token, view)
    context["notice"] = NOTICES.get(request.query.get("notice", ""), "")
    return render(request, "booking/manage.html", context)


@pages.get(f"{MANAGE}/booking.ics", name="manage_booking_ics")
async def manage_booking_ics(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    return ics_response(
        request.app[booking_service_key].invitation_ics(
            view, token if ManageToken(token).lasting else None
        ),
        "kohtaamo.ics",
    )


async def _show_reschedule(
    request: web.Request,
    token: str,
    view: BookingView,
    errors: Errors,
    status: int = 200,
    *,
    taken: SlotTaken | None = None,
) -> web.Response:
    times = client_times(request, view.zone)
    chosen = parse_start(request.query.get("start", ""))
    week = await week_of_free_times(
        request,
        view.meeting_type,
        times,
        caseworker_id=view.caseworker.id,
        unit_id=None,
        requested=parse_week(request.query.get("week", "")),
        moving=view.id,
    )
    path = path_to(request, "manage_reschedule", token=token)
    context = _booking_context(request, token, view)
    context.update(
        {
            "week": week,
            "nav": [
                {"kind": kind, "href": str(URL(path).with_query(week=first_day.isoformat()))}
                for kind, first_day in (("previous", week.previous), ("next", week.next))
                if first_day is not None
            ],
            "jump": {
                "kind": "next-free",
                "href": str(URL(path).with_query(week=week.next_free.day.isoformat())),
            }
            if week.next_free
            else None,
            "chosen": start_value(chosen) if chosen else "",
            "taken": taken is not None,
            "alternatives": alternative_times(request, times, taken.alternatives if taken else ()),
            "errors": errors,
            "anchors": ANCHORS,
        }
    )
    return render(request, "booking/reschedule.html", context, status=status)


@pages.get(f"{MANAGE}/reschedule", name="manage_reschedule")
async def manage_reschedule(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if not view.is_upcoming:
        raise web.HTTPSeeOther(path_to(request, "manage_booking", token=token))
    return await _show_reschedule(request, token, view, {})


@pages.post(f"{MANAGE}/reschedule")
async def manage_reschedule_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    form = await request.post()
    start = parse_start(form_text(form, "start"))
    if start is None:
        return await _show_reschedule(request, token, view, {"start": CHOOSE_TIME}, 422)
    try:
        await request.app[booking_service_key].reschedule(await manage_token(request, token), start)
    except SlotTaken as taken:
        return await _show_reschedule(request, token, view, {}, 409, taken=taken)
    except ValidationFailed as failed:
        errors = {"start": failed.fields.get("start", TIME_NOT_FREE)}
        return await _show_reschedule(request, token, view, errors, 422)
    url = URL(path_to(request, "manage_booking", token=token)).with_query(notice="moved")
    raise web.HTTPSeeOther(str(url))


@pages.get(f"{MANAGE}/cancel", name="manage_cancel")
async def manage_cancel(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if not view.is_upcoming:
        raise web.HTTPSeeOther(path_to(request, "manage_booking", token=token))
    context = _booking_context(request, token, view)
    context.update({"reason": "", "errors": {}, "anchors": ANCHORS})
    return render(request, "booking/cancel.html", context)


@pages.post(f"{MANAGE}/cancel")
async def manage_cancel_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    form = await request.post()
    reason = form_text(form, "reason")
    try:
        await request.app[booking_service_key].cancel(await manage_token(request, token), reason)
    except ValidationFailed as failed:
        context = _booking_context(request, token, view)
        context.update({"reason": reason, "errors": failed.fields, "anchors": ANCHORS})
        return render(request, "booking/cancel.html", context, status=422)
    raise web.HTTPSeeOther(path_to(request, "manage_cancelled", token=token))


@pages.get(f"{MANAGE}/cancelled", name="manage_cancelled")
async def manage_cancelled(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if view.status != "cancelled":
        raise web.HTTPSeeOther(path_to(request, "manage_booking", token=token))
    return render(request, "booking/cancelled.html", _booking_context(request, token, view))
