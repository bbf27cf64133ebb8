"""The assessment service's wiring and its small JSON API (the booking's caseworker only)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import current_viewer
from assessments.keys import (
    assessment_catalog_key,
    assessment_retention_key,
    assessment_service_key,
)
from assessments.retention import AssessmentRetention, ResultsOfRemovedBookings
from assessments.schemas import ResultList, ResultOut
from assessments.service import AssessmentService, ResultView
from assessments.templates import load_catalog
from audit.service import AuditLog
from booking.keys import booking_service_key, listen_to_removals
from calendars.keys import assessment_templates_key
from core.api import ApiRoutes, json_response
from core.app_keys import sessions_key, settings_key
from core.principal import Role
from notifications.keys import add_retention_task
from video.keys import live_assessments_key

api = ApiRoutes("assessments")
CASEWORKER_SESSION = ("session",)


def result_out(view: ResultView) -> ResultOut:
    return ResultOut(**dataclasses.asdict(view))


@api.get(
    "/api/v1/bookings/{booking_id}/assessments",
    summary="The assessment results of a booking (its caseworker only)",
    response=ResultList,
    auth=CASEWORKER_SESSION,
    errors=(403,),
)
async def api_booking_results(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    views = await request.app[assessment_service_key].results(
        viewer, request.match_info["booking_id"]
    )
    return json_response(ResultList(results=[result_out(view) for view in views]))


@api.get(
    "/api/v1/assessment-results/{result_id}",
    summary="One assessment result (the booking's caseworker only)",
    response=ResultOut,
    auth=CASEWORKER_SESSION,
    errors=(403,),
)
async def api_result(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    view = await request.app[assessment_service_key].result(viewer, request.match_info["result_id"])
    return json_response(result_out(view))


def setup(app: web.Application) -> None:
    """Reads the questionnaires now, so that a broken file stops the program (TemplateError)."""
    catalog = load_catalog()
    app[assessment_catalog_key] = catalog
    app[assessment_templates_key] = catalog.titles()

    async def assessment_context(app: web.Application) -> AsyncIterator[None]:
        service = AssessmentService(
            app[sessions_key], app[booking_service_key], AuditLog(app[sessions_key]), catalog
        )
        app[assessment_service_key] = service
        app[live_assessments_key] = service  # the video room pushes questionnaires with it
        app[assessment_retention_key] = AssessmentRetention(
            app[sessions_key],
            app[booking_service_key],
            app[settings_key].assessment_retention_days,
        )
        yield

    app.cleanup_ctx.append(assessment_context)
    listen_to_removals(app, ResultsOfRemovedBookings())
    add_retention_task(
        app, "assessment results", lambda: app[assessment_retention_key].delete_expired()
    )
    app.router.add_routes(api.table)
    import assessments.pages  # the pages need the keys above

    assessments.pages.setup(app)
