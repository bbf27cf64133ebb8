"""The wellbeing plan API: the caseworker reads and saves a client's plan through one of the
client's bookings; the identified client reads theirs, proposes changes and accepts. Registered
by ``setup(app)`` (server.create_app) only when identification is on."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import current_viewer
from audit.service import AuditLog
from booking.keys import booking_service_key, listen_to_removals
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import sessions_key
from core.principal import Role
from identification.keys import identified_client, providers_key
from plans.follow_up import GoalsFollowedUp
from plans.keys import plan_service_key
from plans.schemas import AcceptIn, GoalsIn, PlanOut, PlansOut, SavedOut
from plans.service import PlanService, PlansOfRemovedBookings
from video.keys import live_assessments_key, live_plans_key

api = ApiRoutes("wellbeing plans")
CLIENT_SESSION = ("clientSession",)
STAFF_SESSION = ("session",)


async def plans_context(app: web.Application) -> AsyncIterator[None]:
    service = PlanService(app[sessions_key], app[booking_service_key], AuditLog(app[sessions_key]))
    app[plan_service_key] = service
    app[live_plans_key] = service  # the video room opens the plan with it
    questionnaires = app.get(live_assessments_key)
    if questionnaires is not None:
        app[live_assessments_key] = GoalsFollowedUp(questionnaires, service)
    yield


@api.get(
    "/api/v1/bookings/{booking_id}/plan",
    summary="The client's wellbeing plan with the booking's unit, all versions",
    response=PlanOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_booking_plan(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    plan = await request.app[plan_service_key].for_booking(viewer, request.match_info["booking_id"])
    if plan is None:
        raise web.HTTPNotFound()
    return json_response(PlanOut.of(plan))


@api.put(
    "/api/v1/bookings/{booking_id}/plan",
    summary="Save a new version of the client's plan (begins it the first time)",
    body=GoalsIn,
    response=SavedOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_save_plan(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.CASEWORKER)
    body = await parse_body(request, GoalsIn)
    number = await request.app[plan_service_key].save_by_caseworker(
        viewer, request.match_info["booking_id"], body.as_raw()
    )
    return json_response(SavedOut(number=number))


@api.get(
    "/api/v1/my/plans",
    summary="The identified client's wellbeing plans",
    response=PlansOut,
    auth=CLIENT_SESSION,
)
async def api_my_plans(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    plans = await request.app[plan_service_key].of_person(person)
    return json_response(PlansOut(plans=[PlanOut.of(plan) for plan in plans]))


@api.post(
    "/api/v1/my/plans/{plan_id}/versions",
    summary="The client proposes changes: a version of their own",
    body=GoalsIn,
    response=SavedOut,
    auth=CLIENT_SESSION,
)
async def api_propose(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    body = await parse_body(request, GoalsIn)
    number = await request.app[plan_service_key].propose(
        person, request.match_info["plan_id"], body.as_raw()
    )
    return json_response(SavedOut(number=number))


@api.post(
    "/api/v1/my/plans/{plan_id}/accept",
    summary="The client accepts the caseworker's newest version",
    body=AcceptIn,
    status=204,
    auth=CLIENT_SESSION,
    errors=(409,),
)
async def api_accept(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    body = await parse_body(request, AcceptIn)
    await request.app[plan_service_key].accept(person, request.match_info["plan_id"], body.number)
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    listen_to_removals(app, PlansOfRemovedBookings())
    if not app.get(providers_key):
        return
    app.cleanup_ctx.append(plans_context)
    app.router.add_routes(api.table)
