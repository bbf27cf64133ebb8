"""The caseworker's own calendar API (/api/v1/me/...) and the .ics fetcher for calendar imports."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from accounts.keys import account_service_key
from calendars.calendar_imports import ImportInfo
from calendars.ics_import import IcsImportError
from calendars.keys import assessment_templates_key, calendar_service_key
from calendars.meeting_types import MeetingTypeFields, MeetingTypeInfo, PreMeetingQuestion
from calendars.schemas import (
    AbsenceIn,
    AbsenceOut,
    AbsencesOut,
    CalendarImportIn,
    CalendarImportOut,
    IntervalIn,
    MeetingTypeBody,
    MeetingTypeDetail,
    MeetingTypePatch,
    MeetingTypesOut,
    QuestionBody,
    WorkingHoursBody,
)
from calendars.service import CalendarService
from calendars.working_time import AbsenceInfo, OpeningInterval
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import cpu_executor_key, sessions_key, settings_key
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.request_keys import viewer_key

log = logging.getLogger("kohtaamo.calendars")

REFRESH_INTERVAL_SECONDS = 30 * 60
MAX_ICS_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 20

api = ApiRoutes("calendars")


# ---- fetching .ics addresses ------------------------------------------------------------------


def ics_fetcher(
    http: aiohttp.ClientSession, *, allow_private: bool
) -> Callable[[str], Awaitable[bytes]]:
    """Fetch an .ics address with a time and size limit, refusing internal addresses."""

    async def fetch(url: str) -> bytes:
        if not allow_private:
            await _refuse_internal_address(url)
        try:
            async with http.get(url, allow_redirects=False) as answer:
                if answer.status != 200:
                    raise IcsImportError(N_("The calendar address did not answer with a calendar."))
                data = await answer.content.read(MAX_ICS_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError):
            raise IcsImportError(N_("The calendar address could not be reached.")) from None
        if len(data) > MAX_ICS_BYTES:
            raise IcsImportError(N_("The calendar file is too large."))
        return data

    return fetch


async def _refuse_internal_address(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise IcsImportError(N_("The calendar address could not be reached.")) from None
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise IcsImportError(N_("The calendar address could not be reached."))


async def calendars_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(
        timeout=timeout, headers={"User-Agent": "Kohtaamo calendar import"}
    ) as http:
        service = CalendarService(
            app[sessions_key],
            ics_fetcher(http, allow_private=settings.ics_fetch_private_addresses),
            executor=app[cpu_executor_key],
            assessment_templates=lambda: app.get(assessment_templates_key, {}).keys(),
        )
        app[calendar_service_key] = service
        refresher = asyncio.create_task(_refresh_forever(service))
        yield
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher


async def _refresh_forever(service: CalendarService) -> None:
    while True:
        await asyncio.sleep(REFRESH_INTERVAL_SECONDS)
        try:
            await service.refresh_url_imports()
        except Exception:
            log.exception("refreshing calendar imports failed")


# ---- the caseworker's own calendar API ----------------------------------------------------------


def caseworker(request: web.Request) -> Viewer:
    return require_role(request.get(viewer_key), Role.CASEWORKER)


ME = ("session",)


@api.get(
    "/api/v1/me/working-hours",
    summary="My weekly working hours",
    response=WorkingHoursBody,
    auth=ME,
    errors=(403,),
)
async def api_get_working_hours(request: web.Request) -> web.Response:
    return await working_hours_response(request, caseworker(request))


async def working_hours_response(request: web.Request, viewer: Viewer) -> web.Response:
    service = request.app[calendar_service_key]
    hours = await service.working_hours(viewer.user_id)
    return json_response(
        WorkingHoursBody(
            time_zone=await service.time_zone_of(viewer.user_id),
            intervals=[
                IntervalIn(weekday=item.weekday, start=item.starts_at, end=item.ends_at)
                for item in hours
            ],
        )
    )


@api.put(
    "/api/v1/me/working-hours",
    summary="Replace my weekly working hours",
    body=WorkingHoursBody,
    response=WorkingHoursBody,
    auth=ME,
    errors=(403,),
)
async def api_put_working_hours(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    body = await parse_body(request, WorkingHoursBody)
    await request.app[calendar_service_key].replace_working_hours(
        viewer,
        viewer.user_id,
        body.time_zone,
        [OpeningInterval(item.weekday, item.start, item.end) for item in body.intervals],
    )
    return await working_hours_response(request, viewer)


def _absence_out(item: AbsenceInfo) -> AbsenceOut:
    return AbsenceOut(id=item.id, kind=item.kind, start=item.starts_at, end=item.ends_at)


@api.get(
    "/api/v1/me/absences",
    summary="My current and coming absences",
    response=AbsencesOut,
    auth=ME,
    errors=(403,),
)
async def api_absences(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    absences = await request.app[calendar_service_key].absences(viewer, viewer.user_id)
    return json_response(AbsencesOut(absences=[_absence_out(item) for item in absences]))


@api.post(
    "/api/v1/me/absences",
    summary="Add an absence",
    body=AbsenceIn,
    response=AbsenceOut,
    status=201,
    auth=ME,
    errors=(403,),
)
async def api_add_absence(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    body = await parse_body(request, AbsenceIn)
    absence = await request.app[calendar_service_key].add_absence(
        viewer, viewer.user_id, body.kind, body.start, body.end
    )
    return json_response(_absence_out(absence), status=201)


@api.delete(
    "/api/v1/me/absences/{absence_id}",
    summary="Remove an absence",
    status=204,
    auth=ME,
    errors=(403, 404),
)
async def api_remove_absence(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    await request.app[calendar_service_key].remove_absence(
        viewer, viewer.user_id, request.match_info["absence_id"]
    )
    return web.Response(status=204)


def meeting_type_fields(body: MeetingTypeBody) -> MeetingTypeFields:
    missing = {language for language in ("fi", "sv", "en") if not body.name.get(language)}
    if missing:
        raise ValidationFailed(
            {
                f"name.{language}": N_("Enter a name of at most 200 characters.")
                for language in sorted(missing)
            }
        )
    return MeetingTypeFields(
        name_fi=body.name["fi"],
        name_sv=body.name["sv"],
        name_en=body.name["en"],
        duration_minutes=body.duration_minutes,
        buffer_before_minutes=body.buffer_before_minutes,
        buffer_after_minutes=body.buffer_after_minutes,
        minimum_notice_minutes=body.minimum_notice_minutes,
        horizon_days=body.horizon_days,
        slot_step_minutes=body.slot_step_minutes,
        modes=tuple(body.modes),
        address=body.address,
        asks_pre_meeting_form=body.asks_pre_meeting_form,
        pre_meeting_questions=tuple(
            PreMeetingQuestion(id=question.id, kind=question.kind, label=dict(question.label))
            for question in body.pre_meeting_questions
        ),
        max_active_bookings_per_client=body.max_active_bookings_per_client,
        is_active=body.is_active,
        reminder_minutes=tuple(body.reminder_minutes),
        assessment_template_id=body.assessment_template_id,
        requires_identification=body.requires_identification,
        network_meeting=body.network_meeting,
    )


def meeting_type_body(info: MeetingTypeInfo) -> MeetingTypeBody:
    return MeetingTypeBody(
        name=info.names,
        duration_minutes=info.duration_minutes,
        buffer_before_minutes=info.buffer_before_minutes,
        buffer_after_minutes=info.buffer_after_minutes,
        minimum_notice_minutes=info.minimum_notice_minutes,
        horizon_days=info.horizon_days,
        slot_step_minutes=info.slot_step_minutes,
        modes=list(info.modes),
        address=info.address,
        asks_pre_meeting_form=info.asks_pre_meeting_form,
        pre_meeting_questions=[
            QuestionBody(id=question.id, kind=question.kind, label=question.label)
            for question in info.pre_meeting_questions
        ],
        max_active_bookings_per_client=info.max_active_bookings_per_client,
        is_active=info.is_active,
        reminder_minutes=list(info.reminder_minutes),
        assessment_template_id=info.assessment_template_id,
        requires_identification=info.requires_identification,
        network_meeting=info.network_meeting,
    )


def meeting_type_detail(info: MeetingTypeInfo) -> MeetingTypeDetail:
    return MeetingTypeDetail(
        id=info.id,
        unit_id=info.unit_id,
        caseworker_id=info.caseworker_id,
        **meeting_type_body(info).model_dump(),
    )


@api.get(
    "/api/v1/me/meeting-types",
    summary="Meeting types I offer (my own and my unit's)",
    response=MeetingTypesOut,
    auth=ME,
    errors=(403,),
)
async def api_meeting_types(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    accounts = request.app[account_service_key]
    me = await accounts.staff_member(viewer.user_id)
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(me.id, me.unit_id)], active_only=False
    )
    return json_response(
        MeetingTypesOut(meeting_types=[meeting_type_detail(item) for item in offered[me.id]])
    )


@api.post(
    "/api/v1/me/meeting-types",
    summary="Add a meeting type of my own",
    body=MeetingTypeBody,
    response=MeetingTypeDetail,
    status=201,
    auth=ME,
    errors=(403,),
)
async def api_add_meeting_type(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    body = await parse_body(request, MeetingTypeBody)
    info = await request.app[calendar_service_key].create_meeting_type(
        viewer, meeting_type_fields(body), caseworker_id=viewer.user_id
    )
    return json_response(meeting_type_detail(info), status=201)


@api.patch(
    "/api/v1/me/meeting-types/{meeting_type_id}",
    summary="Change one of my meeting types",
    body=MeetingTypePatch,
    response=MeetingTypeDetail,
    auth=ME,
    errors=(403, 404),
)
async def api_patch_meeting_type(request: web.Request) -> web.Response:
    return await patch_meeting_type(request, caseworker(request))


async def patch_meeting_type(request: web.Request, viewer: Viewer) -> web.Response:
    patch = await parse_body(request, MeetingTypePatch)
    service = request.app[calendar_service_key]
    current = await service.meeting_type(request.match_info["meeting_type_id"])
    merged = meeting_type_body(current).model_copy(update=patch.model_dump(exclude_none=True))
    info = await service.update_meeting_type(viewer, current.id, meeting_type_fields(merged))
    return json_response(meeting_type_detail(info))


@api.get(
    "/api/v1/admin/units/{unit_id}/meeting-types",
    summary="A unit's meeting types (admin)",
    response=MeetingTypesOut,
    auth=ME,
    errors=(403,),
)
async def api_unit_meeting_types(request: web.Request) -> web.Response:
    require_role(request.get(viewer_key), Role.ADMIN)
    offered = await request.app[calendar_service_key].unit_meeting_types(
        request.match_info["unit_id"]
    )
    return json_response(
        MeetingTypesOut(meeting_types=[meeting_type_detail(item) for item in offered])
    )


@api.post(
    "/api/v1/admin/units/{unit_id}/meeting-types",
    summary="Add a meeting type for every caseworker of a unit (admin)",
    body=MeetingTypeBody,
    response=MeetingTypeDetail,
    status=201,
    auth=ME,
    errors=(403,),
)
async def api_add_unit_meeting_type(request: web.Request) -> web.Response:
    viewer = require_role(request.get(viewer_key), Role.ADMIN)
    body = await parse_body(request, MeetingTypeBody)
    unit_id = request.match_info["unit_id"]
    if unit_id not in {
        unit.id for unit in await request.app[account_service_key].organisation.units()
    }:
        raise NotFound()
    info = await request.app[calendar_service_key].create_meeting_type(
        viewer, meeting_type_fields(body), unit_id=unit_id
    )
    return json_response(meeting_type_detail(info), status=201)


@api.patch(
    "/api/v1/admin/meeting-types/{meeting_type_id}",
    summary="Change a unit's meeting type (admin)",
    body=MeetingTypePatch,
    response=MeetingTypeDetail,
    auth=ME,
    errors=(403, 404),
)
async def api_patch_unit_meeting_type(request: web.Request) -> web.Response:
    viewer = require_role(request.get(viewer_key), Role.ADMIN)
    return await patch_meeting_type(request, viewer)


def import_out(info: ImportInfo) -> CalendarImportOut:
    return CalendarImportOut(
        id=info.id,
        url=info.source_url,
        busy_count=info.busy_count,
        imported_at=info.imported_at,
        last_error=info.last_error,
    )


@api.post(
    "/api/v1/me/calendar-imports",
    summary="Import busy times from an .ics file or address",
    body=CalendarImportIn,
    response=CalendarImportOut,
    status=201,
    auth=ME,
    errors=(403,),
)
async def api_calendar_import(request: web.Request) -> web.Response:
    viewer = caseworker(request)
    body = await parse_body(request, CalendarImportIn)
    service = request.app[calendar_service_key]
    if (body.url is None) == (body.ics is None):
        raise ValidationFailed({"url": N_("Give either a calendar address or a calendar file.")})
    if body.url is not None:
        info = await service.add_url_import(viewer, viewer.user_id, body.url)
    else:
        assert body.ics is not None
        info = await service.import_file(viewer, viewer.user_id, body.ics.encode())
    return json_response(import_out(info), status=201)


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(calendars_context)
    app.router.add_routes(api.table)
