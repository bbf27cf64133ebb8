"""Meeting type pages: the caseworker's own meeting types, and the admin's units with the
meeting types every caseworker of a unit offers. Both edit a meeting type through one form."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from aiohttp import web
from yarl import URL

from accounts.keys import account_service_key, staff_page
from accounts.organisation import UnitInfo
from calendars.base_pages import notice_of, redirect_to, url_of
from calendars.keys import assessment_templates_key, calendar_service_key
from calendars.meeting_types import MODES, MeetingTypeFields, MeetingTypeInfo
from calendars.page_forms import Errors, Form, field_text, in_order
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer
from core.request_keys import language_key
from core.templating import render

pages = web.RouteTableDef()

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
    "requires_identification",
    "network_meeting",
    "is_active",
)

NOTICES = {
    "meeting-type-created": N_("The meeting type was added."),
    "meeting-type-saved": N_("The meeting type was saved."),
}


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
        requires_identification=source.requires_identification,
        network_meeting=source.network_meeting,
        is_active=source.is_active,
    )
    return values


def read_meeting_type(
    form: Form, current: MeetingTypeInfo | None
) -> tuple[dict[str, Any], MeetingTypeFields, Errors]:
    """What was typed (to show again), the fields to save, and the numbers that are not numbers."""
    values: dict[str, Any] = {
        name: field_text(form, name)
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
    values["requires_identification"] = form.get("requires_identification") == "yes"
    values["network_meeting"] = form.get("network_meeting") == "yes"
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
        requires_identification=values["requires_identification"],
        network_meeting=values["network_meeting"],
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
        "errors": in_order(errors, MEETING_TYPE_ORDER),
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


async def offered_meeting_types(request: web.Request, viewer: Viewer) -> list[MeetingTypeInfo]:
    """The meeting types the caseworker offers, inactive ones too: their own and their unit's."""
    me = await request.app[account_service_key].staff_member(viewer.user_id)
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(me.id, me.unit_id)], active_only=False
    )
    return offered[me.id]


@pages.get("/caseworker/calendar/meeting-types", name="calendar_meeting_types")
async def meeting_types_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    offered = await offered_meeting_types(request, viewer)
    context = {
        "own": [item for item in offered if item.caseworker_id == viewer.user_id],
        "unit_types": [item for item in offered if item.caseworker_id is None],
        "notice": notice_of(request, NOTICES),
    }
    return render(request, "calendars/meeting_types.html", context)


def _own_meeting_type_form(
    request: web.Request, current: MeetingTypeInfo | None
) -> MeetingTypeForm:
    if current is None:
        return MeetingTypeForm(
            heading=N_("Add a meeting type"),
            action=url_of(request, "calendar_meeting_type_new"),
            back=url_of(request, "calendar_meeting_types"),
        )
    return MeetingTypeForm(
        heading=N_("Change the meeting type"),
        action=url_of(request, "calendar_meeting_type", meeting_type_id=current.id),
        back=url_of(request, "calendar_meeting_types"),
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
    raise redirect_to(request, "calendar_meeting_types", "meeting-type-created")


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
    raise redirect_to(request, "calendar_meeting_types", "meeting-type-saved")


# ---- the admin's units and their meeting types --------------------------------------------------


async def _unit(request: web.Request) -> UnitInfo:
    unit_id = request.match_info["unit_id"]
    for unit in await request.app[account_service_key].organisation.units():
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
    back = url_of(request, "admin_units")
    if current is None:
        action = url_of(request, "admin_unit_meeting_type_new", unit_id=unit.id)
        return MeetingTypeForm(N_("Add a meeting type to the unit"), action, back, unit)
    action = url_of(request, "admin_unit_meeting_type", unit_id=unit.id, meeting_type_id=current.id)
    return MeetingTypeForm(N_("Change the unit's meeting type"), action, back, unit, current)


@pages.get("/admin/units", name="admin_units")
async def admin_units(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    calendars = request.app[calendar_service_key]
    units = await request.app[account_service_key].organisation.units()
    context = {
        "units": [(unit, await calendars.unit_meeting_types(unit.id)) for unit in units],
        "notice": notice_of(request, NOTICES),
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
    raise redirect_to(request, "admin_units", "meeting-type-created")


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
    raise redirect_to(request, "admin_units", "meeting-type-saved")
