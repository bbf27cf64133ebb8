"""The public concern report pages and the intake queue page (server-rendered, no JavaScript).

GOV.UK question pages: start → the reporter → the child → the guardians → who has been told →
where the child is now → the concern → check your answers → confirmation. Everything typed
travels in hidden fields of POST forms (never in a URL, a cookie or a log line), as on the
booking pages; the report's own ``submission_id``, made when the form is first shown, makes
sending twice (a double click, a refresh) store one report. The service stays the judge: each
step asks it about the whole draft and shows only the errors that belong to that step.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_datetime
from multidict import MultiDictProxy
from pydantic import ValidationError

from accounts.keys import account_service_key
from accounts.routes import staff_page
from booking.keys import booking_service_key
from booking.service import BookingRequest, ClientDetails, SlotTaken
from calendars.keys import calendar_service_key
from core.app_keys import settings_key
from core.errors import Conflict, NotFound, ValidationFailed
from core.http import client_address
from core.i18n import N_
from core.principal import Role
from core.request_keys import language_key
from core.templating import render
from reports.deadlines import DEADLINE_NAMES
from reports.keys import report_limiter_key, report_service_key
from reports.schemas import ConcernReportIn
from reports.service import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    NEXT_STATUSES,
    ReportDetail,
    StagedFile,
    Upload,
    check_report,
)

pages = web.RouteTableDef()

KINDS = ("professional", "private")
STEPS = ("reporter", "child", "guardians", "informed", "whereabouts", "concern", "attachments")
ATTACHMENT_FIELD = "attachment"
MAX_FIELD_LENGTH = 10_000
CATEGORIES = {
    "violence": N_("Violence or threat of violence"),
    "sexual_abuse": N_("Sexual abuse"),
    "honour_related": N_("Honour-related violence or oppression"),
    "neglect": N_("Neglect of care"),
    "guardian_substance_abuse": N_("A guardian's alcohol or drug use"),
    "guardian_mental_health": N_("A guardian's mental health"),
    "child_substance_abuse": N_("The child's alcohol or drug use"),
    "child_behaviour": N_("The child's behaviour or crime"),
    "school_absence": N_("Absence from school"),
    "other": N_("Something else"),
}
STATUS_NAMES = {
    "received": N_("Received"),
    "protection_assessed": N_("Protection assessed"),
    "investigation_opened": N_("Investigation opened"),
    "investigation_not_opened": N_("Investigation not opened"),
    "forwarded": N_("Forwarded to another municipality"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    name: str  # the form field: the API's path with "-" for "." ("child-identity_number")
    label: str
    kind: str = "text"  # text, textarea, date, yes_no, categories, email, tel
    hint: str = ""
    optional: bool = True
    autocomplete: str = ""


TITLES = {
    "reporter": N_("About you"),
    "child": N_("About the child"),
    "guardians": N_("The child's guardian"),
    "informed": N_("Who has been told about this report"),
    "whereabouts": N_("Where is the child now?"),
    "concern": N_("Your concern"),
    "attachments": N_("Attachments"),
}


def step_fields(step: str, kind: str) -> tuple[Field, ...]:
    required = kind == "professional"
    if step == "reporter":
        return (
            Field("reporter-name", N_("Your name"), optional=not required, autocomplete="name"),
            Field(
                "reporter-role",
                N_("Your role"),
                hint=N_("For example class teacher, school nurse or school social worker."),
                optional=not required,
            ),
            Field(
                "reporter-organisation",
                N_("School or organisation"),
                optional=not required,
                autocomplete="organization",
            ),
            Field("reporter-phone", N_("Phone number"), "tel", autocomplete="tel"),
            Field(
                "reporter-email",
                N_("Email address"),
                "email",
                autocomplete="email",
                hint=N_("We send a receipt with the reference number only."),
            ),
        )
    if step == "child":
        return (
            Field("child-name", N_("The child's name"), optional=False),
            Field(
                "child-identity_number",
                N_("Personal identity number"),
                hint=N_("If you do not know it, give the date of birth instead."),
            ),
            Field("child-date_of_birth", N_("Date of birth"), "date"),
            Field("child-address", N_("Address")),
            Field("child-school", N_("School or day care")),
            Field("child-school_class", N_("Class")),
            Field(
                "child-siblings",
                N_("Siblings"),
                "textarea",
                hint=N_("Names and ages, if you know them."),
            ),
        )
    if step == "guardians":
        return (
            Field("guardian-name", N_("Guardian's name")),
            Field("guardian-phone", N_("Guardian's phone number"), "tel"),
            Field("guardian-email", N_("Guardian's email address"), "email"),
            Field("guardian-address", N_("Guardian's address")),
            Field(
                "guardian-interpreter_needed",
                N_("Does the guardian need an interpreter?"),
                "yes_no",
            ),
            Field("guardian-interpreter_language", N_("Language of the interpreter")),
        )
    if step == "informed":
        return (
            Field(
                "informed-guardians_told",
                N_("Have the guardians been told about this report?"),
                "yes_no",
                optional=False,
            ),
            Field(
                "informed-child_told",
                N_("Has the child been told about this report?"),
                "yes_no",
                optional=False,
            ),
            Field("informed-why_not", N_("If not, why not?"), "textarea"),
        )
    if step == "attachments":
        return ()
    if step == "whereabouts":
        return (
            Field(
                "child_whereabouts",
                N_("Where is the child now?"),
                "textarea",
                hint=N_("For example at school until 14:00, or at home."),
            ),
        )
    return (
        Field(
            "concern-categories",
            N_("What is the concern about?"),
            "categories",
            hint=N_("Choose all that apply."),
            optional=False,
        ),
        Field(
            "concern-description",
            N_("What have you seen or heard?"),
            "textarea",
            hint=N_("Write what happened and what the child said, in their own words if you can."),
            optional=False,
        ),
        Field("concern-since", N_("Since when?"), "textarea"),
        Field("concern-why_now", N_("Why are you reporting now?"), "textarea"),
    )


ALL_FIELDS = {
    kind: [field for step in STEPS for field in step_fields(step, kind)] for kind in KINDS
}


def step_of(field_path: str) -> str:
    """The step whose page asks for a field named by the API ("guardians.0.phone")."""
    head = field_path.split(".", 1)[0].split("-", 1)[0]
    return {
        "reporter": "reporter",
        "child": "child",
        "guardians": "guardians",
        "guardian": "guardians",
        "informed": "informed",
        "child_whereabouts": "whereabouts",
        "concern": "concern",
        "attachments": "attachments",
        "file": "attachments",
    }.get(head, "concern")


def form_name(field_path: str) -> str:
    parts = field_path.split(".")
    if parts[0] == "guardians":
        return "guardian-" + (parts[2] if len(parts) > 2 else "name")
    if parts[0] == "concern" and len(parts) > 1 and parts[1] == "categories":
        return "concern-categories"
    return "-".join(parts[:2])


# ---- the draft ------------------------------------------------------------------------------


@dataclasses.dataclass
class Draft:
    kind: str
    submission_id: str
    values: dict[str, str]
    categories: list[str]
    # Files already uploaded on the attachments step, as their signed form values.
    attachments: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def read(cls, kind: str, params: Mapping[str, Any]) -> Draft:
        values = {}
        for field in ALL_FIELDS[kind]:
            raw = params.get(field.name, "")
            if isinstance(raw, str) and field.kind != "categories":
                values[field.name] = raw[:MAX_FIELD_LENGTH]
        categories: list[str] = []
        attachments: list[str] = []
        if isinstance(params, MultiDictProxy):
            categories = [
                value
                for value in params.getall("concern-categories", [])
                if isinstance(value, str) and value in CATEGORIES
            ]
            attachments = [
                value
                for value in params.getall(ATTACHMENT_FIELD, [])
                if isinstance(value, str) and len(value) < 1000
            ][:5]
        submission = params.get("submission_id", "")
        if not isinstance(submission, str) or not 16 <= len(submission) <= 64:
            submission = secrets.token_urlsafe(24)
        return cls(kind, submission, values, categories, attachments)

    def hidden(self, *leaving_out: str) -> list[tuple[str, str]]:
        fields = [("submission_id", self.submission_id)]
        fields += [
            (name, value)
            for name, value in self.values.items()
            if value and name not in leaving_out
        ]
        if "concern-categories" not in leaving_out:
            fields += [("concern-categories", category) for category in self.categories]
        fields += [(ATTACHMENT_FIELD, value) for value in self.attachments]
        return fields

    def data(self, language: str) -> dict[str, Any]:
        """The draft in the shape of the API's report (maybe incomplete)."""
        v = {name: value.strip() for name, value in self.values.items() if value.strip()}

        def section(prefix: str) -> dict[str, Any]:
            return {
                name.split("-", 1)[1]: value for name, value in v.items() if name.startswith(prefix)
            }

        guardian: dict[str, Any] = section("guardian-")
        if "interpreter_needed" in guardian:
            guardian["interpreter_needed"] = guardian["interpreter_needed"] == "yes"
        informed: dict[str, Any] = section("informed-")
        for name in ("guardians_told", "child_told"):
            if name in informed:
                informed[name] = informed[name] == "yes"
        concern: dict[str, Any] = section("concern-")
        concern["categories"] = self.categories
        data: dict[str, Any] = {
            "submission_id": self.submission_id,
            "reporter_kind": self.kind,
            "language": language,
            "reporter": section("reporter-"),
            "child": section("child-"),
            "guardians": [guardian] if any(guardian.values()) else [],
            "informed": informed,
            "concern": concern,
        }
        if "child_whereabouts" in v:
            data["child_whereabouts"] = v["child_whereabouts"]
        return data


# Stand-ins for sections not answered yet, so that the service can judge the answered ones.
PLACEHOLDERS: dict[str, Any] = {
    "reporter": {},
    "child": {"name": "-", "date_of_birth": "2000-01-01"},
    "guardians": [],
    "informed": {"guardians_told": True, "child_told": True},
    "child_whereabouts": None,
    "concern": {"categories": ["other"], "description": "-"},
}


def draft_errors(
    request: web.Request, draft: Draft
) -> tuple[dict[str, str], ConcernReportIn | None]:
    """Every error in the draft, by form field name, and the checked report if there are none."""
    service = request.app[report_service_key]
    data = draft.data(request.get(language_key, "fi"))
    errors: dict[str, str] = {}
    try:
        report = ConcernReportIn.model_validate(data)
    except ValidationError as error:
        unfinished = set()
        for item in error.errors():
            path = ".".join(str(part) for part in item["loc"])
            unfinished.add(str(item["loc"][0]))
            message = (
                N_("This field is required.")
                if item["type"] in ("missing", "too_short")
                else N_("This value is not valid.")
            )
            errors.setdefault(form_name(path), message)
        stand_in = {
            **data,
            **{name: PLACEHOLDERS[name] for name in unfinished if name in PLACEHOLDERS},
        }
        try:
            report = ConcernReportIn.model_validate(stand_in)
        except ValidationError:
            return errors, None
    try:
        checked = check_report(report, request.app[settings_key].jurisdiction, service.today())
    except ValidationFailed as failed:
        for path, message in failed.fields.items():
            errors.setdefault(form_name(path), message)
        return errors, None
    return errors, (None if errors else checked)


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise NotFound()
    return kind


async def _params(request: web.Request) -> Mapping[str, Any]:
    if request.method == "POST":
        return await request.post()
    return request.query


def _step_page(
    request: web.Request,
    draft: Draft,
    step: str,
    errors: Mapping[str, str],
    status: int = 200,
    *,
    returning: bool = False,
) -> web.Response:
    index = STEPS.index(step)
    fields = step_fields(step, draft.kind)
    back_action = (
        str(request.app.router["concern_step"].url_for(kind=draft.kind, step=STEPS[index - 1]))
        if index
        else ""
    )
    return render(
        request,
        "reports/question.html",
        {
            "title": TITLES[step],
            "step": step,
            "kind": draft.kind,
            "fields": fields,
            "values": draft.values,
            "categories": CATEGORIES,
            "chosen_categories": draft.categories,
            "errors": dict(errors),
            "action": str(request.app.router["concern_step"].url_for(kind=draft.kind, step=step)),
            "hidden": draft.hidden(*(field.name for field in fields)),
            "back": {
                "href": "" if index else str(request.app.router["concern_start"].url_for()),
                "action": back_action,
                "fields": draft.hidden(),
            },
            "returning": returning,
            "staged": _staged(request, draft) if step == "attachments" else [],
            "max_attachments": MAX_ATTACHMENTS,
        },
        status=status,
    )


def _check_page(
    request: web.Request, draft: Draft, report: ConcernReportIn, status: int = 200
) -> web.Response:
    router = request.app.router
    sections = []
    for step in STEPS[:-1]:
        rows = []
        for field in step_fields(step, draft.kind):
            if field.kind == "categories":
                shown = [CATEGORIES[c] for c in draft.categories]
            elif field.kind == "yes_no":
                value = draft.values.get(field.name, "")
                shown = [{"yes": N_("Yes"), "no": N_("No")}.get(value, "")]
            else:
                shown = [draft.values.get(field.name, "")]
            rows.append(
                {
                    "label": field.label,
                    "values": shown,
                    "translate": field.kind in ("categories", "yes_no"),
                }
            )
        sections.append(
            {
                "title": TITLES[step],
                "rows": rows,
                "action": str(router["concern_step"].url_for(kind=draft.kind, step=step)),
            }
        )
    sections.append(
        {
            "title": TITLES["attachments"],
            "rows": [
                {
                    "label": N_("Files"),
                    "values": [file.filename for file in _staged(request, draft)],
                    "translate": False,
                }
            ],
            "action": str(router["concern_step"].url_for(kind=draft.kind, step="attachments")),
        }
    )
    return render(
        request,
        "reports/check.html",
        {
            "sections": sections,
            "fields": draft.hidden(),
            "send_action": str(router["concern_send"].url_for(kind=draft.kind)),
            "back": {
                "href": "",
                "action": str(router["concern_step"].url_for(kind=draft.kind, step=STEPS[-1])),
                "fields": draft.hidden(),
            },
            "errors": {},
            "urgent": bool(set(draft.categories) & {"violence", "sexual_abuse", "honour_related"}),
        },
        status=status,
    )


# ---- the pages -------------------------------------------------------------------------------


@pages.get("/report-a-concern", name="concern_start")
async def concern_start(request: web.Request) -> web.Response:
    settings = request.app[settings_key]
    return render(
        request,
        "reports/start.html",
        {
            "oncall_phone": settings.social_oncall_phone,
            "professional_href": str(
                request.app.router["concern_step"].url_for(kind="professional", step="reporter")
            ),
            "private_href": str(
                request.app.router["concern_step"].url_for(kind="private", step="reporter")
            ),
        },
    )


STEP_PATH = "/report-a-concern/{kind:professional|private}/{step:" + "|".join(STEPS) + "}"


@pages.get(STEP_PATH, name="concern_step")
@pages.post(STEP_PATH)
async def concern_step(request: web.Request) -> web.Response:
    kind = _kind(request)
    step = request.match_info["step"]
    if step not in STEPS:
        raise NotFound()
    params = await _params(request)
    draft = Draft.read(kind, params)
    returning = params.get("returning") == "check"
    if params.get("submitted") != step:
        # Arriving (a back or change button, or the first visit): show what is kept.
        return _step_page(request, draft, step, {}, returning=returning)
    if step == "attachments" and (params.get("upload") or params.get("remove")):
        return await _change_attachments(request, draft, params, returning)
    errors, report = draft_errors(request, draft)
    own = {name: message for name, message in errors.items() if step_of(name) == step}
    if own:
        return _step_page(request, draft, step, own, status=422, returning=returning)
    if returning or step == STEPS[-1]:
        # Every step answered: the first one with a problem, or the check page.
        if errors or report is None:
            first = min(errors, key=lambda name: STEPS.index(step_of(name)))
            unfinished = step_of(first)
            return _step_page(
                request,
                draft,
                unfinished,
                {n: m for n, m in errors.items() if step_of(n) == unfinished},
                status=422,
            )
        return _check_page(request, draft, report)
    return _step_page(request, draft, STEPS[STEPS.index(step) + 1], {})


async def _change_attachments(
    request: web.Request, draft: Draft, params: Mapping[str, Any], returning: bool
) -> web.Response:
    """Upload one more file, or take one away; the page is shown again either way."""
    removed = params.get("remove")
    if isinstance(removed, str) and removed:
        draft.attachments = [value for value in draft.attachments if value != removed]
        return _step_page(request, draft, "attachments", {}, returning=returning)
    chosen = params.get("file")
    if not isinstance(chosen, web.FileField) or not chosen.filename:
        return _step_page(
            request, draft, "attachments", {"file": N_("Choose a file.")}, 422, returning=returning
        )
    if len(draft.attachments) >= MAX_ATTACHMENTS:
        errors = {"file": N_("Attach at most 5 files.")}
        return _step_page(request, draft, "attachments", errors, 422, returning=returning)
    data = chosen.file.read(MAX_ATTACHMENT_BYTES + 1)
    try:
        staged = await request.app[report_service_key].stage(
            draft.submission_id, Upload(chosen.filename, data)
        )
    except ValidationFailed as failed:
        return _step_page(request, draft, "attachments", failed.fields, 422, returning=returning)
    draft.attachments.append(staged.value)
    return _step_page(request, draft, "attachments", {}, returning=returning)


def _staged(request: web.Request, draft: Draft) -> list[StagedFile]:
    service = request.app[report_service_key]
    found = (service.staged_file(draft.submission_id, value) for value in draft.attachments)
    return [file for file in found if file is not None]


@pages.post("/report-a-concern/{kind:professional|private}/send", name="concern_send")
async def concern_send(request: web.Request) -> web.Response:
    kind = _kind(request)
    await request.app[report_limiter_key].check(client_address(request))
    draft = Draft.read(kind, await request.post())
    errors, report = draft_errors(request, draft)
    if errors or report is None:
        first = min(errors, key=lambda name: STEPS.index(step_of(name)))
        step = step_of(first)
        return _step_page(
            request, draft, step, {n: m for n, m in errors.items() if step_of(n) == step}, 422
        )
    service = request.app[report_service_key]
    submitted = await service.submit(report, staged=_staged(request, draft))
    raise web.HTTPSeeOther(
        str(
            request.app.router["concern_receipt"]
            .url_for(reference=submitted.reference)
            .with_query(token=service.receipt_token(submitted.reference))
        )
    )


@pages.get(r"/report-a-concern/receipt/{reference:OR-\d{4}-\d{6}}", name="concern_receipt")
async def concern_receipt(request: web.Request) -> web.Response:
    service = request.app[report_service_key]
    reference = request.match_info["reference"]
    if not service.receipt_token_matches(reference, request.query.get("token", "")):
        raise NotFound()
    settings = request.app[settings_key]
    return render(
        request,
        "reports/confirmation.html",
        {
            "reference": reference,
            "jurisdiction": settings.jurisdiction,
            "oncall_phone": settings.social_oncall_phone,
        },
    )


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
