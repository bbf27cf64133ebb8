"""Concern reports: the public report, the intake API and pages (issue 7).

Thin handlers: parse, call ``ConcernReportService``, answer. Authorization is in the service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, ClientPayloadError, web

from accounts.keys import account_service_key, current_viewer
from core.api import (
    ApiRoutes,
    UnsupportedMediaType,
    json_response,
    parse_body,
    parse_query,
)
from core.app_keys import (
    cpu_executor_key,
    person_hasher_key,
    redis_key,
    sessions_key,
    settings_key,
)
from core.errors import DomainError, NotAuthenticated, NotFound, ValidationFailed
from core.http import client_address
from core.i18n import N_
from core.principal import Role
from core.rate_limit import request_limiter
from core.uploads import MAX_ATTACHMENT_BYTES, Upload
from reports import intake_pages, report_pages
from reports.deadlines import Deadline
from reports.keys import report_limiter_key, report_listener_key, report_service_key
from reports.records import ReportDetail, ReportSummary
from reports.schemas import (
    AttachmentOut,
    ConcernReportIn,
    DeadlineOut,
    EventOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackQuery,
    ReportOut,
    ReportPatch,
    ReportsOut,
    ReportsQuery,
    ReportSummaryOut,
    SubmittedOut,
)
from reports.service import ConcernReportService

api = ApiRoutes("reports")


async def reports_context(app: web.Application) -> AsyncIterator[None]:
    accounts = app[account_service_key]

    async def staff_exists(user_id: str) -> bool:
        try:
            await accounts.staff_member(user_id)
        except NotFound:
            return False
        return True

    settings = app[settings_key]
    app[report_service_key] = ConcernReportService(
        app[sessions_key],
        settings,
        app[person_hasher_key],
        executor=app[cpu_executor_key],
        staff_exists=staff_exists,
        listener=app.get(report_listener_key),
    )
    app[report_limiter_key] = request_limiter(
        app.get(redis_key), "concern-report", settings.booking_rate_limit
    )
    yield


def _reference(request: web.Request) -> str:
    return request.match_info["reference"]


@api.post(
    "/api/v1/concern-reports",
    summary="Submit a concern report (idempotent by submission_id)",
    body=ConcernReportIn,
    response=SubmittedOut,
    status=201,
    errors=(429,),
)
async def api_submit_report(request: web.Request) -> web.Response:
    await request.app[report_limiter_key].check(client_address(request))
    report = await parse_body(request, ConcernReportIn)
    service = request.app[report_service_key]
    submitted = await service.submit(report)
    return json_response(
        SubmittedOut(
            reference=submitted.reference,
            receipt_url=service.receipt_url(submitted.reference),
            attachment_token=service.attachment_token(submitted.report_id),
        ),
        status=201,
    )


@api.post(
    "/api/v1/concern-reports/{reference}/attachments",
    summary="Add a file (PDF, JPEG or PNG, at most 10 MB) to a report just sent, as multipart "
    "field 'file', with the submission's attachment_token as a bearer token",
    response=AttachmentOut,
    status=201,
    errors=(409, 413, 415, 422),
    auth=("manageToken",),
)
async def api_add_attachment(request: web.Request) -> web.Response:
    authorization = request.headers.get("Authorization", "")
    if not authorization.startswith("Bearer "):
        raise NotAuthenticated()
    token = authorization.removeprefix("Bearer ").strip()
    upload = await _read_upload(request)
    info = await request.app[report_service_key].add_attachment(_reference(request), token, upload)
    return json_response(
        AttachmentOut(
            id=info.id, filename=info.filename, media_type=info.media_type, size=info.size
        ),
        status=201,
    )


async def _read_upload(request: web.Request) -> Upload:
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(N_("Send the file as multipart/form-data."))
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue
            data = bytearray()
            while chunk := await part.read_chunk():
                data += chunk
                if len(data) > MAX_ATTACHMENT_BYTES:
                    raise FileTooLarge()
            return Upload(part.filename or "", bytes(data))
    # aiohttp's multipart reader answers a malformed body with ValueError, a truncated one with
    # ClientPayloadError, and a few broken framings with AssertionError.
    except (ValueError, AssertionError, ClientPayloadError):
        raise MalformedUpload() from None
    raise ValidationFailed({"file": N_("This field is required.")})


class MalformedUpload(DomainError):
    status = 400
    title = N_("The request body could not be read.")


class FileTooLarge(DomainError):
    status = 413
    title = N_("The file is larger than 10 MB.")


@api.get(
    "/api/v1/concern-reports/{reference}/attachments/{attachment_id}",
    summary="Download an attachment of a concern report (logged)",
    auth=("session",),
    errors=(403,),
)
async def api_get_attachment(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    info, data = await request.app[report_service_key].attachment(
        viewer, _reference(request), request.match_info["attachment_id"]
    )
    return web.Response(
        body=data,
        content_type=info.media_type,
        headers={"Content-Disposition": "attachment"},
    )


@api.get(
    "/api/v1/concern-reports",
    summary="The intake queue: most urgent and oldest first",
    query=ReportsQuery,
    response=ReportsOut,
    auth=("session",),
    errors=(403,),
)
async def api_list_reports(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    query = parse_query(request, ReportsQuery)
    summaries = await request.app[report_service_key].list_reports(
        viewer, status=query.status, overdue=query.overdue
    )
    return json_response(ReportsOut(reports=[summary_out(summary) for summary in summaries]))


@api.get(
    "/api/v1/concern-reports/{reference}",
    summary="One concern report",
    response=ReportOut,
    auth=("session",),
    errors=(403,),
)
async def api_get_report(request: web.Request) -> web.Response:
    viewer = current_viewer(request)
    detail = await request.app[report_service_key].get_report(viewer, _reference(request))
    return json_response(detail_out(detail))


@api.patch(
    "/api/v1/concern-reports/{reference}",
    summary="Assign a concern report, change its status or add a note",
    body=ReportPatch,
    response=ReportOut,
    auth=("session",),
    errors=(403, 409),
)
async def api_update_report(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.INTAKE)
    patch = await parse_body(request, ReportPatch)
    detail = await request.app[report_service_key].update_report(
        viewer,
        _reference(request),
        assignee_id=patch.assignee_id,
        status=patch.status,
        note=patch.note,
    )
    return json_response(detail_out(detail))


@api.get(
    "/api/v1/concern-reports/{reference}/feedback",
    summary="Preview the message to the mandated reporter about the decision",
    query=FeedbackQuery,
    response=FeedbackOut,
    auth=("session",),
    errors=(403, 409),
)
async def api_preview_feedback(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.INTAKE)
    query = parse_query(request, FeedbackQuery)
    subject, text = await request.app[report_service_key].feedback(
        viewer, _reference(request), query.outcome, confirmed=False
    )
    return json_response(FeedbackOut(subject=subject, text=text))


@api.post(
    "/api/v1/concern-reports/{reference}/feedback",
    summary="Send the confirmed message to the mandated reporter (once per report)",
    body=FeedbackIn,
    response=FeedbackOut,
    status=202,
    auth=("session",),
    errors=(403, 409),
)
async def api_send_feedback(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.INTAKE)
    body = await parse_body(request, FeedbackIn)
    subject, text = await request.app[report_service_key].feedback(
        viewer, _reference(request), body.outcome, confirmed=True
    )
    return json_response(FeedbackOut(subject=subject, text=text), status=202)


def deadline_out(deadline: Deadline, overdue: bool) -> DeadlineOut:
    return DeadlineOut(kind=deadline.kind, due=deadline.due, overdue=overdue)


def summary_out(summary: ReportSummary) -> ReportSummaryOut:
    return ReportSummaryOut(
        reference=summary.reference,
        status=summary.status,
        reporter_kind=summary.reporter_kind,
        categories=summary.categories,
        urgency=summary.urgency,
        received_at=summary.received_at,
        assignee_id=summary.assignee_id,
        child_name=summary.child_name,
        deadlines=[deadline_out(deadline, late) for deadline, late in summary.deadlines],
    )


def detail_out(detail: ReportDetail) -> ReportOut:
    return ReportOut(
        **summary_out(detail.summary).model_dump(),
        report=detail.report,
        attachments=[
            AttachmentOut(id=a.id, filename=a.filename, media_type=a.media_type, size=a.size)
            for a in detail.attachments
        ],
        events=[
            EventOut(
                at=e.at,
                user_id=e.user_id,
                kind=e.kind,
                status=e.status,
                assignee_id=e.assignee_id,
                note=e.note,
            )
            for e in detail.events
        ],
        protection_assessed_at=detail.protection_assessed_at,
        protection_assessed_by=detail.protection_assessed_by,
        decided_at=detail.decided_at,
    )


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(reports_context)
    app.router.add_routes(api.table)
    report_pages.setup(app)
    intake_pages.setup(app)
