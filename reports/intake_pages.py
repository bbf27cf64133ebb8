"""The intake pages of concern reports: the queue, one report with its history, its status and
notes, and booking a meeting with the family through the booking service.

Server-rendered like the public pages; who may see and change what is decided by the service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_datetime

from accounts.keys import account_service_key, staff_page
from booking.keys import booking_service_key
from booking.types import BookingRequest, ClientDetails, SlotTaken
from calendars.keys import calendar_service_key
from core.app_keys import settings_key
from core.errors import Conflict, ValidationFailed
from core.i18n import N_
from core.principal import Role
from core.request_keys import language_key
from core.templating import render
from reports.deadlines import DEADLINE_NAMES
from reports.intake import NEXT_STATUSES
from reports.keys import report_service_key
from reports.labels import CATEGORIES, STATUS_NAMES
from reports.records import ReportDetail
from reports.report_form import MAX_FIELD_LENGTH

pages = web.RouteTableDef()


@pages.get("/intake/concern-reports", name="intake_queue")
async def intake_queue(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.INTAKE, Role.CASEWORKER)
    summaries = await request.app[report_service_key].list_reports(viewer)
    return render(
        request,
        "reports/queue.html",
        {
            "reports": summaries,
            "categories": CATEGORIES,
            "statuses": STATUS_NAMES,
            "deadline_names": DEADLINE_NAMES,
        },
    )


REFERENCE_PATH = r"{reference:OR-\d{4}-\d{6}}"


@pages.get("/intake/concern-reports/" + REFERENCE_PATH, name="intake_report")
async def intake_report(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.INTAKE, Role.CASEWORKER)
    detail = await request.app[report_service_key].get_report(
        viewer, request.match_info["reference"]
    )
    return _report_page(request, detail, {})


@pages.post("/intake/concern-reports/" + REFERENCE_PATH)
async def intake_report_change(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.INTAKE)
    reference = request.match_info["reference"]
    form = await request.post()
    status, note = form.get("status"), form.get("note")
    service = request.app[report_service_key]
    try:
        await service.update_report(
            viewer,
            reference,
            assignee_id=viewer.user_id if form.get("assign_to_me") else None,
            status=status if isinstance(status, str) and status in STATUS_NAMES else None,
            note=note.strip()[:MAX_FIELD_LENGTH] or None if isinstance(note, str) else None,
        )
    except Conflict as refused:
        detail = await service.get_report(viewer, reference)
        return _report_page(request, detail, {"status": refused.detail}, status=409)
    raise web.HTTPSeeOther(str(request.app.router["intake_report"].url_for(reference=reference)))


def _report_page(
    request: web.Request, detail: ReportDetail, errors: Mapping[str, str], status: int = 200
) -> web.Response:
    summary = detail.summary
    return render(
        request,
        "reports/report.html",
        {
            "summary": summary,
            "report": detail.report,
            "attachments": detail.attachments,
            "events": detail.events,
            "categories": CATEGORIES,
            "statuses": STATUS_NAMES,
            "deadline_names": DEADLINE_NAMES,
            "next_statuses": sorted(NEXT_STATUSES.get(summary.status, ())),
            "errors": dict(errors),
        },
        status=status,
    )


# ---- booking a meeting with the family (through the booking service) ---------------------------

MEETING_PATH = "/intake/concern-reports/" + REFERENCE_PATH + "/meeting"
FREE_TIMES_SHOWN = 30


@dataclasses.dataclass(frozen=True, slots=True)
class _Offer:
    value: str  # "<caseworker id>/<meeting type id>"
    label: str


async def _offers(request: web.Request) -> list[_Offer]:
    """Every caseworker with each meeting type they offer, as one choice."""
    language = request[language_key]
    people = await request.app[account_service_key].caseworkers()
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(person.id, person.unit_id) for person in people]
    )
    return [
        _Offer(f"{person.id}/{kind.id}", f"{person.name} – {kind.name_in(language)}")
        for person in people
        for kind in offered[person.id]
    ]


async def _meeting_page(
    request: web.Request,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> web.Response:
    viewer = staff_page(request, Role.INTAKE)
    reference = request.match_info["reference"]
    detail = await request.app[report_service_key].get_report(viewer, reference)
    offers = await _offers(request)
    chosen = values.get("offer", "")
    times: list[tuple[str, str]] = []
    if "/" in chosen and chosen in {offer.value for offer in offers}:
        caseworker_id, meeting_type_id = chosen.split("/", 1)
        zone = ZoneInfo(await request.app[calendar_service_key].time_zone_of(caseworker_id))
        today = datetime.now(zone).date()
        slots = await request.app[booking_service_key].slots(
            meeting_type_id,
            caseworker_id=caseworker_id,
            unit_id=None,
            first_day=today,
            last_day=today + timedelta(days=14),
        )
        language = request[language_key]
        times = [
            (
                slot.start.isoformat(),
                format_datetime(slot.start.astimezone(zone), "EEE d.M. HH:mm", locale=language),
            )
            for slot in slots[:FREE_TIMES_SHOWN]
        ]
    guardian = detail.report.guardians[0] if detail.report.guardians else None
    defaults = {
        "name": guardian.name if guardian else "",
        "email": (guardian.email or "") if guardian else "",
        "phone": (guardian.phone or "") if guardian else "",
        "language": request.app[settings_key].default_language,
    }
    return render(
        request,
        "reports/meeting.html",
        {
            "summary": detail.summary,
            "offers": [(offer.value, offer.label) for offer in offers],
            "times": times,
            "values": {**defaults, **{k: v for k, v in values.items() if v}},
            "errors": dict(errors),
        },
        status=status,
    )


@pages.get(MEETING_PATH, name="intake_report_meeting")
async def intake_meeting_form(request: web.Request) -> web.Response:
    return await _meeting_page(request, {"offer": request.query.get("offer", "")}, {})


@pages.post(MEETING_PATH)
async def intake_meeting_book(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.INTAKE)
    reference = request.match_info["reference"]
    form = await request.post()
    values = {
        name: str(form.get(name, "")).strip()
        for name in ("offer", "start", "mode", "name", "email", "phone", "language")
    }
    errors: dict[str, str] = {}
    if "/" not in values["offer"]:
        errors["offer"] = N_("Choose a caseworker and a meeting type.")
    try:
        start = datetime.fromisoformat(values["start"])
    except ValueError:
        errors["start"] = N_("Choose a time.")
    if errors:
        return await _meeting_page(request, values, errors, status=422)
    caseworker_id, meeting_type_id = values["offer"].split("/", 1)
    try:
        created = await request.app[booking_service_key].book(
            BookingRequest(
                meeting_type_id=meeting_type_id,
                start=start,
                mode=values["mode"] or "video",
                language=values["language"] or "fi",
                client=ClientDetails(
                    name=values["name"],
                    email=values["email"] or None,
                    phone=values["phone"] or None,
                ),
                caseworker_id=caseworker_id,
            )
        )
    except ValidationFailed as failed:
        fields = {
            ("client" if "client" in key else key): text for key, text in failed.fields.items()
        }
        return await _meeting_page(request, values, fields, status=422)
    except SlotTaken:
        return await _meeting_page(
            request,
            values,
            {"start": N_("Someone booked that time just now. Choose another.")},
            409,
        )
    booking = created.booking
    await request.app[report_service_key].record_meeting(
        viewer,
        reference,
        f"{booking.caseworker.name}, {booking.start.isoformat()} ({booking.id})",
    )
    raise web.HTTPSeeOther(str(request.app.router["intake_report"].url_for(reference=reference)))


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
