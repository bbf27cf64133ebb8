"""The caseworker's calendar: their week as a grid (days as columns on a laptop, a list of days on
a phone) with bookings, absences and imported busy times; marking a meeting held or a no-show
from the grid; and one day's agenda to print.

Bookings come from the booking service (which checks that the viewer is a caseworker, gives only
their own and writes the read to the access log), absences and busy times from the calendar
service (which checks that the calendar is the viewer's own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from aiohttp import web

from accounts.keys import staff_page
from booking.keys import booking_service_key
from booking.models import CANCELLED
from booking.types import BookingView
from calendars.base_pages import caseworker_times, notice_of, url_of
from calendars.keys import calendar_service_key
from calendars.working_time import BlockedTime
from core.db import utcnow
from core.i18n import N_
from core.local_times import LocalTimes, monday_of
from core.principal import Role
from core.templating import render

pages = web.RouteTableDef()

NOTICES = {
    "completed": N_("The meeting was marked as held."),
    "no-show": N_("The meeting was marked as a no-show."),
}
OUTCOMES = {"completed": "completed", "no-show": "no_show"}


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One line of a day in the grid: a booking, an absence or an imported busy time."""

    source: str  # "booking", "absence" or "imported"
    starts_at: datetime
    when: str  # "10.00–10.45", or empty when it takes the whole day
    booking: BookingView | None = None
    absence_kind: str = ""
    can_mark: bool = False  # the meeting has started and was not cancelled


@dataclasses.dataclass(frozen=True, slots=True)
class Day:
    day: date
    weekday: str
    date: str
    is_today: bool
    entries: list[Entry]


@pages.get("/caseworker/week", name="caseworker_week")
async def week_grid(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    times = await caseworker_times(request, viewer)
    today = times.today()
    monday = _requested_day(request.query.get("week", ""), today, monday_of)
    sunday = monday + timedelta(days=6)
    bookings = await request.app[booking_service_key].agenda(viewer, monday, sunday)
    blocked = await request.app[calendar_service_key].blocked_times(
        viewer,
        viewer.user_id,
        times.at(monday, time(0)),
        times.at(sunday + timedelta(days=1), time(0)),
    )
    now = utcnow()
    days = [
        _day(times, monday + timedelta(days=offset), today, bookings, blocked, now)
        for offset in range(7)
    ]
    context = {
        "times": times,
        "days": days,
        "monday": monday,
        "sunday": sunday,
        "week_number": monday.isocalendar().week,
        "is_this_week": monday == monday_of(today),
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "notice": notice_of(request, NOTICES),
    }
    return render(request, "calendars/week_grid.html", context)


@pages.get("/caseworker/day/{day}/print", name="caseworker_day_print")
async def day_print(request: web.Request) -> web.Response:
    """One day's meetings, to print: times, client, meeting type, way of meeting and place."""
    viewer = staff_page(request, Role.CASEWORKER)
    times = await caseworker_times(request, viewer)
    day = _requested_day(request.match_info["day"], None, lambda day: day)
    bookings = await request.app[booking_service_key].agenda(viewer, day, day)
    context = {
        "times": times,
        "day": day,
        "viewer_name": viewer.name,
        "bookings": [view for view in bookings if view.status != CANCELLED],
        "week": monday_of(day).isoformat(),
    }
    return render(request, "calendars/day_print.html", context)


@pages.post(
    "/caseworker/week/bookings/{booking_id}/{outcome:completed|no-show}",
    name="caseworker_week_outcome",
)
async def outcome_submit(request: web.Request) -> web.Response:
    """Held or a no-show, marked from the grid; back to the same week, at the same booking."""
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    outcome = request.match_info["outcome"]
    view = await request.app[booking_service_key].record_outcome(
        viewer, booking_id, "completed" if outcome == "completed" else "no_show"
    )
    times = LocalTimes.of(view.zone_name, "en")
    week = monday_of(times.day_of(view.start)).isoformat()
    target = (
        url_of(request, "caseworker_week", outcome)
        .update_query(week=week)
        .with_fragment(f"booking-{booking_id}")
    )
    raise web.HTTPSeeOther(target)


def _requested_day(raw: str, fallback: date | None, first_of: Callable[[date], date]) -> date:
    """The day (or the Monday of the week) asked for in the address; a nonsense one is not
    found, or gives the fallback when there is one."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not 1900 < day.year < 2200:
        if fallback is None:
            raise web.HTTPNotFound()
        day = fallback
    return first_of(day)


def _day(
    times: LocalTimes,
    day: date,
    today: date,
    bookings: Sequence[BookingView],
    blocked: Sequence[BlockedTime],
    now: datetime,
) -> Day:
    opens, closes = times.at(day, time(0)), times.at(day + timedelta(days=1), time(0))
    entries = [
        Entry(
            source="booking",
            starts_at=view.start,
            when=times.span(view.start, view.end),
            booking=view,
            can_mark=view.status != CANCELLED and view.start <= now,
        )
        for view in bookings
        if times.day_of(view.start) == day
    ]
    for stretch in blocked:
        if stretch.ends_at <= opens or stretch.starts_at >= closes:
            continue
        whole_day = stretch.starts_at <= opens and stretch.ends_at >= closes
        start, end = max(stretch.starts_at, opens), min(stretch.ends_at, closes)
        entries.append(
            Entry(
                source=stretch.source,
                starts_at=start,
                when="" if whole_day else _span(times, start, end, closes),
                absence_kind=stretch.kind,
            )
        )
    entries.sort(key=lambda entry: (entry.when != "", entry.starts_at))
    return Day(
        day=day,
        weekday=times.weekday(day.weekday()),
        date=times.short_date(day),
        is_today=day == today,
        entries=entries,
    )


def _span(times: LocalTimes, start: datetime, end: datetime, midnight: datetime) -> str:
    # A stretch that runs on past midnight ends, on this day, at 24.00 rather than at 0.00.
    if end == midnight:
        return f"{times.clock(start)}–{times.clock(end - timedelta(minutes=1))}"
    return times.span(start, end)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
