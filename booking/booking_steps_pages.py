"""The booking flow's question pages as shown: who → meeting type → time → your details →
(questions before the meeting) → check your answers, each with its form, its back link and its
errors. booking_flow_pages takes the answers and decides which of these comes next."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Coroutine, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.lists import format_list
from babel.units import format_unit

from accounts.keys import account_service_key
from accounts.organisation import UnitInfo
from accounts.service import StaffMember
from booking.booking_draft import ANSWER_PREFIX, DETAIL_FIELDS, STEPS, Draft, Errors, asks_questions
from booking.client_times import parse_start, parse_week, start_value, week_containing
from booking.confirmations import SUBMISSION_FIELD
from booking.keys import booking_service_key
from booking.types import SlotTaken
from booking.week_pages import (
    ANCHORS,
    Week,
    alternative_times,
    client_times,
    day_and_time,
    mode_name,
    path_to,
    week_of_free_times,
)
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeInfo
from core.app_keys import settings_key
from core.i18n import LANGUAGE_NAMES, N_, SUPPORTED_LANGUAGES
from core.request_keys import language_key
from core.templating import render, translate
from identification.keys import client_identity

STEP_ROUTES = {
    "who": "book_who",
    "meeting_type": "book_meeting_type",
    "time": "book_time",
    "details": "book_details",
    "questions": "book_questions",
    "check": "book_check",
}


# ---- who the client chose ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Who:
    """The unit or caseworker the client chose: who may take the meeting, and on whose clock."""

    unit: UnitInfo | None
    caseworker: StaffMember | None
    people: list[StaffMember]
    meeting_types: list[MeetingTypeInfo]
    zone: ZoneInfo

    def meeting_type(self, meeting_type_id: str) -> MeetingTypeInfo | None:
        return next((item for item in self.meeting_types if item.id == meeting_type_id), None)


class StepMissing(Exception):
    """A choice the page depends on is missing or no longer valid: ask for it again."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


async def find_who(request: web.Request, draft: Draft) -> Who | None:
    """Whom the draft's unit or caseworker choice reaches; None when it names nobody bookable."""
    accounts = request.app[account_service_key]
    calendars = request.app[calendar_service_key]
    if draft.unit_id and not draft.caseworker_id:
        people = await accounts.caseworkers(unit_id=draft.unit_id)
    elif draft.caseworker_id and not draft.unit_id:
        people = await accounts.caseworkers(caseworker_ids=[draft.caseworker_id])
    else:
        return None
    offered = await calendars.meeting_types_for([(person.id, person.unit_id) for person in people])
    people = [person for person in people if offered[person.id]]
    if not people:
        return None
    meeting_types: dict[str, MeetingTypeInfo] = {}
    for person in people:
        for item in offered[person.id]:
            meeting_types.setdefault(item.id, item)
    units = {unit.id: unit for unit in await accounts.organisation.units()}
    zones = {await calendars.time_zone_of(person.id) for person in people}
    return Who(
        unit=units.get(draft.unit_id or people[0].unit_id or ""),
        caseworker=people[0] if draft.caseworker_id else None,
        people=people,
        meeting_types=list(meeting_types.values()),
        # A unit's people normally share a zone; if not, the municipality's clock is the fair one.
        zone=ZoneInfo(zones.pop()) if len(zones) == 1 else request.app[settings_key].zone,
    )


async def require_who(request: web.Request, draft: Draft) -> Who:
    who = await find_who(request, draft)
    if who is None:
        raise StepMissing("who")
    return who


async def require_meeting_type(request: web.Request, draft: Draft) -> tuple[Who, MeetingTypeInfo]:
    who = await require_who(request, draft)
    meeting_type = who.meeting_type(draft.meeting_type_id)
    if meeting_type is None:
        raise StepMissing("meeting_type")
    return who, meeting_type


def who_label(request: web.Request, who: Who) -> str:
    language = request[language_key]
    if who.caseworker is not None:
        return who.caseworker.name
    unit_name = who.unit.name_in(language) if who.unit else ""
    return translate(request, N_("First available caseworker at %(unit)s"), unit=unit_name)


def _modes_text(request: web.Request, modes: Sequence[str]) -> str:
    names = [mode_name(request, mode) for mode in modes]
    if not names:
        return ""
    lowered = [names[0], *(name[:1].lower() + name[1:] for name in names[1:])]
    return format_list(lowered, style="or", locale=request[language_key])


# ---- page plumbing --------------------------------------------------------------------------


def step_url(request: web.Request, step: str, draft: Draft, **changes: str) -> str:
    url = request.app.router[STEP_ROUTES[step]].url_for()
    return str(url.with_query(draft.choice_query(**changes)))


def _back(request: web.Request, draft: Draft, previous: str | None) -> dict[str, Any]:
    """A plain link while only choices are known; a button posting the draft once typed."""
    if previous is None:
        return {"href": "/", "action": "", "fields": []}
    if draft.is_personal():
        action = step_url(request, previous, draft)
        return {"href": "", "action": action, "fields": draft.hidden()}
    return {"href": step_url(request, previous, draft), "action": "", "fields": []}


def _form(request: web.Request, draft: Draft, step: str, *asked: str) -> dict[str, Any]:
    """The context of a step's own form: where it goes and what it carries besides its question."""
    # The details form is where the typing starts: it always posts.
    post = draft.is_personal() or STEPS.index(step) >= STEPS.index("details")
    # POST forms go to addresses with the choices in them (never anything typed), so that the
    # language switcher, which reloads the page's address, lands on the same step.
    return {
        "draft": draft,
        "post_mode": post,
        "action": path_to(request, STEP_ROUTES[step], query=dict(draft.choices(*asked)))
        if post
        else path_to(request, STEP_ROUTES[step]),
        "hidden": draft.hidden(*asked) if post else draft.choices(*asked),
        "step": step,
        "actions": {name: step_url(request, name, draft) for name in STEP_ROUTES},
    }


def _page(
    request: web.Request, template: str, context: dict[str, Any], errors: Errors, status: int
) -> web.Response:
    context.update({"errors": errors, "anchors": ANCHORS})
    return render(request, f"booking/{template}", context, status=status)


# ---- the steps ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    value: str
    id: str
    label: str
    hint: str = ""
    lang: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ChoiceGroup:
    title: str
    choices: list[Choice]


async def show_who(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    accounts = request.app[account_service_key]
    language = request[language_key]
    people = await accounts.caseworkers()
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(person.id, person.unit_id) for person in people]
    )
    bookable = [person for person in people if offered[person.id]]
    units = await accounts.organisation.units()
    groups: list[ChoiceGroup] = []
    for unit in units:
        members = [person for person in bookable if person.unit_id == unit.id]
        if members:
            first_available = Choice(
                f"unit:{unit.id}",
                "",
                translate(request, N_("First available caseworker")),
                translate(request, N_("Anyone in the unit who is free at the time you choose.")),
            )
            people_choices = [Choice(f"caseworker:{p.id}", "", p.name) for p in members]
            groups.append(ChoiceGroup(unit.name_in(language), [first_available, *people_choices]))
    unit_ids = {unit.id for unit in units}
    others = [person for person in bookable if person.unit_id not in unit_ids]
    if others:
        groups.append(
            ChoiceGroup(
                translate(request, N_("Other caseworkers")),
                [Choice(f"caseworker:{p.id}", "", p.name) for p in others],
            )
        )
    groups = _numbered(groups, "who")
    chosen = (
        f"unit:{draft.unit_id}"
        if draft.unit_id
        else f"caseworker:{draft.caseworker_id}"
        if draft.caseworker_id
        else ""
    )
    context = _form(request, draft, "who", "unit_id", "caseworker_id")
    context.update(
        {
            "groups": groups,
            "chosen": chosen,
            "back": _back(request, draft, "check" if draft.is_personal() else None),
        }
    )
    return _page(request, "who.html", context, errors, status)


def _numbered(groups: list[ChoiceGroup], name: str) -> list[ChoiceGroup]:
    """Radio ids across groups: the first is the field's own, so error links reach it."""
    numbered = []
    index = 0
    for group in groups:
        choices = []
        for choice in group.choices:
            choices.append(
                dataclasses.replace(choice, id=name if index == 0 else f"{name}-{index}")
            )
            index += 1
        numbered.append(ChoiceGroup(group.title, choices))
    return numbered


async def show_meeting_type(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who = await require_who(request, draft)
    language = request[language_key]
    choices = [
        Choice(
            item.id,
            "meeting_type_id" if index == 0 else f"meeting_type_id-{index}",
            item.name_in(language),
            " · ".join(
                (
                    format_unit(item.duration_minutes, "duration-minute", "long", locale=language),
                    _modes_text(request, item.modes),
                )
            ),
        )
        for index, item in enumerate(who.meeting_types)
    ]
    context = _form(request, draft, "meeting_type", "meeting_type_id")
    context.update(
        {
            "choices": choices,
            "who_label": who_label(request, who),
            "back": _back(request, draft, "who"),
        }
    )
    return _page(request, "meeting_type.html", context, errors, status)


async def show_time(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who, meeting_type = await require_meeting_type(request, draft)
    times = client_times(request, who.zone)
    chosen = parse_start(draft.start)
    requested = parse_week(draft.week) or (
        week_containing(times.today(), times.day_of(chosen)) if chosen is not None else None
    )
    week = await week_of_free_times(
        request,
        meeting_type,
        times,
        caseworker_id=draft.caseworker_id or None,
        unit_id=draft.unit_id or None,
        requested=requested,
    )
    context = _form(request, draft, "time", "start")
    context.update(
        {
            "week": week,
            "nav": _week_nav(request, draft, week),
            "jump": _week_link(request, draft, "next-free", week.next_free.day)
            if week.next_free
            else None,
            "chosen": start_value(chosen) if chosen else "",
            "who": who,
            "who_label": who_label(request, who),
            "meeting_type_name": meeting_type.name_in(request[language_key]),
            "back": _back(request, draft, "meeting_type"),
        }
    )
    return _page(request, "time.html", context, errors, status)


def _week_nav(request: web.Request, draft: Draft, week: Week) -> list[dict[str, Any]]:
    """Links to the weeks around, or, once the draft is personal, buttons that post it."""
    return [
        _week_link(request, draft, kind, first_day)
        for kind, first_day in (("previous", week.previous), ("next", week.next))
        if first_day is not None
    ]


def _week_link(request: web.Request, draft: Draft, kind: str, first_day: date) -> dict[str, Any]:
    """A link to the week from ``first_day``; a button that posts the draft once it is personal
    (its details must not travel in the address)."""
    if draft.is_personal():
        return {
            "kind": kind,
            "href": "",
            "action": step_url(request, "time", draft),
            "fields": [*draft.hidden("week"), ("week", first_day.isoformat())],
        }
    return {"kind": kind, "href": step_url(request, "time", draft, week=first_day.isoformat())}


async def show_details(
    request: web.Request,
    draft: Draft,
    errors: Errors,
    status: int = 200,
    *,
    taken: SlotTaken | None = None,
) -> web.Response:
    who, meeting_type = await require_meeting_type(request, draft)
    times = client_times(request, who.zone)
    language = request[language_key]
    start = parse_start(draft.start)
    known = await _known_contact(request) if not (errors or draft.has_contact()) else {}
    values = {
        "name": draft.name or known.get("name", ""),
        "email": draft.email or known.get("email", ""),
        "phone": draft.phone or known.get("phone", ""),
        "language": draft.language or known.get("language") or language,
        "mode": draft.mode or (meeting_type.modes[0] if len(meeting_type.modes) == 1 else ""),
    }
    modes = [
        Choice(
            mode,
            "mode" if index == 0 else f"mode-{mode}",
            mode_name(request, mode),
            translate(request, N_("Address: %(address)s"), address=meeting_type.address)
            if mode == "in_person" and meeting_type.address
            else "",
        )
        for index, mode in enumerate(meeting_type.modes)
    ]
    languages = [
        Choice(
            code, "language" if index == 0 else f"language-{code}", LANGUAGE_NAMES[code], lang=code
        )
        for index, code in enumerate(SUPPORTED_LANGUAGES)
    ]
    context = _form(request, draft, "details", *DETAIL_FIELDS[:-1])
    context.update(
        {
            "values": values,
            "modes": modes,
            "languages": languages,
            "when": day_and_time(
                request, times, start, start + timedelta(minutes=meeting_type.duration_minutes)
            )
            if start
            else "",
            "who_label": who_label(request, who),
            "meeting_type_name": meeting_type.name_in(language),
            "taken": taken is not None,
            "alternatives": alternative_times(request, times, taken.alternatives if taken else ()),
            "alternative_fields": draft.hidden("start"),
            "back": _back(request, draft, "time"),
            "prefilled": bool(known),
        }
    )
    return _page(request, "details.html", context, errors, status)


async def _known_contact(request: web.Request) -> dict[str, str]:
    """For an identified person: their name, and the contact details and language of their
    latest booking, so that they need not type them again (they may change them)."""
    person = await client_identity(request)
    if person is None:
        return {}
    known = {"name": person.name}
    own = await request.app[booking_service_key].own_bookings(person.identity_hash)
    for item in sorted(own, key=lambda item: item.booking.start, reverse=True):
        booking = item.booking
        if booking.client_email or booking.client_phone:
            known |= {
                "email": booking.client_email or "",
                "phone": booking.client_phone or "",
                "language": booking.language,
            }
            break
    return known


async def show_questions(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    _who_chosen, meeting_type = await require_meeting_type(request, draft)
    language = request[language_key]
    questions = [
        {
            "id": ANSWER_PREFIX + question.id,
            "kind": question.kind,
            "label": question.label_in(language),
            "value": draft.answers.get(question.id, ""),
            "choices": _yes_no_choices(request, ANSWER_PREFIX + question.id),
        }
        for question in meeting_type.pre_meeting_questions
    ]
    context = _form(request, draft, "questions", "answers", "questions_done")
    context.update({"questions": questions, "back": _back(request, draft, "details")})
    return _page(request, "questions.html", context, errors, status)


async def show_check(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who, meeting_type = await require_meeting_type(request, draft)
    start = parse_start(draft.start)
    if start is None:
        raise StepMissing("time")
    times = client_times(request, who.zone)
    language = request[language_key]
    answers = [
        {
            "label": question.label_in(language),
            "kind": question.kind,
            "value": draft.answers.get(question.id, "").strip(),
        }
        for question in meeting_type.pre_meeting_questions
    ]
    context = _form(request, draft, "check")
    context.update(
        {
            "who_label": who_label(request, who),
            "unit_name": who.unit.name_in(language) if who.unit and who.caseworker else "",
            "meeting_type_name": meeting_type.name_in(language),
            "when": day_and_time(
                request, times, start, start + timedelta(minutes=meeting_type.duration_minutes)
            ),
            "mode_name": mode_name(request, draft.mode),
            "address": meeting_type.address if draft.mode == "in_person" else "",
            "language_name": LANGUAGE_NAMES.get(draft.language, draft.language),
            "answers": answers if asks_questions(meeting_type) else [],
            "confirm_action": path_to(request, "book_confirm", query=draft.choice_query()),
            "submission_field": SUBMISSION_FIELD,
            # One-time: a repeat of this very form is the same booking (see Confirmations).
            "submission_id": secrets.token_urlsafe(32),
            "back": _back(
                request, draft, "questions" if asks_questions(meeting_type) else "details"
            ),
        }
    )
    return _page(request, "check.html", context, errors, status)


def _yes_no_choices(request: web.Request, name: str) -> list[Choice]:
    return [
        Choice("yes", name, translate(request, N_("Yes"))),
        Choice("no", f"{name}-no", translate(request, N_("No"))),
        Choice("", f"{name}-unanswered", translate(request, N_("I do not want to answer"))),
    ]


SHOW: dict[str, Callable[..., Coroutine[Any, Any, web.Response]]] = {
    "who": show_who,
    "meeting_type": show_meeting_type,
    "time": show_time,
    "details": show_details,
    "questions": show_questions,
    "check": show_check,
}
