"""The client's booking flow: the routes under /book, taking each step's answer and confirming.

Booking follows the GOV.UK question pages: who → meeting type → time → your details →
(questions before the meeting) → check your answers → confirmation. Choices that say nothing
about the client (unit, caseworker, meeting type, week, time) travel in the query string, so
back links are plain links. Once the client has typed anything about themself, everything
travels in hidden fields of POST forms instead: personal details never go into a URL, a cookie
or a log line. The service stays the judge of what may be booked; these pages only check each
step's answers early, so that the client hears about a mistake on the page where they made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

from booking.booking_draft import (
    Draft,
    Params,
    answers_errors,
    asks_questions,
    booking_request,
    details_errors,
    errors_by_step,
    form_text,
)
from booking.booking_steps_pages import (
    SHOW,
    StepMissing,
    find_who,
    require_meeting_type,
    require_who,
    show_details,
    show_meeting_type,
    show_questions,
    show_time,
    show_who,
    step_url,
)
from booking.client_times import ClientTimes, parse_start
from booking.confirmations import (
    SUBMISSION_FIELD,
    SUBMISSION_PATTERN,
    Confirmations,
    fingerprint_of,
    submission_key,
)
from booking.keys import booking_service_key, limit_public
from booking.types import SlotTaken
from booking.week_pages import CHOOSE_TIME, TIME_NOT_FREE, client_times, path_to
from calendars.meeting_types import MeetingTypeInfo
from core.errors import ValidationFailed
from core.i18n import N_
from core.request_keys import csrf_token_key
from identification.keys import client_identity

pages = web.RouteTableDef()

CHOOSE_WHO = N_("Choose who you would like to meet.")
CHOOSE_MEETING_TYPE = N_("Choose the kind of meeting you need.")


async def _is_free(
    request: web.Request, draft: Draft, meeting_type: MeetingTypeInfo, times: ClientTimes
) -> bool:
    start = parse_start(draft.start)
    if start is None:
        return False
    day = times.day_of(start)
    slots = await request.app[booking_service_key].slots(
        meeting_type.id,
        caseworker_id=draft.caseworker_id or None,
        unit_id=draft.unit_id or None,
        first_day=day,
        last_day=day,
    )
    return any(slot.start == start for slot in slots)


async def _first_unfinished(request: web.Request, draft: Draft) -> str:
    _who_chosen, meeting_type = await require_meeting_type(request, draft)
    if parse_start(draft.start) is None:
        return "time"
    if details_errors(draft, meeting_type):
        return "details"
    if asks_questions(meeting_type) and draft.questions_done != meeting_type.id:
        return "questions"
    return "check"


confirmations_key = web.AppKey("booking_confirmations", Confirmations)


async def keep_confirmations(app: web.Application) -> AsyncIterator[None]:
    """The app's memory of confirmations; on shutdown it waits for bookings still being made."""
    app[confirmations_key] = confirmations = Confirmations()
    yield
    await confirmations.close()


def _confirmation_key(request: web.Request, submission: str) -> str | None:
    if not SUBMISSION_PATTERN.fullmatch(submission):
        return None
    bound = f"{request.get(csrf_token_key, '')}:{submission}"
    return hashlib.sha256(bound.encode()).hexdigest()


async def _params(request: web.Request) -> Params:
    if request.method == "POST":
        return await request.post()
    return request.query


async def _advance(request: web.Request, draft: Draft, after: str) -> web.Response:
    """The next page after a good answer: the following step, or the first one still unfinished.

    Whoever changes the caseworker or the meeting type goes on to choose a time again (what was
    free for one is not for another); any other change returns to the check page.
    """
    if after == "who":
        step = "meeting_type"
    elif after == "meeting_type":
        step = "time"
    else:
        step = await _first_unfinished(request, draft)
    if not draft.is_personal():
        # Only choices so far: a redirect keeps the address bar true and the back button working.
        if step in ("questions", "check"):
            step = "details"
        raise web.HTTPSeeOther(step_url(request, step, draft))
    return await SHOW[step](request, draft, {})


async def _answer_who(request: web.Request, draft: Draft, params: Params) -> web.Response:
    kind, _, ident = form_text(params, "who").partition(":")
    draft.unit_id = ident if kind == "unit" else ""
    draft.caseworker_id = ident if kind == "caseworker" else ""
    if not ident or await find_who(request, draft) is None:
        return await show_who(request, draft, {"who": CHOOSE_WHO}, 422)
    return await _advance(request, draft, "who")


async def _answer_meeting_type(request: web.Request, draft: Draft, params: Params) -> web.Response:
    who = await require_who(request, draft)
    if who.meeting_type(draft.meeting_type_id) is None:
        return await show_meeting_type(
            request, draft, {"meeting_type_id": CHOOSE_MEETING_TYPE}, 422
        )
    return await _advance(request, draft, "meeting_type")


async def _answer_time(request: web.Request, draft: Draft, params: Params) -> web.Response:
    who, meeting_type = await require_meeting_type(request, draft)
    if not draft.start:
        return await show_time(request, draft, {"start": CHOOSE_TIME}, 422)
    if not await _is_free(request, draft, meeting_type, client_times(request, who.zone)):
        draft.start = ""
        return await show_time(request, draft, {"start": TIME_NOT_FREE}, 409)
    return await _advance(request, draft, "time")


async def _answer_details(request: web.Request, draft: Draft, params: Params) -> web.Response:
    _who_chosen, meeting_type = await require_meeting_type(request, draft)
    errors = details_errors(draft, meeting_type)
    if errors:
        return await show_details(request, draft, errors, 422)
    return await _advance(request, draft, "details")


async def _answer_questions(request: web.Request, draft: Draft, params: Params) -> web.Response:
    _who_chosen, meeting_type = await require_meeting_type(request, draft)
    errors = answers_errors(draft, meeting_type)
    if errors:
        return await show_questions(request, draft, errors, 422)
    draft.questions_done = meeting_type.id
    return await _advance(request, draft, "questions")


ANSWER: dict[str, Callable[[web.Request, Draft, Params], Coroutine[Any, Any, web.Response]]] = {
    "who": _answer_who,
    "meeting_type": _answer_meeting_type,
    "time": _answer_time,
    "details": _answer_details,
    "questions": _answer_questions,
}


async def _step_page(request: web.Request, step: str) -> web.Response:
    """Show a step, or take its answer when its own form was sent (``submitted`` names it)."""
    await limit_public(request)
    params = await _params(request)
    draft = Draft.read(params)
    try:
        if step in ANSWER and params.get("submitted") == step:
            return await ANSWER[step](request, draft, params)
        return await SHOW[step](request, draft, {})
    except StepMissing as missing:
        return await _ask_again(request, draft, missing.step)


async def _ask_again(request: web.Request, draft: Draft, step: str) -> web.Response:
    if step == "who":
        draft.unit_id = draft.caseworker_id = ""
    if step in ("who", "meeting_type"):
        draft.meeting_type_id = ""
    if not draft.is_personal():
        raise web.HTTPSeeOther(step_url(request, step, draft))
    return await SHOW[step](request, draft, {})


@pages.get("/book", name="book_who")
@pages.post("/book")
async def book_who(request: web.Request) -> web.Response:
    return await _step_page(request, "who")


@pages.get("/book/meeting-type", name="book_meeting_type")
@pages.post("/book/meeting-type")
async def book_meeting_type(request: web.Request) -> web.Response:
    return await _step_page(request, "meeting_type")


@pages.get("/book/time", name="book_time")
@pages.post("/book/time")
async def book_time(request: web.Request) -> web.Response:
    return await _step_page(request, "time")


@pages.get("/book/details", name="book_details")
@pages.post("/book/details")
async def book_details(request: web.Request) -> web.Response:
    return await _step_page(request, "details")


@pages.post("/book/questions", name="book_questions")
async def book_questions(request: web.Request) -> web.Response:
    return await _step_page(request, "questions")


@pages.post("/book/check", name="book_check")
async def book_check(request: web.Request) -> web.Response:
    return await _step_page(request, "check")


@pages.get("/book/questions")
@pages.get("/book/check")
@pages.get("/book/confirm")
async def book_reloaded(request: web.Request) -> web.Response:
    """These pages exist only as answers to a form. Reloaded by address (say, in another
    language), they start the details again: what was typed never was in the address."""
    await limit_public(request)
    raise web.HTTPSeeOther(step_url(request, "details", Draft.read(request.query)))


@pages.post("/book/confirm", name="book_confirm")
async def book_confirm(request: web.Request) -> web.Response:
    await limit_public(request)
    form = await request.post()
    draft = Draft.read(form)
    try:
        step = await _first_unfinished(request, draft)
        if step != "check":
            return await SHOW[step](request, draft, {})
        _who_chosen, meeting_type = await require_meeting_type(request, draft)
        start = parse_start(draft.start)
        assert start is not None  # _first_unfinished sends a draft without a time to that step
        identified = await client_identity(request)
        booking = booking_request(
            draft, meeting_type, start, identified.identity_code if identified else None
        )
        service = request.app[booking_service_key]
        key = _confirmation_key(request, form_text(form, SUBMISSION_FIELD))
        try:
            if key is None:
                created = await service.book(booking)
            else:
                fingerprint = fingerprint_of(booking)
                created = await request.app[confirmations_key].book_once(
                    key,
                    fingerprint,
                    lambda: service.book(booking, submission=submission_key(key, fingerprint)),
                )
        except SlotTaken as taken:
            draft.start = ""
            return await show_details(request, draft, {}, 409, taken=taken)
        except ValidationFailed as failed:
            step, errors = errors_by_step(failed.fields)
            if step == "time":
                draft.start = ""
            return await SHOW[step](request, draft, errors, 422)
    except StepMissing as missing:
        return await _ask_again(request, draft, missing.step)
    raise web.HTTPSeeOther(path_to(request, "booking_confirmation", token=created.manage_token))
