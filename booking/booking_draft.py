"""A booking being made in the client's pages: what they have chosen and typed so far, read
afresh from every request, the checks of each step's answers by the service's rules, and the
request the finished draft becomes. No web here: the pages hand in what the request carried."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from booking.client_checks import MAX_ANSWER_LENGTH, check_client
from booking.types import BookingRequest, ClientDetails
from calendars.meeting_types import MeetingTypeInfo
from core.errors import ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES

Params = Mapping[str, Any]
Errors = dict[str, str]

STEPS = ("who", "meeting_type", "time", "details", "questions", "check")

CHOICE_FIELDS = ("unit_id", "caseworker_id", "meeting_type_id", "week", "start")
DETAIL_FIELDS = ("name", "email", "phone", "language", "mode", "questions_done")
ANSWER_PREFIX = "answer-"
MAX_ANSWERS = 20
# Generous: the service says what is too long. This only keeps a tampered form from growing.
MAX_FIELD_LENGTH = 4000

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


def form_text(params: Params, name: str) -> str:
    """A field of the query or the form as text: absent or a file upload reads as empty."""
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
            setattr(draft, name, form_text(params, name))
        for key in params:
            if key.startswith(ANSWER_PREFIX) and len(draft.answers) < MAX_ANSWERS:
                draft.answers[key.removeprefix(ANSWER_PREFIX)] = form_text(params, key)
        return draft

    def is_personal(self) -> bool:
        """Whether anything typed is on board: from then on, only POST forms carry the draft."""
        return any(getattr(self, name) for name in DETAIL_FIELDS) or any(self.answers.values())

    def has_contact(self) -> bool:
        return bool(self.name or self.email or self.phone)

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


def asks_questions(meeting_type: MeetingTypeInfo) -> bool:
    return meeting_type.asks_pre_meeting_form and bool(meeting_type.pre_meeting_questions)


def errors_by_step(fields: Mapping[str, str]) -> tuple[str, Errors]:
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


def booking_request(
    draft: Draft, meeting_type: MeetingTypeInfo, start: datetime, identity_code: str | None
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
        identity_code=identity_code,
    )
