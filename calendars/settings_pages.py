"""The caseworker's calendar settings pages: the overview, time zone and meeting languages,
weekly working hours, date overrides and absences.

Thin handlers, as in accounts/routes.py: check the role, read the form, call the calendar
service, then render again with the errors kept or redirect (303) with a notice. Times are shown
and typed in the caseworker's own zone, formatted by Babel in the page language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from aiohttp import web

from accounts.keys import staff_page
from calendars.base_pages import caseworker_times, notice_of, redirect_to
from calendars.keys import calendar_service_key
from calendars.meeting_type_pages import offered_meeting_types
from calendars.page_forms import (
    WEEK,
    Errors,
    field_text,
    first_message,
    in_order,
    locate_interval_errors,
    read_intervals,
    zone_choices,
)
from calendars.working_time import ABSENCE_KINDS, OpeningInterval
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.local_times import LocalTimes, parse_clock, parse_day
from core.principal import Role, Viewer
from core.templating import render

pages = web.RouteTableDef()

# Every weekday offers two start–end pairs; more when the API stored more on some day.
DEFAULT_PERIODS = 2
MAX_PERIODS = 8
OVERRIDE_PERIODS = 2

NOTICES = {
    "profile-saved": N_("Your time zone and meeting languages were saved."),
    "hours-saved": N_("Your working hours were saved."),
    "override-saved": N_("The hours for the date were saved."),
    "override-removed": N_("The date was removed. The weekly working hours apply again."),
    "absence-added": N_("The absence was added."),
    "absence-removed": N_("The absence was removed."),
}

ENTER_A_DATE = N_("Enter a date like 31.12.2027.")
ENTER_MOMENT = {
    "start_day": N_("Enter the start date, like 31.12.2027."),
    "start_time": N_("Enter the start time like 08:30, or leave it empty."),
    "end_day": N_("Enter the end date, like 31.12.2027."),
    "end_time": N_("Enter the end time like 08:30, or leave it empty."),
}


# ---- calendar settings: the overview ----------------------------------------------------------


@pages.get("/caseworker/calendar", name="calendar_settings")
async def settings_overview(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    calendars = request.app[calendar_service_key]
    times = await caseworker_times(request, viewer)
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
        "meeting_type_count": len(await offered_meeting_types(request, viewer)),
        "has_feed": await calendars.has_feed(viewer.user_id),
    }
    return render(request, "calendars/settings.html", context)


# ---- time zone and meeting languages ----------------------------------------------------------


async def _profile_page(
    request: web.Request, viewer: Viewer, values: dict[str, Any], errors: Errors, status: int = 200
) -> web.Response:
    times = await caseworker_times(request, viewer)
    context = {
        "values": values,
        "errors": in_order(errors, ("time_zone", "languages")),
        "zones": zone_choices(values["time_zone"] or times.zone_name, times.locale),
        "notice": notice_of(request, NOTICES) if status == 200 else None,
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
    time_zone = field_text(form, "time_zone")
    languages = [code for code in SUPPORTED_LANGUAGES if code in form.getall("languages", [])]
    values = {"time_zone": time_zone, "languages": languages}
    try:
        await request.app[calendar_service_key].set_profile(
            viewer, viewer.user_id, time_zone=time_zone, languages=languages
        )
    except ValidationFailed as error:
        return await _profile_page(request, viewer, values, error.fields, status=422)
    raise redirect_to(request, "calendar_profile", "profile-saved")


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
    times = await caseworker_times(request, viewer)
    context = {
        "values": values,
        "periods": periods,
        "errors": in_order(errors, ["time_zone", *_hours_fields(periods)]),
        "zones": zone_choices(values["time_zone"] or times.zone_name, times.locale),
        "weekdays": [(day, times.weekday(day)) for day in WEEK],
        "notice": notice_of(request, NOTICES) if status == 200 else None,
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
        periods = min(max(int(field_text(form, "periods")), DEFAULT_PERIODS), MAX_PERIODS)
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
    time_zone = field_text(form, "time_zone")
    if not errors:
        try:
            await request.app[calendar_service_key].replace_working_hours(
                viewer, viewer.user_id, time_zone, intervals
            )
        except ValidationFailed as error:
            errors = error.fields
    if errors:
        values = {name: field_text(form, name) for name in _hours_fields(periods)}
        values["time_zone"] = time_zone
        return await _hours_page(request, viewer, values, periods, errors, status=422)
    raise redirect_to(request, "calendar_hours", "hours-saved")


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
    times = await caseworker_times(request, viewer)
    overrides = await request.app[calendar_service_key].day_overrides(viewer.user_id, times.today())
    context = {
        "times": times,
        "overrides": overrides,
        "values": values,
        "errors": in_order(errors, OVERRIDE_ORDER),
        "periods": OVERRIDE_FIELDS,
        "notice": notice_of(request, NOTICES) if status == 200 else None,
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
    values: dict[str, Any] = {name: field_text(form, name) for name in OVERRIDE_ORDER}
    values["closed"] = form.get("closed") == "yes"
    errors: Errors = {}
    day: date | None = None
    try:
        day = parse_day(values["day"])
    except ValueError:
        errors["day"] = ENTER_A_DATE
    times = await caseworker_times(request, viewer)
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
            errors = {"start-1": first_message(error)}
    if errors:
        return await _overrides_page(request, viewer, values, errors, status=422)
    raise redirect_to(request, "calendar_overrides", "override-saved")


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
    raise redirect_to(request, "calendar_overrides", "override-removed")


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
        "times": await caseworker_times(request, viewer),
        "absences": await request.app[calendar_service_key].absences(viewer, viewer.user_id),
        "kinds": ABSENCE_KINDS,
        "values": values,
        "errors": in_order(errors, ABSENCE_ORDER),
        "notice": notice_of(request, NOTICES) if status == 200 else None,
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
    values = {name: field_text(form, name) for name in ABSENCE_ORDER}
    times = await caseworker_times(request, viewer)
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
    raise redirect_to(request, "calendar_absences", "absence-added")


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
    raise redirect_to(request, "calendar_absences", "absence-removed")
