"""The client's booking pages and the manage page (server-rendered, no JavaScript needed).

Booking follows the GOV.UK question pages: who → meeting type → time → your details →
(questions before the meeting) → check your answers → confirmation. Choices that say nothing
about the client (unit, caseworker, meeting type, week, time) travel in the query string, so
back links are plain links. Once the client has typed anything about themself, everything
travels in hidden fields of POST forms instead: personal details never go into a URL, a cookie
or a log line. The service stays the judge of what may be booked; these pages only check each
step's answers early, so that the client hears about a mistake on the page where they made it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone_name
from babel.lists import format_list
from babel.units import format_unit
from yarl import URL

from accounts.keys import account_service_key
from accounts.service import StaffMember, UnitInfo
from availability.slots import Slot
from booking.keys import booking_service_key, limit_public
from booking.service import (
    BookingCreated,
    BookingRequest,
    BookingView,
    ClientDetails,
    ManageToken,
    SlotTaken,
    check_client,
)
from calendars.keys import calendar_service_key
from calendars.service import MeetingTypeInfo
from core.app_keys import settings_key
from core.db import utcnow
from core.errors import ValidationFailed
from core.http import ics_response
from core.i18n import LANGUAGE_NAMES, N_, SUPPORTED_LANGUAGES
from core.request_keys import csrf_token_key, language_key
from core.templating import render, translate

pages = web.RouteTableDef()

Params = Mapping[str, Any]
Errors = dict[str, str]

STEPS = ("who", "meeting_type", "time", "details", "questions", "check")
STEP_ROUTES = {
    "who": "book_who",
    "meeting_type": "book_meeting_type",
    "time": "book_time",
    "details": "book_details",
    "questions": "book_questions",
    "check": "book_check",
}
CHOICE_FIELDS = ("unit_id", "caseworker_id", "meeting_type_id", "week", "start")
DETAIL_FIELDS = ("name", "email", "phone", "language", "mode", "questions_done")
ANSWER_PREFIX = "answer-"
MAX_ANSWERS = 20
# Generous: the service says what is too long. This only keeps a tampered form from growing.
MAX_FIELD_LENGTH = 4000
MAX_ANSWER_LENGTH = 2000
SUBMISSION_FIELD = "submission_id"
SUBMISSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")

MODE_NAMES = {
    "video": N_("Video meeting"),
    "phone": N_("Phone call"),
    "in_person": N_("Meeting in person"),
}
STATUS_NAMES = {
    "confirmed": N_("Booked"),
    "cancelled": N_("Cancelled"),
    "completed": N_("The meeting has taken place"),
    "no_show": N_("The meeting did not take place"),
}
NOTICES = {"moved": N_("Your booking was moved to the new time.")}

CHOOSE_WHO = N_("Choose who you would like to meet.")
CHOOSE_MEETING_TYPE = N_("Choose the kind of meeting you need.")
CHOOSE_TIME = N_("Choose a time.")
TIME_NOT_FREE = N_("That time is no longer free. Choose another time.")

# Where an error the service reports at confirmation belongs: (step, field on that step's page).
SERVICE_FIELDS = {
    "unit_id": ("who", "who"),
    "caseworker_id": ("who", "who"),
    "meeting_type_id": ("meeting_type", "meeting_type_id"),
    "start": ("time", "start"),
    "client.name": ("details", "name"),
    "client.email": ("details", "email"),
    "client.phone": ("details", "phone"),
    "client.contact": ("details", "contact"),
    "language": ("details", "language"),
    "mode": ("details", "mode"),
}
# The element an error summary link jumps to, when it is not the field of the same name.
ANCHORS = {"contact": "email"}


# ---- dates and times as the client reads them ---------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ClientTimes:
    """Moments in the caseworker's zone, written the way the page language writes them."""

    zone: ZoneInfo
    locale: Locale

    @classmethod
    def of(cls, zone: ZoneInfo, language: str) -> ClientTimes:
        return cls(zone, Locale.parse(language))

    def today(self) -> date:
        return utcnow().astimezone(self.zone).date()

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def day(self, value: date) -> str:
        return _capitalised(format_date(value, "full", locale=self.locale))

    def clock(self, moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=self.zone, locale=self.locale)

    def span(self, start: datetime, end: datetime) -> str:
        return f"{self.clock(start)}–{self.clock(end)}"

    def week(self, monday: date) -> str:
        return format_interval(monday, monday + timedelta(days=6), "yMMMMd", locale=self.locale)

    def zone_name(self) -> str:
        return get_timezone_name(self.zone, locale=self.locale)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def start_value(moment: datetime) -> str:
    """A slot's start as it travels in forms and links: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_start(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _parse_week(raw: str) -> date | None:
    try:
        return _monday_of(date.fromisoformat(raw))
    except ValueError:
        return None


# ---- what the client has chosen and typed so far ------------------------------------------------


def _text(params: Params, name: str) -> str:
    value = params.get(name, "")
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


@dataclasses.dataclass
class Draft:
    """A booking being made: read afresh from the query or the form on every request."""

    unit_id: str = ""
    caseworker_id: str = ""
    meeting_type_id: str = ""
    week: str = ""
    start: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    mode: str = ""
    questions_done: str = ""  # the meeting type whose questions were answered
    answers: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, params: Params) -> Draft:
        draft = cls()
        for name in CHOICE_FIELDS + DETAIL_FIELDS:
            setattr(draft, name, _text(params, name))
        for key in params:
            if key.startswith(ANSWER_PREFIX) and len(draft.answers) < MAX_ANSWERS:
                draft.answers[key.removeprefix(ANSWER_PREFIX)] = _text(params, key)
        return draft

    def is_personal(self) -> bool:
        """Whether anything typed is on board: from then on, only POST forms carry the draft."""
        return any(getattr(self, name) for name in DETAIL_FIELDS) or any(self.answers.values())

    def choice_query(self, **changes: str) -> dict[str, str]:
        query = {name: getattr(self, name) for name in CHOICE_FIELDS}
        query.update(changes)
        return {name: value for name, value in query.items() if value}

    def choices(self, *leaving_out: str) -> list[tuple[str, str]]:
        return [
            (name, value) for name, value in self.choice_query().items() if name not in leaving_out
        ]

    def hidden(self, *leaving_out: str) -> list[tuple[str, str]]:
        """Everything, as hidden fields, but what the page asks for itself."""
        fields = self.choices(*leaving_out)
        fields.extend(
            (name, getattr(self, name))
            for name in DETAIL_FIELDS
            if getattr(self, name) and name not in leaving_out
        )
        if "answers" not in leaving_out:
            fields.extend(
                (ANSWER_PREFIX + key, value) for key, value in self.answers.items() if value
            )
        return fields


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


class _StepMissing(Exception):
    """A choice the page depends on is missing or no longer valid: ask for it again."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


async def _who(request: web.Request, draft: Draft) -> Who | None:
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
    units = {unit.id: unit for unit in await accounts.units()}
    zones = {await calendars.time_zone_of(person.id) for person in people}
    return Who(
        unit=units.get(draft.unit_id or people[0].unit_id or ""),
        caseworker=people[0] if draft.caseworker_id else None,
        people=people,
        meeting_types=list(meeting_types.values()),
        # A unit's people normally share a zone; if not, the municipality's clock is the fair one.
        zone=ZoneInfo(zones.pop()) if len(zones) == 1 else request.app[settings_key].zone,
    )


async def _require_who(request: web.Request, draft: Draft) -> Who:
    who = await _who(request, draft)
    if who is None:
        raise _StepMissing("who")
    return who


async def _require_meeting_type(request: web.Request, draft: Draft) -> tuple[Who, MeetingTypeInfo]:
    who = await _require_who(request, draft)
    meeting_type = who.meeting_type(draft.meeting_type_id)
    if meeting_type is None:
        raise _StepMissing("meeting_type")
    return who, meeting_type


def _who_label(request: web.Request, who: Who) -> str:
    language = request[language_key]
    if who.caseworker is not None:
        return who.caseworker.name
    unit_name = who.unit.name_in(language) if who.unit else ""
    return translate(request, N_("First available caseworker at %(unit)s"), unit=unit_name)


def _mode_name(request: web.Request, mode: str) -> str:
    return translate(request, MODE_NAMES[mode]) if mode in MODE_NAMES else mode


def _modes_text(request: web.Request, modes: Sequence[str]) -> str:
    names = [_mode_name(request, mode) for mode in modes]
    if not names:
        return ""
    lowered = [names[0], *(name[:1].lower() + name[1:] for name in names[1:])]
    return format_list(lowered, style="or", locale=request[language_key])


def _times(request: web.Request, zone: ZoneInfo) -> ClientTimes:
    return ClientTimes.of(zone, request[language_key])


def _when(request: web.Request, times: ClientTimes, start: datetime, end: datetime) -> str:
    return translate(
        request,
        N_("%(day)s at %(time)s"),
        day=times.day(times.day_of(start)),
        time=times.span(start, end),
    )


# ---- the week of free times -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TimeChoice:
    value: str
    id: str
    label: str  # the clock time, under its day's heading
    long_label: str = ""  # day and time, where the time stands alone


@dataclasses.dataclass(frozen=True, slots=True)
class DayChoices:
    title: str
    times: list[TimeChoice]


@dataclasses.dataclass(frozen=True, slots=True)
class Week:
    monday: date
    title: str
    zone_name: str
    days: list[DayChoices]
    previous: date | None
    next: date | None
    nothing_soon: bool  # no free time at all within the meeting type's horizon

    @property
    def has_times(self) -> bool:
        return any(day.times for day in self.days)


async def _week_of_free_times(
    request: web.Request,
    meeting_type: MeetingTypeInfo,
    times: ClientTimes,
    *,
    caseworker_id: str | None,
    unit_id: str | None,
    requested: date | None,
    moving: str | None = None,
) -> Week:
    """The week asked for, or else the first week with a free time in it."""
    service = request.app[booking_service_key]
    today = times.today()
    first_monday = _monday_of(today)
    last_day = today + timedelta(days=meeting_type.horizon_days)
    monday = min(max(requested or first_monday, first_monday), _monday_of(last_day))

    async def free(first_day: date, last: date) -> list[Slot]:
        return await service.slots(
            meeting_type.id,
            caseworker_id=caseworker_id,
            unit_id=unit_id,
            first_day=first_day,
            last_day=last,
            ignore_booking=moving,
        )

    slots = await free(monday, monday + timedelta(days=6))
    nothing_soon = False
    if requested is None and not slots:
        later = monday + timedelta(days=7)
        found = (
            await free(later, min(last_day, later + timedelta(days=61)))
            if later <= last_day
            else []
        )
        if found:
            monday = _monday_of(times.day_of(found[0].start))
            slots = [slot for slot in found if _monday_of(times.day_of(slot.start)) == monday]
        else:
            nothing_soon = True
    return Week(
        monday=monday,
        title=times.week(monday),
        zone_name=times.zone_name(),
        days=_days(request, times, monday, slots),
        previous=monday - timedelta(days=7) if monday > first_monday else None,
        next=monday + timedelta(days=7) if monday + timedelta(days=7) <= last_day else None,
        nothing_soon=nothing_soon,
    )


def _days(
    request: web.Request, times: ClientTimes, monday: date, slots: Sequence[Slot]
) -> list[DayChoices]:
    by_day: dict[date, dict[datetime, Slot]] = {}
    for slot in slots:
        # A unit offers a time once, however many of its people are free then.
        by_day.setdefault(times.day_of(slot.start), {}).setdefault(slot.start, slot)
    days = []
    first = True
    for offset in range(7):
        day = monday + timedelta(days=offset)
        choices = []
        for _start, slot in sorted(by_day.get(day, {}).items()):
            choices.append(_time_choice(request, times, slot, first=first))
            first = False
        days.append(DayChoices(title=times.day(day), times=choices))
    return days


def _time_choice(
    request: web.Request, times: ClientTimes, slot: Slot, *, first: bool = False
) -> TimeChoice:
    # The first radio has the field's own id, so that the error summary can link to it.
    return TimeChoice(
        value=start_value(slot.start),
        id="start" if first else "start-" + slot.start.astimezone(UTC).strftime("%Y%m%d%H%M"),
        label=times.clock(slot.start),
    )


def _alternatives(
    request: web.Request, times: ClientTimes, alternatives: Sequence[Slot]
) -> list[TimeChoice]:
    """The free times the service offers instead of a taken one, each once, earliest first."""
    unique = {slot.start: slot for slot in reversed(alternatives)}
    return [
        dataclasses.replace(
            _time_choice(request, times, slot),
            long_label=_when(request, times, slot.start, slot.end),
        )
        for slot in sorted(unique.values(), key=lambda slot: slot.start)
    ]


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


# ---- checking each step's answers --------------------------------------------------------------


def details_errors(draft: Draft, meeting_type: MeetingTypeInfo) -> Errors:
    """The details step's mistakes, by the service's rules, in the order of the page's fields."""
    found: Errors = {}
    mode = draft.mode if draft.mode in meeting_type.modes else None
    try:
        check_client(ClientDetails(draft.name, draft.email, draft.phone), mode=mode)
    except ValidationFailed as error:
        found = {SERVICE_FIELDS[field][1]: message for field, message in error.fields.items()}
    if draft.language not in SUPPORTED_LANGUAGES:
        found["language"] = N_("Choose the language of the meeting.")
    if mode is None:
        found["mode"] = N_("Choose how you would like to meet.")
    order = ("name", "email", "phone", "contact", "language", "mode")
    return {field: found[field] for field in order if field in found}


def answers_errors(draft: Draft, meeting_type: MeetingTypeInfo) -> Errors:
    errors: Errors = {}
    for question in meeting_type.pre_meeting_questions:
        value = draft.answers.get(question.id, "")
        if len(value) > MAX_ANSWER_LENGTH:
            errors[ANSWER_PREFIX + question.id] = N_(
                "The answer must be at most 2000 characters long."
            )
        elif question.kind == "yes_no" and value not in ("yes", "no", ""):
            errors[ANSWER_PREFIX + question.id] = N_("Answer yes or no.")
    return errors


def _asks_questions(meeting_type: MeetingTypeInfo) -> bool:
    return meeting_type.asks_pre_meeting_form and bool(meeting_type.pre_meeting_questions)


async def _first_unfinished(request: web.Request, draft: Draft) -> str:
    _who_chosen, meeting_type = await _require_meeting_type(request, draft)
    if parse_start(draft.start) is None:
        return "time"
    if details_errors(draft, meeting_type):
        return "details"
    if _asks_questions(meeting_type) and draft.questions_done != meeting_type.id:
        return "questions"
    return "check"


def _errors_by_step(fields: Mapping[str, str]) -> tuple[str, Errors]:
    """The earliest step with an error the service found, and that step's errors."""
    by_step: dict[str, Errors] = {}
    for field, message in fields.items():
        if field.startswith("answers."):
            step, name = "questions", ANSWER_PREFIX + field.removeprefix("answers.")
        else:
            step, name = SERVICE_FIELDS.get(field, ("details", field))
        by_step.setdefault(step, {})[name] = message
    first = min(by_step, key=STEPS.index)
    return first, by_step[first]


def _booking_request(
    draft: Draft, meeting_type: MeetingTypeInfo, start: datetime
) -> BookingRequest:
    asked = {question.id for question in meeting_type.pre_meeting_questions}
    answers = (
        {key: value for key, value in draft.answers.items() if key in asked and value.strip()}
        if meeting_type.asks_pre_meeting_form
        else {}
    )
    return BookingRequest(
        meeting_type_id=meeting_type.id,
        start=start,
        mode=draft.mode,
        language=draft.language,
        client=ClientDetails(
            name=draft.name, email=draft.email.strip() or None, phone=draft.phone.strip() or None
        ),
        caseworker_id=draft.caseworker_id or None,
        unit_id=draft.unit_id or None,
        answers=answers,
    )


# ---- one booking per confirmation, however many clicks -----------------------------------------

CONFIRMATION_MEMORY_SECONDS = 600.0
MAX_REMEMBERED_CONFIRMATIONS = 10_000


class Confirmations:
    """Bookings made from check-answers pages in the last minutes, by the form's one-time value.

    A double click sends the same confirmation twice and the browser shows the answer to the
    second. That answer must be the same booking, with its manage link, not "someone just booked
    this time". The value is bound to the browser's CSRF cookie and to what is being booked, and
    is kept only in this process's memory: after a restart or on another server a repeat is
    refused by the booking rules instead (the time is taken, or the client's limit is reached).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._made: dict[str, tuple[float, str, asyncio.Task[BookingCreated]]] = {}

    async def book_once(
        self,
        key: str,
        fingerprint: str,
        book: Callable[[], Coroutine[Any, Any, BookingCreated]],
    ) -> BookingCreated:
        now = self._clock()
        self._forget_expired(now)
        remembered = self._made.get(key)
        if remembered is not None and remembered[1] == fingerprint:
            task = remembered[2]
        elif len(self._made) >= MAX_REMEMBERED_CONFIRMATIONS:
            return await book()
        else:
            # A task, so that the booking completes even if the first request is abandoned.
            task = asyncio.get_running_loop().create_task(book())
            self._made[key] = (now + CONFIRMATION_MEMORY_SECONDS, fingerprint, task)
            task.add_done_callback(functools.partial(self._settled, key))
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Task[BookingCreated]) -> None:
        # A refused booking is forgotten, so that the same form can be sent again later.
        if task.cancelled() or task.exception() is not None:
            remembered = self._made.get(key)
            if remembered is not None and remembered[2] is task:
                del self._made[key]

    def _forget_expired(self, now: float) -> None:
        for key in [
            key
            for key, (expires, _fingerprint, task) in self._made.items()
            if expires <= now and task.done()
        ]:
            del self._made[key]

    async def close(self) -> None:
        pending = [task for _expires, _fingerprint, task in self._made.values() if not task.done()]
        await asyncio.gather(*pending, return_exceptions=True)
        self._made.clear()


confirmations_key = web.AppKey("booking_confirmations", Confirmations)


async def _confirmations(app: web.Application) -> AsyncIterator[None]:
    app[confirmations_key] = confirmations = Confirmations()
    yield
    await confirmations.close()


def _confirmation_key(request: web.Request, submission: str) -> str | None:
    if not SUBMISSION_PATTERN.fullmatch(submission):
        return None
    bound = f"{request.get(csrf_token_key, '')}:{submission}"
    return hashlib.sha256(bound.encode()).hexdigest()


def _fingerprint(booking: BookingRequest) -> str:
    return hashlib.sha256(repr(booking).encode()).hexdigest()


# ---- page plumbing --------------------------------------------------------------------------


async def _params(request: web.Request) -> Params:
    if request.method == "POST":
        return await request.post()
    return request.query


def _path(
    request: web.Request, route: str, query: Mapping[str, str] | None = None, **parts: str
) -> str:
    return str(request.app.router[route].url_for(**parts).with_query(query))


def _step_url(request: web.Request, step: str, draft: Draft, **changes: str) -> str:
    url = request.app.router[STEP_ROUTES[step]].url_for()
    return str(url.with_query(draft.choice_query(**changes)))


def _back(request: web.Request, draft: Draft, previous: str | None) -> dict[str, Any]:
    """A plain link while only choices are known; a button posting the draft once typed."""
    if previous is None:
        return {"href": "/", "action": "", "fields": []}
    if draft.is_personal():
        action = _step_url(request, previous, draft)
        return {"href": "", "action": action, "fields": draft.hidden()}
    return {"href": _step_url(request, previous, draft), "action": "", "fields": []}


def _form(request: web.Request, draft: Draft, step: str, *asked: str) -> dict[str, Any]:
    """The context of a step's own form: where it goes and what it carries besides its question."""
    # The details form is where the typing starts: it always posts.
    post = draft.is_personal() or STEPS.index(step) >= STEPS.index("details")
    # POST forms go to addresses with the choices in them (never anything typed), so that the
    # language switcher, which reloads the page's address, lands on the same step.
    return {
        "draft": draft,
        "post_mode": post,
        "action": _path(request, STEP_ROUTES[step], query=dict(draft.choices(*asked)))
        if post
        else _path(request, STEP_ROUTES[step]),
        "hidden": draft.hidden(*asked) if post else draft.choices(*asked),
        "step": step,
        "actions": {name: _step_url(request, name, draft) for name in STEP_ROUTES},
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


async def _show_who(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    accounts = request.app[account_service_key]
    language = request[language_key]
    people = await accounts.caseworkers()
    offered = await request.app[calendar_service_key].meeting_types_for(
        [(person.id, person.unit_id) for person in people]
    )
    bookable = [person for person in people if offered[person.id]]
    units = await accounts.units()
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


async def _show_meeting_type(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who = await _require_who(request, draft)
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
            "who_label": _who_label(request, who),
            "back": _back(request, draft, "who"),
        }
    )
    return _page(request, "meeting_type.html", context, errors, status)


async def _show_time(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who, meeting_type = await _require_meeting_type(request, draft)
    times = _times(request, who.zone)
    chosen = parse_start(draft.start)
    requested = _parse_week(draft.week) or (
        _monday_of(times.day_of(chosen)) if chosen is not None else None
    )
    week = await _week_of_free_times(
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
            "chosen": start_value(chosen) if chosen else "",
            "who": who,
            "who_label": _who_label(request, who),
            "meeting_type_name": meeting_type.name_in(request[language_key]),
            "back": _back(request, draft, "meeting_type"),
        }
    )
    return _page(request, "time.html", context, errors, status)


def _week_nav(request: web.Request, draft: Draft, week: Week) -> list[dict[str, Any]]:
    """Links to the weeks around, or, once the draft is personal, buttons that post it."""
    nav = []
    for kind, monday in (("previous", week.previous), ("next", week.next)):
        if monday is None:
            continue
        if draft.is_personal():
            nav.append(
                {
                    "kind": kind,
                    "href": "",
                    "action": _step_url(request, "time", draft),
                    "fields": [*draft.hidden("week"), ("week", monday.isoformat())],
                }
            )
        else:
            nav.append(
                {"kind": kind, "href": _step_url(request, "time", draft, week=monday.isoformat())}
            )
    return nav


async def _show_details(
    request: web.Request,
    draft: Draft,
    errors: Errors,
    status: int = 200,
    *,
    taken: SlotTaken | None = None,
) -> web.Response:
    who, meeting_type = await _require_meeting_type(request, draft)
    times = _times(request, who.zone)
    language = request[language_key]
    start = parse_start(draft.start)
    values = {
        "name": draft.name,
        "email": draft.email,
        "phone": draft.phone,
        "language": draft.language or language,
        "mode": draft.mode or (meeting_type.modes[0] if len(meeting_type.modes) == 1 else ""),
    }
    modes = [
        Choice(
            mode,
            "mode" if index == 0 else f"mode-{mode}",
            _mode_name(request, mode),
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
            "when": _when(
                request, times, start, start + timedelta(minutes=meeting_type.duration_minutes)
            )
            if start
            else "",
            "who_label": _who_label(request, who),
            "meeting_type_name": meeting_type.name_in(language),
            "taken": taken is not None,
            "alternatives": _alternatives(request, times, taken.alternatives if taken else ()),
            "alternative_fields": draft.hidden("start"),
            "back": _back(request, draft, "time"),
        }
    )
    return _page(request, "details.html", context, errors, status)


async def _show_questions(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    _who_chosen, meeting_type = await _require_meeting_type(request, draft)
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


async def _show_check(
    request: web.Request, draft: Draft, errors: Errors, status: int = 200
) -> web.Response:
    who, meeting_type = await _require_meeting_type(request, draft)
    start = parse_start(draft.start)
    if start is None:
        raise _StepMissing("time")
    times = _times(request, who.zone)
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
            "who_label": _who_label(request, who),
            "unit_name": who.unit.name_in(language) if who.unit and who.caseworker else "",
            "meeting_type_name": meeting_type.name_in(language),
            "when": _when(
                request, times, start, start + timedelta(minutes=meeting_type.duration_minutes)
            ),
            "mode_name": _mode_name(request, draft.mode),
            "address": meeting_type.address if draft.mode == "in_person" else "",
            "language_name": LANGUAGE_NAMES.get(draft.language, draft.language),
            "answers": answers if _asks_questions(meeting_type) else [],
            "confirm_action": _path(request, "book_confirm", query=draft.choice_query()),
            "submission_field": SUBMISSION_FIELD,
            # One-time: a repeat of this very form is the same booking (see Confirmations).
            "submission_id": secrets.token_urlsafe(32),
            "back": _back(
                request, draft, "questions" if _asks_questions(meeting_type) else "details"
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
    "who": _show_who,
    "meeting_type": _show_meeting_type,
    "time": _show_time,
    "details": _show_details,
    "questions": _show_questions,
    "check": _show_check,
}


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
        raise web.HTTPSeeOther(_step_url(request, step, draft))
    return await SHOW[step](request, draft, {})


async def _answer_who(request: web.Request, draft: Draft, params: Params) -> web.Response:
    kind, _, ident = _text(params, "who").partition(":")
    draft.unit_id = ident if kind == "unit" else ""
    draft.caseworker_id = ident if kind == "caseworker" else ""
    if not ident or await _who(request, draft) is None:
        return await _show_who(request, draft, {"who": CHOOSE_WHO}, 422)
    return await _advance(request, draft, "who")


async def _answer_meeting_type(request: web.Request, draft: Draft, params: Params) -> web.Response:
    who = await _require_who(request, draft)
    if who.meeting_type(draft.meeting_type_id) is None:
        return await _show_meeting_type(
            request, draft, {"meeting_type_id": CHOOSE_MEETING_TYPE}, 422
        )
    return await _advance(request, draft, "meeting_type")


async def _answer_time(request: web.Request, draft: Draft, params: Params) -> web.Response:
    who, meeting_type = await _require_meeting_type(request, draft)
    if not draft.start:
        return await _show_time(request, draft, {"start": CHOOSE_TIME}, 422)
    if not await _is_free(request, draft, meeting_type, _times(request, who.zone)):
        draft.start = ""
        return await _show_time(request, draft, {"start": TIME_NOT_FREE}, 409)
    return await _advance(request, draft, "time")


async def _answer_details(request: web.Request, draft: Draft, params: Params) -> web.Response:
    _who_chosen, meeting_type = await _require_meeting_type(request, draft)
    errors = details_errors(draft, meeting_type)
    if errors:
        return await _show_details(request, draft, errors, 422)
    return await _advance(request, draft, "details")


async def _answer_questions(request: web.Request, draft: Draft, params: Params) -> web.Response:
    _who_chosen, meeting_type = await _require_meeting_type(request, draft)
    errors = answers_errors(draft, meeting_type)
    if errors:
        return await _show_questions(request, draft, errors, 422)
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
    except _StepMissing as missing:
        return await _ask_again(request, draft, missing.step)


async def _ask_again(request: web.Request, draft: Draft, step: str) -> web.Response:
    if step == "who":
        draft.unit_id = draft.caseworker_id = ""
    if step in ("who", "meeting_type"):
        draft.meeting_type_id = ""
    if not draft.is_personal():
        raise web.HTTPSeeOther(_step_url(request, step, draft))
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
    raise web.HTTPSeeOther(_step_url(request, "details", Draft.read(request.query)))


@pages.post("/book/confirm", name="book_confirm")
async def book_confirm(request: web.Request) -> web.Response:
    await limit_public(request)
    form = await request.post()
    draft = Draft.read(form)
    try:
        step = await _first_unfinished(request, draft)
        if step != "check":
            return await SHOW[step](request, draft, {})
        _who_chosen, meeting_type = await _require_meeting_type(request, draft)
        start = parse_start(draft.start)
        assert start is not None  # _first_unfinished sends a draft without a time to that step
        booking = _booking_request(draft, meeting_type, start)
        service = request.app[booking_service_key]
        key = _confirmation_key(request, _text(form, SUBMISSION_FIELD))
        try:
            if key is None:
                created = await service.book(booking)
            else:
                created = await request.app[confirmations_key].book_once(
                    key, _fingerprint(booking), lambda: service.book(booking)
                )
        except SlotTaken as taken:
            draft.start = ""
            return await _show_details(request, draft, {}, 409, taken=taken)
        except ValidationFailed as failed:
            step, errors = _errors_by_step(failed.fields)
            if step == "time":
                draft.start = ""
            return await SHOW[step](request, draft, errors, 422)
    except _StepMissing as missing:
        return await _ask_again(request, draft, missing.step)
    raise web.HTTPSeeOther(_path(request, "booking_confirmation", token=created.manage_token))


# ---- after booking: the confirmation and the manage pages ---------------------------------------

MANAGE = "/manage/{token:[A-Za-z0-9_-]{1,100}}"


async def _booking_of(request: web.Request) -> tuple[str, BookingView]:
    token = request.match_info["token"]
    view = await request.app[booking_service_key].booking(ManageToken(token))
    return token, view


def _booking_context(request: web.Request, token: str, view: BookingView) -> dict[str, Any]:
    service = request.app[booking_service_key]
    times = _times(request, view.zone)
    language = request[language_key]
    return {
        "booking": view,
        "token": token,
        "when": _when(request, times, view.start, view.end),
        "meeting_type_name": view.meeting_type.name_in(language),
        "mode_name": _mode_name(request, view.mode),
        "address": view.meeting_type.address if view.mode == "in_person" else "",
        "status_name": translate(request, STATUS_NAMES.get(view.status, view.status)),
        "manage_url": service.manage_url(token),
        "manage_path": _path(request, "manage_booking", token=token),
        "ics_path": _path(request, "manage_booking_ics", token=token),
        "join_url": service.join_url(token) if view.mode == "video" else "",
        "join_path": _path(request, "manage_booking_join", token=token),
        "reschedule_path": _path(request, "manage_reschedule", token=token),
        "cancel_path": _path(request, "manage_cancel", token=token),
    }


@pages.get(f"{MANAGE}/confirmation", name="booking_confirmation")
async def booking_confirmation(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if view.status != "confirmed":
        raise web.HTTPSeeOther(_path(request, "manage_booking", token=token))
    return render(request, "booking/confirmation.html", _booking_context(request, token, view))


@pages.get(MANAGE, name="manage_booking")
async def manage_booking(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    context = _booking_context(request, token, view)
    context["notice"] = NOTICES.get(request.query.get("notice", ""), "")
    return render(request, "booking/manage.html", context)


@pages.get(f"{MANAGE}/booking.ics", name="manage_booking_ics")
async def manage_booking_ics(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    return ics_response(
        request.app[booking_service_key].invitation_ics(view, token), "kohtaamo.ics"
    )


async def _show_reschedule(
    request: web.Request,
    token: str,
    view: BookingView,
    errors: Errors,
    status: int = 200,
    *,
    taken: SlotTaken | None = None,
) -> web.Response:
    times = _times(request, view.zone)
    chosen = parse_start(request.query.get("start", ""))
    week = await _week_of_free_times(
        request,
        view.meeting_type,
        times,
        caseworker_id=view.caseworker.id,
        unit_id=None,
        requested=_parse_week(request.query.get("week", "")),
        moving=view.id,
    )
    path = _path(request, "manage_reschedule", token=token)
    context = _booking_context(request, token, view)
    context.update(
        {
            "week": week,
            "nav": [
                {"kind": kind, "href": str(URL(path).with_query(week=monday.isoformat()))}
                for kind, monday in (("previous", week.previous), ("next", week.next))
                if monday is not None
            ],
            "chosen": start_value(chosen) if chosen else "",
            "taken": taken is not None,
            "alternatives": _alternatives(request, times, taken.alternatives if taken else ()),
            "errors": errors,
            "anchors": ANCHORS,
        }
    )
    return render(request, "booking/reschedule.html", context, status=status)


@pages.get(f"{MANAGE}/reschedule", name="manage_reschedule")
async def manage_reschedule(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if not view.is_upcoming:
        raise web.HTTPSeeOther(_path(request, "manage_booking", token=token))
    return await _show_reschedule(request, token, view, {})


@pages.post(f"{MANAGE}/reschedule")
async def manage_reschedule_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    form = await request.post()
    start = parse_start(_text(form, "start"))
    if start is None:
        return await _show_reschedule(request, token, view, {"start": CHOOSE_TIME}, 422)
    try:
        await request.app[booking_service_key].reschedule(ManageToken(token), start)
    except SlotTaken as taken:
        return await _show_reschedule(request, token, view, {}, 409, taken=taken)
    except ValidationFailed as failed:
        errors = {"start": failed.fields.get("start", TIME_NOT_FREE)}
        return await _show_reschedule(request, token, view, errors, 422)
    url = URL(_path(request, "manage_booking", token=token)).with_query(notice="moved")
    raise web.HTTPSeeOther(str(url))


@pages.get(f"{MANAGE}/cancel", name="manage_cancel")
async def manage_cancel(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if not view.is_upcoming:
        raise web.HTTPSeeOther(_path(request, "manage_booking", token=token))
    context = _booking_context(request, token, view)
    context.update({"reason": "", "errors": {}, "anchors": ANCHORS})
    return render(request, "booking/cancel.html", context)


@pages.post(f"{MANAGE}/cancel")
async def manage_cancel_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    form = await request.post()
    reason = _text(form, "reason")
    try:
        await request.app[booking_service_key].cancel(ManageToken(token), reason)
    except ValidationFailed as failed:
        context = _booking_context(request, token, view)
        context.update({"reason": reason, "errors": failed.fields, "anchors": ANCHORS})
        return render(request, "booking/cancel.html", context, status=422)
    raise web.HTTPSeeOther(_path(request, "manage_cancelled", token=token))


@pages.get(f"{MANAGE}/cancelled", name="manage_cancelled")
async def manage_cancelled(request: web.Request) -> web.Response:
    await limit_public(request)
    token, view = await _booking_of(request)
    if view.status != "cancelled":
        raise web.HTTPSeeOther(_path(request, "manage_booking", token=token))
    return render(request, "booking/cancelled.html", _booking_context(request, token, view))


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_confirmations)
    app.router.add_routes(pages)
