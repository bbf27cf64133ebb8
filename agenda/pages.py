"""The caseworker's agenda (the week's bookings, who waits in the video lobby today) and the
pages of one booking: its details, cancelling it and marking the meeting held or a no-show.

Thin handlers: check the role, call the booking service, render or redirect (303) with a notice.
The agenda reads bookings (booking), the caseworker's zone (calendars) and the video lobby
(video), which is why it sits above all three.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from accounts.keys import staff_page
from booking.keys import booking_service_key
from booking.models import CONFIRMED
from booking.types import BookingView
from calendars.base_pages import caseworker_times, notice_of, redirect_to, url_of
from calendars.page_forms import field_text
from core.db import utcnow
from core.errors import ValidationFailed
from core.i18n import N_
from core.local_times import LocalTimes, monday_of
from core.principal import Role
from core.request_keys import language_key
from core.templating import render
from video.keys import rooms_key

pages = web.RouteTableDef()

NOTICES = {
    "cancelled": N_("The booking was cancelled."),
    "completed": N_("The meeting was marked as held."),
    "no-show": N_("The meeting was marked as a no-show."),
    "identity-saved": N_("The client's identity code was saved."),
}


@pages.get("/caseworker", name="caseworker_agenda")
async def agenda(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    times = await caseworker_times(request, viewer)
    today = times.today()
    this_monday = monday_of(today)
    monday = _requested_week(request.query.get("week", ""), this_monday)
    sunday = monday + timedelta(days=6)
    service = request.app[booking_service_key]
    week = await service.agenda(viewer, monday, sunday)
    if monday <= today <= sunday:
        todays = [view for view in week if times.day_of(view.start) == today]
    else:
        todays = await service.agenda(viewer, today, today)
    days: list[tuple[date, list[BookingView]]] = [
        (monday + timedelta(days=offset), []) for offset in range(7)
    ]
    for view in week:
        offset = (times.day_of(view.start) - monday).days
        if 0 <= offset < len(days):  # the zone could have changed since the agenda was read
            days[offset][1].append(view)
    context = {
        "times": times,
        "today": today,
        "todays": todays,
        "days": days,
        "monday": monday,
        "sunday": sunday,
        "week_number": monday.isocalendar().week,
        "is_this_week": monday == this_monday,
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "lobby": await _lobby(request, [view.id for view in todays]),
    }
    return render(request, "calendars/agenda.html", context)


async def _lobby(request: web.Request, booking_ids: list[str]) -> dict[str, list[str]]:
    """Names of who waits in the video lobby of these bookings right now (video/cluster.py)."""
    lobby = await request.app[rooms_key].lobby(booking_ids)
    return {booking: [person.name for person in people] for booking, people in lobby.items()}


def _requested_week(raw: str, this_monday: date) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return this_monday
    if abs(day.year - this_monday.year) > 5:
        return this_monday
    return monday_of(day)


# ---- one booking --------------------------------------------------------------------------------


def _booking_context(request: web.Request, view: BookingView) -> dict[str, Any]:
    times = LocalTimes.of(view.zone_name, request[language_key])
    language = request[language_key]
    questions = {question.id: question for question in view.meeting_type.pre_meeting_questions}
    answers = [
        {
            "label": questions[key].label_in(language) if key in questions else key,
            "kind": questions[key].kind if key in questions else "text",
            "value": value,
        }
        for key, value in view.answers.items()
    ]
    return {
        "booking": view,
        "times": times,
        "answers": answers,
        "has_started": view.start <= utcnow(),
        "week": monday_of(times.day_of(view.start)).isoformat(),
    }


@pages.get("/caseworker/bookings/{booking_id}", name="caseworker_booking")
async def booking_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    view = await request.app[booking_service_key].booking(viewer, request.match_info["booking_id"])
    return await _booking_page(request, view, notice_of(request, NOTICES))


async def _booking_page(
    request: web.Request,
    view: BookingView,
    notice: Any,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    context = _booking_context(request, view)
    context.update(notice=notice, errors=errors or {}, values=values or {})
    context["waiting"] = (await _lobby(request, [view.id])).get(view.id, [])
    return render(request, "calendars/booking.html", context, status=422 if errors else 200)


@pages.post("/caseworker/bookings/{booking_id}/identity-code", name="caseworker_booking_identity")
async def identity_code_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    typed = field_text(await request.post(), "identity_code")
    service = request.app[booking_service_key]
    try:
        await service.set_identity_code(viewer, booking_id, typed)
    except ValidationFailed as error:
        view = await service.booking(viewer, booking_id)
        return await _booking_page(request, view, None, error.fields, {"identity_code": typed})
    raise redirect_to(request, "caseworker_booking", "identity-saved", booking_id=booking_id)


@pages.get("/caseworker/bookings/{booking_id}/cancel", name="caseworker_booking_cancel")
async def cancel_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    view = await request.app[booking_service_key].booking(viewer, booking_id)
    if view.status != CONFIRMED:
        raise web.HTTPSeeOther(url_of(request, "caseworker_booking", booking_id=booking_id))
    context = _booking_context(request, view)
    context.update(values={"reason": ""}, errors={})
    return render(request, "calendars/booking_cancel.html", context)


@pages.post("/caseworker/bookings/{booking_id}/cancel", name="caseworker_booking_cancel_submit")
async def cancel_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    form = await request.post()
    reason = field_text(form, "reason")
    service = request.app[booking_service_key]
    try:
        await service.cancel(viewer, reason, booking_id=booking_id)
    except ValidationFailed as error:
        context = _booking_context(request, await service.booking(viewer, booking_id))
        context.update(values={"reason": reason}, errors=error.fields)
        return render(request, "calendars/booking_cancel.html", context, status=422)
    raise redirect_to(request, "caseworker_booking", "cancelled", booking_id=booking_id)


@pages.post(
    "/caseworker/bookings/{booking_id}/{outcome:completed|no-show}",
    name="caseworker_booking_outcome",
)
async def outcome_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    outcome = request.match_info["outcome"]
    await request.app[booking_service_key].record_outcome(
        viewer, booking_id, "completed" if outcome == "completed" else "no_show"
    )
    raise redirect_to(request, "caseworker_booking", outcome, booking_id=booking_id)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
