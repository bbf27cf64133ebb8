"""Questionnaire pages: the client's before the meeting (manage token), the caseworker's list,
filling on the client's behalf, a result (printable, downloadable as JSON), corrections and the
client's results over time. Server-rendered, no JavaScript; a refused form keeps what was typed.

Without JavaScript every question is on the page; a question asked only after a given answer
says so in its hint, and an answer to a question that the other answers leave out is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from accounts.keys import staff_page
from assessments.chart import results_chart
from assessments.keys import assessment_service_key
from assessments.service import AssessmentService
from assessments.templates import Template
from booking.keys import limit_public, manage_token
from core.errors import ValidationFailed
from core.principal import Role
from core.request_keys import language_key
from core.templating import render

pages = web.RouteTableDef()

MANAGE = "/manage/{token:[A-Za-z0-9_-]{1,100}}/assessment"
BOOKING = "/caseworker/bookings/{booking_id}/assessments"
RESULT = "/caseworker/assessment-results/{result_id}"


def _service(request: web.Request) -> AssessmentService:
    return request.app[assessment_service_key]


def _form_context(
    template: Template, answers: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {"template": template, "answers": answers, "errors": errors}


async def _answers(
    request: web.Request, template: Template
) -> tuple[dict[str, Any], dict[str, str], Any]:
    form = await request.post()
    raw = {key: form.getall(key) for key in set(form.keys())}
    answers, problems = template.answers_from_form(raw)
    return answers, problems, form


# ---- the client, before the meeting -----------------------------------------------------------


@pages.get(MANAGE, name="manage_assessment")
async def client_form(request: web.Request) -> web.Response:
    await limit_public(request)
    state = await _service(request).pre_meeting(
        await manage_token(request, request.match_info["token"])
    )
    context = _form_context(state.template, {}, {})
    context.update(
        booking=state.booking, submitted=state.submitted, token=request.match_info["token"]
    )
    return render(request, "assessments/client.html", context)


@pages.post(MANAGE)
async def client_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    token = request.match_info["token"]
    service = _service(request)
    access = await manage_token(request, token)
    state = await service.pre_meeting(access)
    answers, problems, _ = await _answers(request, state.template)
    try:
        if problems:
            raise ValidationFailed(problems)
        await service.submit_before_meeting(access, answers)
    except ValidationFailed as error:
        context = _form_context(state.template, answers, error.fields)
        context.update(booking=state.booking, submitted=False, token=token)
        return render(request, "assessments/client.html", context, status=422)
    raise web.HTTPSeeOther(request.app.router["manage_assessment"].url_for(token=token).path)


# ---- the caseworker ---------------------------------------------------------------------------


@pages.get(BOOKING, name="caseworker_assessments")
async def booking_results(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    results = await service.results(viewer, request.match_info["booking_id"])
    return render(
        request,
        "assessments/list.html",
        {
            "booking_id": request.match_info["booking_id"],
            "results": results,
            "templates": {t.id: t for t in service.templates()},
        },
    )


@pages.get(f"{BOOKING}/new/{{template_id}}", name="caseworker_assessment_new")
async def on_behalf_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    template = service.template(request.match_info["template_id"])
    # Reading the list checks that this is the viewer's own booking before a form is shown.
    await service.results(viewer, request.match_info["booking_id"])
    context = _form_context(template, {}, {})
    context["booking_id"] = request.match_info["booking_id"]
    return render(request, "assessments/fill.html", context)


@pages.post(f"{BOOKING}/new/{{template_id}}")
async def on_behalf_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    booking_id = request.match_info["booking_id"]
    template = service.template(request.match_info["template_id"])
    answers, problems, _ = await _answers(request, template)
    try:
        if problems:
            raise ValidationFailed(problems)
        result = await service.submit_on_behalf(viewer, booking_id, template.id, answers)
    except ValidationFailed as error:
        context = _form_context(template, answers, error.fields)
        context["booking_id"] = booking_id
        return render(request, "assessments/fill.html", context, status=422)
    raise web.HTTPSeeOther(_result_path(request, result.id))


def _result_path(request: web.Request, result_id: str) -> str:
    return request.app.router["caseworker_assessment_result"].url_for(result_id=result_id).path


@pages.get(RESULT, name="caseworker_assessment_result")
async def result_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    result = await service.result(viewer, request.match_info["result_id"])
    template = service.template(result.template_id)
    history = await service.history(viewer, result.id)
    language = request[language_key]
    chart = results_chart(
        template,
        language,
        [(p.booking_start.strftime("%d.%m.%Y"), p.result.score) for p in history],
    )
    return render(
        request,
        "assessments/result.html",
        {"result": result, "template": template, "history": history, "chart": chart},
    )


@pages.get(f"{RESULT}/download", name="caseworker_assessment_json")
async def result_json(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    result = await _service(request).result(viewer, request.match_info["result_id"])
    body = json.dumps(result.as_json(), ensure_ascii=False, indent=2)
    return web.Response(
        text=body,
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="assessment-{result.id}.json"'},
    )


@pages.get(f"{RESULT}/correct", name="caseworker_assessment_correct")
async def correct_form(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    result = await service.result(viewer, request.match_info["result_id"])
    template = service.template(result.template_id)
    context = _form_context(template, result.answers, {})
    context.update(result=result, reason="")
    return render(request, "assessments/correct.html", context)


@pages.post(f"{RESULT}/correct")
async def correct_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    service = _service(request)
    result = await service.result(viewer, request.match_info["result_id"])
    template = service.template(result.template_id)
    answers, problems, form = await _answers(request, template)
    reason = str(form.get("reason", ""))
    try:
        if problems:
            raise ValidationFailed(problems)
        corrected = await service.correct(viewer, result.id, answers, reason)
    except ValidationFailed as error:
        context = _form_context(template, answers, error.fields)
        context.update(result=result, reason=reason)
        return render(request, "assessments/correct.html", context, status=422)
    raise web.HTTPSeeOther(_result_path(request, corrected.id))


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
