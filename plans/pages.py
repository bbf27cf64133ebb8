"""The wellbeing plan's pages: the caseworker drafts and saves it from a booking; the client
reads it on their own pages, proposes changes, and accepts the caseworker's version. Work
without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.keys import staff_page
from core.errors import Conflict, ValidationFailed
from core.principal import Role
from core.templating import render
from identification.keys import identified_client, providers_key
from plans.keys import form_rows, goals_from_form, plan_service_key, raw_of

pages = web.RouteTableDef()
BOOKING = "/caseworker/bookings/{booking_id:[0-9a-f-]{36}}/plan"
PLAN = "/my/plans/{plan_id:[0-9a-f-]{36}}"


@pages.get(BOOKING, name="caseworker_plan")
async def caseworker_plan(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    try:
        plan = await request.app[plan_service_key].for_booking(viewer, booking_id)
    except ValidationFailed as error:
        return _caseworker_page(request, None, [], error.fields, 422)
    goals = raw_of(plan.latest.goals) if plan else []
    return _caseworker_page(request, plan, goals, {})


@pages.post(BOOKING)
async def caseworker_save(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    booking_id = request.match_info["booking_id"]
    goals = goals_from_form(await request.post())
    service = request.app[plan_service_key]
    try:
        await service.save_by_caseworker(viewer, booking_id, goals)
    except ValidationFailed as error:
        plan = await service.for_booking(viewer, booking_id)
        return _caseworker_page(request, plan, goals, error.fields, 422)
    raise web.HTTPSeeOther(f"/caseworker/bookings/{booking_id}/plan?saved=1")


def _caseworker_page(
    request: web.Request,
    plan: Any,
    goals: list[dict[str, Any]],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    context = {
        "booking_id": request.match_info["booking_id"],
        "plan": plan,
        "rows": form_rows(goals),
        "errors": errors,
        "saved": "saved" in request.query,
    }
    return render(request, "plans/caseworker_plan.html", context, status=status)


@pages.get("/my/plans", name="my_plans")
async def my_plans(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    plans = await request.app[plan_service_key].of_person(person)
    return render(request, "plans/my_plans.html", {"plans": plans})


@pages.get(PLAN, name="my_plan")
async def my_plan(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    return await _client_page(request, person, None, {})


@pages.post(PLAN)
async def my_plan_submit(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    form = await request.post()
    plan_id = request.match_info["plan_id"]
    service = request.app[plan_service_key]
    if form.get("action") == "accept":
        try:
            number = int(str(form.get("number", "0")))
            await service.accept(person, plan_id, number)
        except (ValueError, Conflict):
            return await _client_page(request, person, None, {}, conflict=True)
        raise web.HTTPSeeOther(f"/my/plans/{plan_id}?notice=accepted")
    goals = goals_from_form(form)
    try:
        await service.propose(person, plan_id, goals)
    except ValidationFailed as error:
        return await _client_page(request, person, goals, error.fields, status=422)
    raise web.HTTPSeeOther(f"/my/plans/{plan_id}?notice=proposed")


async def _client_page(
    request: web.Request,
    person: Any,
    goals: list[dict[str, Any]] | None,
    errors: dict[str, str],
    *,
    status: int = 200,
    conflict: bool = False,
) -> web.Response:
    plan = await request.app[plan_service_key].for_person(person, request.match_info["plan_id"])
    context = {
        "plan": plan,
        "rows": form_rows(goals if goals is not None else raw_of(plan.latest.goals)),
        "errors": errors,
        "notice": request.query.get("notice", ""),
        "conflict": conflict,
    }
    return render(request, "plans/my_plan.html", context, status=409 if conflict else status)


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
