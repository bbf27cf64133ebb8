"""The caseworker's agenda and calendar settings pages, and the admin's units and meeting types.

Thin handlers, as in accounts/routes.py: check the role, read the form, call the calendar or
booking service, then render again with the errors kept or redirect (303) with a notice. Times
are shown and typed in the caseworker's own zone, formatted by Babel in the page language.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from aiohttp import web
from babel import Locale
from multidict import MultiDictProxy
from yarl import URL

from accounts.keys import account_service_key
from accounts.routes import staff_page
from accounts.service import UnitInfo
from booking.keys import booking_service_key
from booking.models import CONFIRMED
from booking.service import BookingView
from calendars.ics_import import MAX_ICS_BYTES, TOO_LARGE
from calendars.keys import assessment_templates_key, calendar_service_key
from calendars.service import (
    ABSENCE_KINDS,
    MODES,
    MeetingTypeFields,
    MeetingTypeInfo,
    OpeningInterval,
    check_intervals,
)
from core.app_keys import cpu_executor_key, settings_key
from core.db import utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.local_times import LocalTimes, monday_of, parse_clock, parse_day
from core.principal import Role, Viewer
from core.request_keys import language_key
from core.templating import render

pages = web.RouteTableDef()

Form = MultiDictProxy[Any]
Errors = dict[str, str]

WEEK = range(7)
# Every weekday offers two start–end pairs; more when the API stored more on some day.
DEFAULT_PERIODS = 2
MAX_PERIODS = 8
OVERRIDE_PERIODS = 2
# The zones offered (with the caseworker's own, if it is another): where the service is used.
ZONE_TERRITORIES = {
    "Europe/Helsinki": "FI",
    "Europe/Mariehamn": "AX",
    "Europe/Stockholm": "SE",
    "Europe/Oslo": "NO",
    "Europe/Copenhagen": "DK",
    "Atlantic/Reykjavik": "IS",
    "Europe/Tallinn": "EE",
}
# The ranges MeetingTypeFields.check() allows, repeated here only to tell them in the hints.
MEETING_TYPE_NUMBERS: dict[str, tuple[int, int, Literal["minutes", "days", ""]]] = {
    "duration_minutes": (5, 480, "minutes"),
    "buffer_before_minutes": (0, 240, "minutes"),
    "buffer_after_minutes": (0, 240, "minutes"),
    "minimum_notice_minutes": (0, 60 * 24 * 30, "minutes"),
    "horizon_days": (1, 365, "days"),
    "slot_step_minutes": (5, 240, "minutes"),
    "max_active_bookings_per_client": (1, 20, ""),
}
MEETING_TYPE_ORDER = (
    "name_fi",
    "name_sv",
    "name_en",
    *MEETING_TYPE_NUMBERS,
    "modes",
    "address",
    "reminder_minutes",
    "assessment_template_id",
    "asks_pre_meeting_form",
    "is_active",
)

NOTICES = {
    "profile-saved": N_("Your time zone and meeting languages were saved."),
    "hours-saved": N_("Your working hours were saved."),
    "override-saved": N_("The hours for the date were saved."),
    "override-removed": N_("The date was removed. The weekly working hours apply again."),
    "absence-added": N_("The absence was added."),
    "absence-removed": N_("The absence was removed."),
    "file-imported": N_("The calendar file was imported."),
    "url-imported": N_("The calendar address was added and imported."),
    "import-removed": N_("The imported calendar was removed."),
    "meeting-type-created": N_("The meeting type was added."),
    "meeting-type-saved": N_("The meeting type was saved."),
    "feed-stopped": N_("The feed address was stopped. It no longer shows your bookings."),
    "cancelled": N_("The booking was cancelled."),
    "completed": N_("The meeting was marked as held."),
    "no-show": N_("The meeting was marked as a no-show."),
}

ENTER_BOTH_TIMES = N_("Enter both a start and an end time.")
ENTER_A_TIME = N_("Enter a time like 08:30.")
ENTER_A_DATE = N_("Enter a date like 31.12.2027.")
ENTER_MOMENT = {
    "start_day": N_("Enter the start date, like 31.12.2027."),
    "start_time": N_("Enter the start time like 08:30, or leave it empty."),
    "end_day": N_("Enter the end date, like 31.12.2027."),
    "end_time": N_("Enter the end time like 08:30, or leave it empty."),
}


# ---- dates and times on the page ------------------------------------------------------------


def zone_choices(current: str, locale: Locale) -> list[tuple[str, str]]:
    choices = sorted(
        (
            (zone, f"{locale.territories.get(territory, territory)} ({zone})")
            for zone, territory in ZONE_TERRITORIES.items()
        ),
        key=lambda choice: choice[1],
    )
    if current not in ZONE_TERRITORIES:
        choices.append((current, current))
    return choices


# ---- small form helpers -----------------------------------------------------------------------


def _text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _in_order(errors: Mapping[str, str], order: Iterable[str]) -> Errors:
    """The errors in the order of the fields on the page, so the summary reads top to bottom."""
    ordered = {name: errors[name] for name in order if name in errors}
    ordered.update(errors)
    return ordered


def _first_message(error: ValidationFailed) -> str:
    return next(iter(error.fields.values()), error.detail)


def _notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("notice", ""))


def _url(request: web.Request, name: str, notice: str | None = None, **parts: str) -> URL:
    url = request.app.router[name].url_for(**parts)
    return url.with_query(notice=notice) if notice else url


def _redirect(request: web.Request, name: str, notice: str, **parts: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(_url(request, name, notice, **parts))


async def _times(request: web.Request, viewer: Viewer) -> LocalTimes:
    zone = await request.app[calendar_service_key].time_zone_of(viewer.user_id)
    return LocalTimes.of(zone, request[language_key])


@dataclasses.dataclass(frozen=True, slots=True)
class TypedInterval:
    """An opening interval read from the form, with the fields it was typed into."""

    interval: OpeningInterval
    start_field: str
    end_field: str


def read_intervals(
    form: Form, fields: Sequence[tuple[str, str]], weekday: int, errors: Errors
) -> list[TypedInterval]:
    """The start–end pairs typed into these fields; a pair left empty is skipped."""
    found: list[TypedInterval] = []
    for start_field, end_field in fields:
        start_raw, end_raw = _text(form, start_field), _text(form, end_field)
        if not start_raw and not end_raw:
            continue
        start = _read_clock(start_raw, start_field, errors)
        end = _read_clock(end_raw, end_field, errors)
        if start is not None and end is not None:
            found.append(
                TypedInterval(OpeningInterval(weekday, start, end), start_field, end_field)
            )
    return found


def _read_clock(raw: str, field: str, errors: Errors) -> time | None:
    if not raw:
        errors[field] = ENTER_BOTH_TIMES
        return None
    try:
        return parse_clock(raw)
    except ValueError:
        errors[field] = ENTER_A_TIME
        return None


def locate_interval_errors(typed: Sequence[TypedInterval], errors: Errors) -> None:
    """Put the calendar service's own rule (check_intervals) on the field that breaks it.

    One day's intervals at a time: each alone (reversed or empty), then each with the one
    before it (overlapping).
    """
    for item in typed:
        try:
            check_intervals([item.interval])
        except ValidationFailed as error:
            errors.setdefault(item.end_field, _first_message(error))
    ordered = sorted(typed, key=lambda item: item.interval.starts_at)
    for previous, current in itertools.pairwise(ordered):
        if any(
            field in errors
            for field in (previous.start_field, previous.end_field, current.start_field)
        ):
            continue
        try:
            check_intervals([previous.interval, current.interval])
        except ValidationFailed as error:
            errors[current.start_field] = _first_message(error)


# ---- the agenda -------------------------------------------------------------------------------


@pages.get("/caseworker", name="caseworker_agenda")
async def agenda(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    times = await _times(request, viewer)
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
        (monday + timedelta(days=offset), []) for offset in WEEK
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
    from video.keys import rooms_key

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
    context = _booking_context(request, view)
    context["notice"] = _notice(request)
    context["waiting"] = (await _lobby(request, [view.id])).get(view.id, [])
    return render(request, "calendars/booking.html", context)


@pages.get("/caseworker/bookings/{booking_id}/cancel", name="caseworker_booking_cancel")
async def cancel_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    view = await request.app[booking_service_key].booking(viewer, booking_id)
    if view.status != CONFIRMED:
        raise web.HTTPSeeOther(_url(request, "caseworker_booking", booking_id=booking_id))
    context = _booking_context(request, view)
    context.update(values={"reason": ""}, errors={})
    return render(request, "calendars/booking_cancel.html", context)


@pages.post("/caseworker/bookings/{booking_id}/cancel", name="caseworker_booking_cancel_submit")
async def cancel_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    form = await request.post()
    reason = _text(form, "reason")
    service = request.app[booking_service_key]
    try:
        await service.cancel(viewer, reason, booking_id=booking_id)
    except ValidationFailed as error:
        context = _booking_context(request, await service.booking(viewer, booking_id))
        context.update(values={"reason": reason}, errors=error.fields)
        return render(request, "calendars/booking_cancel.html", context, status=422)
    raise _redirect(request, "caseworker_booking", "cancelled", booking_id=booking_id)


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
    raise _redirect(request, "caseworker_booking", outcome, booking_id=booking_id)


# ---- calendar settings: the overview ----------------------------------------------------------


@pages.get("/caseworker/calendar", name="calendar_settings")
async def settings_overview(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    calendars = request.app[calendar_service_key]
    times = await _times(request, viewer)
    hours = await calendars.working_hours(viewer.user_id)
    context = {
        "times": times,
        "zone_label": dict(zone_choices(times.zone_name, times.locale))[times.zone_name],
        "languages": (await calendars.languages_of([viewer.user_id]))[viewer.user_id],
        "hours": [
            (times.weekday(day), [item for item in hours if item.weekday == day]) for day in WEEK
        ],
        "override_count": len(await calendars.day_overrides(viewer.user_id, times.today())),
        "absence_count": len(await calendars.absences(viewer, viewer.user_id)),
        "import_count": len(await calendars.imports(viewer, viewer.user_id)),
        "meeting_type_count": len(await _offered_meeting_types(request, viewer)),
        "has_feed": await calendars.has_feed(viewer.user_id),
    }
    return render(request, "calendars/settings.html", context)


# ---- time zone and meeting languages ----------------------------------------------------------


async def _profile_page(
    request: web.Request, viewer: Viewer, values: dict[str, Any], errors: Errors, status: int = 200
) -> web.Response:
    times = await _times(request, viewer)
    context = {
        "values": values,
        "errors": _in_order(errors, ("time_zone", "languages")),
        "zones": zone_choices(values["time_zone"] or times.zone_name, times.locale),
        "notice": _notice(request) if status == 200 else None,
    }
    return render(request, "calendars/profile.html", context, status=status)


@pages.get("/caseworker/calendar/profile", name="calendar_profile")
async def profile_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    calendars = request.app[calendar_service_key]
    values = {
        "time_zone": await calendars.time_zone_of(viewer.user_id),
        "languages": list((await calendars.languages_of([viewer.user_id]))[viewer.user_id]),
    }
    return await _profile_page(request, viewer, values, {})


@pages.post("/caseworker/calendar/profile", name="calendar_profile_save")
async def profile_save(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    time_zone = _text(form, "time_zone")
    languages = [code for code in SUPPORTED_LANGUAGES if code in form.getall("languages", [])]
    values = {"time_zone": time_zone, "languages": languages}
    try:
        await request.app[calendar_service_key].set_profile(
            viewer, viewer.user_id, time_zone=time_zone, languages=languages
        )
    except ValidationFailed as error:
        return await _profile_page(request, viewer, values, error.fields, status=422)
    raise _redirect(request, "calendar_profile", "profile-saved")


# ---- weekly working hours ---------------------------------------------------------------------


def hours_field(day: int, period: int, edge: Literal["start", "end"]) -> str:
    return f"hours-{day}-{period}-{edge}"


def _hours_fields(periods: int) -> list[str]:
    return [
        hours_field(day, period, edge)
        for day in WEEK
        for period in range(1, periods + 1)
        for edge in ("start", "end")
    ]


async def _hours_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    periods: int,
    errors: Errors,
    status: int = 200,
) -> web.Response:
    times = await _times(request, viewer)
    context = {
        "values": values,
        "periods": periods,
        "errors": _in_order(errors, ["time_zone", *_hours_fields(periods)]),
        "zones": zone_choices(values["time_zone"] or times.zone_name, times.locale),
        "weekdays": [(day, times.weekday(day)) for day in WEEK],
        "notice": _notice(request) if status == 200 else None,
    }
    return render(request, "calendars/hours.html", context, status=status)


@pages.get("/caseworker/calendar/hours", name="calendar_hours")
async def hours_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    calendars = request.app[calendar_service_key]
    hours = await calendars.working_hours(viewer.user_id)
    values = {"time_zone": await calendars.time_zone_of(viewer.user_id)}
    periods = DEFAULT_PERIODS
    for day in WEEK:
        day_hours = [item for item in hours if item.weekday == day]
        periods = max(periods, len(day_hours))
        for period, item in enumerate(day_hours, start=1):
            values[hours_field(day, period, "start")] = item.starts_at.strftime("%H:%M")
            values[hours_field(day, period, "end")] = item.ends_at.strftime("%H:%M")
    return await _hours_page(request, viewer, values, min(periods, MAX_PERIODS), {})


@pages.post("/caseworker/calendar/hours", name="calendar_hours_save")
async def hours_save(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    try:
        periods = min(max(int(_text(form, "periods")), DEFAULT_PERIODS), MAX_PERIODS)
    except ValueError:
        periods = DEFAULT_PERIODS
    errors: Errors = {}
    intervals: list[OpeningInterval] = []
    for day in WEEK:
        fields = [
            (hours_field(day, period, "start"), hours_field(day, period, "end"))
            for period in range(1, periods + 1)
        ]
        typed = read_intervals(form, fields, day, errors)
        locate_interval_errors(typed, errors)
        intervals.extend(item.interval for item in typed)
    time_zone = _text(form, "time_zone")
    if not errors:
        try:
            await request.app[calendar_service_key].replace_working_hours(
                viewer, viewer.user_id, time_zone, intervals
            )
        except ValidationFailed as error:
            errors = error.fields
    if errors:
        values = {name: _text(form, name) for name in _hours_fields(periods)}
        values["time_zone"] = time_zone
        return await _hours_page(request, viewer, values, periods, errors, status=422)
    raise _redirect(request, "calendar_hours", "hours-saved")


# ---- date overrides ----------------------------------------------------------------------------

OVERRIDE_FIELDS = [
    (f"start-{period}", f"end-{period}") for period in range(1, OVERRIDE_PERIODS + 1)
]
OVERRIDE_ORDER = ["day", "closed", *(name for pair in OVERRIDE_FIELDS for name in pair)]


async def _overrides_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, Any],
    errors: Errors,
    status: int = 200,
) -> web.Response:
    times = await _times(request, viewer)
    overrides = await request.app[calendar_service_key].day_overrides(viewer.user_id, times.today())
    context = {
        "times": times,
        "overrides": overrides,
        "values": values,
        "errors": _in_order(errors, OVERRIDE_ORDER),
        "periods": OVERRIDE_FIELDS,
        "notice": _notice(request) if status == 200 else None,
    }
    return render(request, "calendars/overrides.html", context, status=status)


@pages.get("/caseworker/calendar/dates", name="calendar_overrides")
async def overrides_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _overrides_page(request, viewer, {"closed": False}, {})


@pages.post("/caseworker/calendar/dates", name="calendar_override_add")
async def override_add(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    values: dict[str, Any] = {name: _text(form, name) for name in OVERRIDE_ORDER}
    values["closed"] = form.get("closed") == "yes"
    errors: Errors = {}
    day: date | None = None
    try:
        day = parse_day(values["day"])
    except ValueError:
        errors["day"] = ENTER_A_DATE
    times = await _times(request, viewer)
    if day is not None and day < times.today():
        errors["day"] = N_("Choose today or a later date.")
    typed = read_intervals(form, OVERRIDE_FIELDS, day.weekday() if day else 0, errors)
    locate_interval_errors(typed, errors)
    if values["closed"] and typed:
        errors["closed"] = N_("Choose closed all day, or enter opening times, not both.")
    elif not values["closed"] and not typed and "start-1" not in errors:
        errors["start-1"] = N_("Enter the opening times, or choose closed all day.")
    if not errors and day is not None:
        try:
            await request.app[calendar_service_key].set_day_override(
                viewer,
                viewer.user_id,
                day,
                [(item.interval.starts_at, item.interval.ends_at) for item in typed],
            )
        except ValidationFailed as error:
            errors = {"start-1": _first_message(error)}
    if errors:
        return await _overrides_page(request, viewer, values, errors, status=422)
    raise _redirect(request, "calendar_overrides", "override-saved")


@pages.post(
    r"/caseworker/calendar/dates/{day:\d{4}-\d{2}-\d{2}}/remove", name="calendar_override_remove"
)
async def override_remove(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    try:
        day = date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise NotFound() from None
    await request.app[calendar_service_key].remove_day_override(viewer, viewer.user_id, day)
    raise _redirect(request, "calendar_overrides", "override-removed")


# ---- absences ----------------------------------------------------------------------------------

ABSENCE_ORDER = ("kind", "start_day", "start_time", "end_day", "end_time")


async def _absences_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    errors: Errors,
    status: int = 200,
) -> web.Response:
    context = {
        "times": await _times(request, viewer),
        "absences": await request.app[calendar_service_key].absences(viewer, viewer.user_id),
        "kinds": ABSENCE_KINDS,
        "values": values,
        "errors": _in_order(errors, ABSENCE_ORDER),
        "notice": _notice(request) if status == 200 else None,
    }
    return render(request, "calendars/absences.html", context, status=status)


@pages.get("/caseworker/calendar/absences", name="calendar_absences")
async def absences_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _absences_page(request, viewer, {}, {})


@pages.post("/caseworker/calendar/absences", name="calendar_absence_add")
async def absence_add(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    values = {name: _text(form, name) for name in ABSENCE_ORDER}
    times = await _times(request, viewer)
    errors: Errors = {}
    if values["kind"] not in ABSENCE_KINDS:
        errors["kind"] = N_("Choose the kind of absence.")
    start = _read_moment(values, "start", times, errors)
    end = _read_moment(values, "end", times, errors)
    if start is not None and end is not None:
        try:
            await request.app[calendar_service_key].add_absence(
                viewer, viewer.user_id, values["kind"], start, end
            )
        except ValidationFailed as error:
            errors.update(
                {
                    "end_day" if name == "ends_at" else name: text
                    for name, text in error.fields.items()
                }
            )
    if errors:
        return await _absences_page(request, viewer, values, errors, status=422)
    raise _redirect(request, "calendar_absences", "absence-added")


def _read_moment(
    values: Mapping[str, str], edge: Literal["start", "end"], times: LocalTimes, errors: Errors
) -> datetime | None:
    """A start or end typed as a date and an optional time in the caseworker's zone.

    Without a time, a start is the beginning of its day and an end the end of its day.
    """
    try:
        day = parse_day(values[f"{edge}_day"])
    except ValueError:
        errors[f"{edge}_day"] = ENTER_MOMENT[f"{edge}_day"]
        return None
    raw_time = values[f"{edge}_time"]
    if not raw_time:
        return times.at(day + timedelta(days=1) if edge == "end" else day, time(0, 0))
    try:
        return times.at(day, parse_clock(raw_time))
    except ValueError:
        errors[f"{edge}_time"] = ENTER_MOMENT[f"{edge}_time"]
        return None


@pages.post("/caseworker/calendar/absences/{absence_id}/remove", name="calendar_absence_remove")
async def absence_remove(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[calendar_service_key].remove_absence(
        viewer, viewer.user_id, request.match_info["absence_id"]
    )
    raise _redirect(request, "calendar_absences", "absence-removed")


# ---- calendar imports --------------------------------------------------------------------------


async def _imports_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    errors: Errors,
    status: int = 200,
) -> web.Response:
    context = {
        "times": await _times(request, viewer),
        "imports": await request.app[calendar_service_key].imports(viewer, viewer.user_id),
        "values": values,
        "errors": errors,
        "notice": _notice(request) if status == 200 else None,
    }
    return render(request, "calendars/imports.html", context, status=status)


@pages.get("/caseworker/calendar/imports", name="calendar_imports")
async def imports_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _imports_page(request, viewer, {}, {})


@pages.post("/caseworker/calendar/imports/file", name="calendar_import_file")
async def import_file(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    # The CSRF check has read the whole form already (within the app's client_max_size).
    form = await request.post()
    upload = form.get("ics")
    if not isinstance(upload, web.FileField):
        errors = {"ics": N_("Choose a calendar file (.ics) to upload.")}
        return await _imports_page(request, viewer, {}, errors, status=422)
    try:
        data = await asyncio.get_running_loop().run_in_executor(
            request.app[cpu_executor_key], upload.file.read, MAX_ICS_BYTES + 1
        )
    finally:
        upload.file.close()
    if len(data) > MAX_ICS_BYTES:
        return await _imports_page(request, viewer, {}, {"ics": TOO_LARGE}, status=422)
    try:
        await request.app[calendar_service_key].import_file(viewer, viewer.user_id, data)
    except ValidationFailed as error:
        return await _imports_page(request, viewer, {}, error.fields, status=422)
    raise _redirect(request, "calendar_imports", "file-imported")


@pages.post("/caseworker/calendar/imports/address", name="calendar_import_url")
async def import_url(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    url = _text(form, "url")
    try:
        await request.app[calendar_service_key].add_url_import(viewer, viewer.user_id, url)
    except ValidationFailed as error:
        errors = {"url": _first_message(error)}
        return await _imports_page(request, viewer, {"url": url}, errors, status=422)
    raise _redirect(request, "calendar_imports", "url-imported")


@pages.post("/caseworker/calendar/imports/{import_id}/remove", name="calendar_import_remove")
async def import_remove(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[calendar_service_key].remove_import(
        viewer, viewer.user_id, request.match_info["import_id"]
    )
    raise _redirect(request, "calendar_imports", "import-removed")


# ---- meeting types (the caseworker's own, and the admin's for a unit) ---------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class MeetingTypeForm:
    """Where a meeting type form lives: whose it is, where it posts and where it leads back."""

    heading: str  # an untranslated message id
    action: URL
    back: URL
    unit: UnitInfo | None = None
    current: MeetingTypeInfo | None = None


def meeting_type_values(info: MeetingTypeInfo | None) -> dict[str, Any]:
    """The form's starting values: the meeting type's own, or the defaults for a new one."""
    source: MeetingTypeInfo | MeetingTypeFields = info or MeetingTypeFields(
        name_fi="", name_sv="", name_en="", duration_minutes=0
    )
    values: dict[str, Any] = {name: str(getattr(source, name)) for name in MEETING_TYPE_NUMBERS}
    if info is None:
        values["duration_minutes"] = ""  # no default: the length is chosen, never assumed
    names = info.names if info else {}
    values.update({f"name_{language}": names.get(language, "") for language in ("fi", "sv", "en")})
    values.update(
        address=source.address,
        reminder_minutes=", ".join(str(minutes) for minutes in source.reminder_minutes),
        assessment_template_id=source.assessment_template_id or "",
        modes=list(source.modes),
        asks_pre_meeting_form=source.asks_pre_meeting_form,
        is_active=source.is_active,
    )
    return values


def read_meeting_type(
    form: Form, current: MeetingTypeInfo | None
) -> tuple[dict[str, Any], MeetingTypeFields, Errors]:
    """What was typed (to show again), the fields to save, and the numbers that are not numbers."""
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in (
            "name_fi",
            "name_sv",
            "name_en",
            "address",
            "reminder_minutes",
            "assessment_template_id",
            *MEETING_TYPE_NUMBERS,
        )
    }
    values["modes"] = [mode for mode in MODES if mode in form.getall("modes", [])]
    values["asks_pre_meeting_form"] = form.get("asks_pre_meeting_form") == "yes"
    values["is_active"] = form.get("is_active") == "yes"
    numbers: dict[str, int] = {}
    errors: Errors = {}
    for name in MEETING_TYPE_NUMBERS:
        try:
            numbers[name] = int(values[name])
        except ValueError:
            errors[name] = N_("Enter a whole number.")
            numbers[name] = 0
    try:
        reminders = tuple(
            int(part) for part in values["reminder_minutes"].replace(",", " ").split()
        )
    except ValueError:
        errors["reminder_minutes"] = N_(
            "Give at most four reminders, each 1 to 20160 minutes before."
        )
        reminders = ()
    fields = MeetingTypeFields(
        name_fi=values["name_fi"],
        name_sv=values["name_sv"],
        name_en=values["name_en"],
        modes=tuple(values["modes"]),
        address=values["address"],
        asks_pre_meeting_form=values["asks_pre_meeting_form"],
        # The questions themselves are not edited on this page; they stay as they are.
        pre_meeting_questions=current.pre_meeting_questions if current else (),
        reminder_minutes=reminders,
        assessment_template_id=values["assessment_template_id"] or None,
        is_active=values["is_active"],
        **numbers,
    )
    return values, fields, errors


def _meeting_type_page(
    request: web.Request,
    page: MeetingTypeForm,
    values: dict[str, Any],
    errors: Errors,
    status: int = 200,
) -> web.Response:
    context = {
        "page": page,
        "values": values,
        "errors": _in_order(errors, MEETING_TYPE_ORDER),
        "modes": MODES,
        "numbers": MEETING_TYPE_NUMBERS,
        "unit_name": page.unit.name_in(request[language_key]) if page.unit else "",
        "assessments": _assessment_choices(request),
    }
    return render(request, "calendars/meeting_type_form.html", context, status=status)


def _assessment_choices(request: web.Request) -> list[tuple[str, str]]:
    language = request[language_key]
    known = request.app.get(assessment_templates_key, {})
    return sorted(
        (
            (template_id, titles.get(language) or template_id)
            for template_id, titles in known.items()
        ),
        key=lambda choice: choice[1],
    )


async def _submit_meeting_type(
    request: web.Request, viewer: Viewer, page: MeetingTypeForm
) -> web.Response | None:
    """Create or change the meeting type; the page again with errors, or None when saved."""
    values, fields, errors = read_meeting_type(await request.post(), page.current)
    calendars = request.app[calendar_service_key]
    try:
        if errors:
            fields.check()  # for the other fields' errors; nothing is saved
        elif page.current is not None:
            await calendars.update_meeting_type(viewer, page.current.id, fields)
        elif page.unit is not None:
            await calendars.create_meeting_type(viewer, fields, unit_id=page.unit.id)
        else:
            await calendars.create_meeting_type(viewer, fields, caseworker_id=viewer.user_id)
    except ValidationFailed as error:
        errors = {**error.fields, **errors}
    if errors:
        return _meeting_type_page(request, page, values, errors, status=422)
    return None


async def _offered_meeting_types(request: web.Request, viewer: Viewer) -> list[MeetingTypeInfo]:
    me = await request.app[account_service_key].staff_member(viewer.user_id)
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(me.id, me.unit_id)], active_only=False
    )
    return offered[me.id]


@pages.get("/caseworker/calendar/meeting-types", name="calendar_meeting_types")
async def meeting_types_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    offered = await _offered_meeting_types(request, viewer)
    context = {
        "own": [item for item in offered if item.caseworker_id == viewer.user_id],
        "unit_types": [item for item in offered if item.caseworker_id is None],
        "notice": _notice(request),
    }
    return render(request, "calendars/meeting_types.html", context)


def _own_meeting_type_form(
    request: web.Request, current: MeetingTypeInfo | None
) -> MeetingTypeForm:
    if current is None:
        return MeetingTypeForm(
            heading=N_("Add a meeting type"),
            action=_url(request, "calendar_meeting_type_new"),
            back=_url(request, "calendar_meeting_types"),
        )
    return MeetingTypeForm(
        heading=N_("Change the meeting type"),
        action=_url(request, "calendar_meeting_type", meeting_type_id=current.id),
        back=_url(request, "calendar_meeting_types"),
        current=current,
    )


async def _own_meeting_type(request: web.Request, viewer: Viewer) -> MeetingTypeInfo:
    info = await request.app[calendar_service_key].meeting_type(
        request.match_info["meeting_type_id"]
    )
    if info.caseworker_id != viewer.user_id:
        raise NotFound()
    return info


@pages.get("/caseworker/calendar/meeting-types/new", name="calendar_meeting_type_new")
async def meeting_type_new(request: web.Request) -> web.Response:
    staff_page(request, Role.CASEWORKER)
    return _meeting_type_page(
        request, _own_meeting_type_form(request, None), meeting_type_values(None), {}
    )


@pages.post("/caseworker/calendar/meeting-types/new", name="calendar_meeting_type_create")
async def meeting_type_create(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    page = _own_meeting_type_form(request, None)
    if (answer := await _submit_meeting_type(request, viewer, page)) is not None:
        return answer
    raise _redirect(request, "calendar_meeting_types", "meeting-type-created")


@pages.get("/caseworker/calendar/meeting-types/{meeting_type_id}", name="calendar_meeting_type")
async def meeting_type_edit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    current = await _own_meeting_type(request, viewer)
    page = _own_meeting_type_form(request, current)
    return _meeting_type_page(request, page, meeting_type_values(current), {})


@pages.post(
    "/caseworker/calendar/meeting-types/{meeting_type_id}", name="calendar_meeting_type_save"
)
async def meeting_type_save(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    page = _own_meeting_type_form(request, await _own_meeting_type(request, viewer))
    if (answer := await _submit_meeting_type(request, viewer, page)) is not None:
        return answer
    raise _redirect(request, "calendar_meeting_types", "meeting-type-saved")


# ---- the subscription feed ---------------------------------------------------------------------


async def _feed_page(
    request: web.Request, viewer: Viewer, feed_url: str | None = None
) -> web.Response:
    context = {
        "has_feed": await request.app[calendar_service_key].has_feed(viewer.user_id),
        "feed_url": feed_url,
        "notice": _notice(request) if feed_url is None else None,
    }
    return render(request, "calendars/feed.html", context)


@pages.get("/caseworker/calendar/feed", name="calendar_feed_settings")
async def feed_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _feed_page(request, viewer)


@pages.post("/caseworker/calendar/feed", name="calendar_feed_create")
async def feed_create(request: web.Request) -> web.Response:
    """A new feed address, shown on this answer only: it is kept nowhere but as a hash."""
    viewer = staff_page(request, Role.CASEWORKER)
    token = await request.app[calendar_service_key].new_feed_token(viewer, viewer.user_id)
    path = request.app.router["calendar_feed"].url_for(token=token)
    return await _feed_page(request, viewer, f"{request.app[settings_key].base_url}{path}")


@pages.post("/caseworker/calendar/feed/stop", name="calendar_feed_stop")
async def feed_stop(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[calendar_service_key].revoke_feed_token(viewer, viewer.user_id)
    raise _redirect(request, "calendar_feed_settings", "feed-stopped")


# ---- the admin's units and their meeting types --------------------------------------------------


async def _unit(request: web.Request) -> UnitInfo:
    unit_id = request.match_info["unit_id"]
    for unit in await request.app[account_service_key].units():
        if unit.id == unit_id:
            return unit
    raise NotFound()


async def _unit_meeting_type(request: web.Request, unit: UnitInfo) -> MeetingTypeInfo:
    info = await request.app[calendar_service_key].meeting_type(
        request.match_info["meeting_type_id"]
    )
    if info.unit_id != unit.id:
        raise NotFound()
    return info


def _unit_meeting_type_form(
    request: web.Request, unit: UnitInfo, current: MeetingTypeInfo | None
) -> MeetingTypeForm:
    back = _url(request, "admin_units")
    if current is None:
        action = _url(request, "admin_unit_meeting_type_new", unit_id=unit.id)
        return MeetingTypeForm(N_("Add a meeting type to the unit"), action, back, unit)
    action = _url(request, "admin_unit_meeting_type", unit_id=unit.id, meeting_type_id=current.id)
    return MeetingTypeForm(N_("Change the unit's meeting type"), action, back, unit, current)


@pages.get("/admin/units", name="admin_units")
async def admin_units(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    calendars = request.app[calendar_service_key]
    units = await request.app[account_service_key].units()
    context = {
        "units": [(unit, await calendars.unit_meeting_types(unit.id)) for unit in units],
        "notice": _notice(request),
    }
    return render(request, "calendars/admin_units.html", context)


@pages.get("/admin/units/{unit_id}/meeting-types/new", name="admin_unit_meeting_type_new")
async def admin_meeting_type_new(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    page = _unit_meeting_type_form(request, await _unit(request), None)
    return _meeting_type_page(request, page, meeting_type_values(None), {})


@pages.post("/admin/units/{unit_id}/meeting-types/new", name="admin_unit_meeting_type_create")
async def admin_meeting_type_create(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    page = _unit_meeting_type_form(request, await _unit(request), None)
    if (answer := await _submit_meeting_type(request, viewer, page)) is not None:
        return answer
    raise _redirect(request, "admin_units", "meeting-type-created")


@pages.get("/admin/units/{unit_id}/meeting-types/{meeting_type_id}", name="admin_unit_meeting_type")
async def admin_meeting_type_edit(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    unit = await _unit(request)
    current = await _unit_meeting_type(request, unit)
    page = _unit_meeting_type_form(request, unit, current)
    return _meeting_type_page(request, page, meeting_type_values(current), {})


@pages.post(
    "/admin/units/{unit_id}/meeting-types/{meeting_type_id}",
    name="admin_unit_meeting_type_save",
)
async def admin_meeting_type_save(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    unit = await _unit(request)
    page = _unit_meeting_type_form(request, unit, await _unit_meeting_type(request, unit))
    if (answer := await _submit_meeting_type(request, viewer, page)) is not None:
        return answer
    raise _redirect(request, "admin_units", "meeting-type-saved")


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
