"""The public concern report pages (server-rendered, no JavaScript).

GOV.UK question pages: start → the reporter → the child → the guardians → who has been told →
where the child is now → the concern → attachments → check your answers → confirmation. The
questions and the draft carried between them are in reports/report_form.py. The report's own
``submission_id``, made when the form is first shown, makes sending twice (a double click, a
refresh) store one report. The service stays the judge: each step asks it about the whole draft
and shows only the errors that belong to that step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from core.app_keys import settings_key
from core.errors import NotFound, ValidationFailed
from core.http import client_address
from core.i18n import N_
from core.request_keys import language_key
from core.templating import render
from core.uploads import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, Upload
from reports.keys import report_limiter_key, report_service_key
from reports.labels import CATEGORIES
from reports.report_form import KINDS, STEPS, TITLES, Draft, form_name, step_fields, step_of
from reports.schemas import ConcernReportIn
from reports.submission import StagedFile, check_report

pages = web.RouteTableDef()

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


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
