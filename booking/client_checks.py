"""What a client types, checked by the booking rules: their name and contact details, and their
answers to the questions asked before the meeting. Each check raises ValidationFailed naming
every bad field, so that a page can show all the mistakes at once."""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from booking.types import ClientDetails
from calendars.meeting_types import MeetingTypeInfo
from core.errors import ValidationFailed
from core.i18n import N_

MAX_ANSWER_LENGTH = 2000


def normalise_phone(raw: str) -> str:
    """A phone number in E.164, read as Finnish when it has no country code."""
    try:
        number = phonenumbers.parse(raw, "FI")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            {"client.phone": N_("Enter a phone number, like 040 123 4567 or +46 70 123 45 67.")}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_client(client: ClientDetails, *, mode: str | None = None) -> ClientDetails:
    """The client's details normalised (email, phone in E.164), or ValidationFailed naming each
    bad ``client.*`` field. A phone meeting needs a phone number."""
    fields: dict[str, str] = {}
    name = " ".join(client.name.split())
    if not name:
        fields["client.name"] = N_("Enter your name.")
    elif len(name) > 200:
        fields["client.name"] = N_("The name must be at most 200 characters long.")
    email = (client.email or "").strip() or None
    phone = (client.phone or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            fields["client.email"] = N_(
                "Enter an email address in the correct format, like name@example.com."
            )
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except ValidationFailed as error:
            fields.update(error.fields)
    if email is None and phone is None:
        fields["client.contact"] = N_(
            "Give an email address or a phone number, so that we can reach you."
        )
    elif mode == "phone" and phone is None:
        fields["client.phone"] = N_("Give a phone number, so that the caseworker can call you.")
    if fields:
        raise ValidationFailed(fields)
    return ClientDetails(name=name, email=email, phone=phone)


def check_answers(meeting_type: MeetingTypeInfo, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers worth keeping (trimmed, non-empty), or ValidationFailed naming each bad
    ``answers.*`` field."""
    questions = {question.id: question for question in meeting_type.pre_meeting_questions}
    fields: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None or not meeting_type.asks_pre_meeting_form:
            fields[f"answers.{key}"] = N_("This question is not asked for this meeting.")
        elif len(value) > MAX_ANSWER_LENGTH:
            fields[f"answers.{key}"] = N_("The answer must be at most 2000 characters long.")
        elif question.kind == "yes_no" and value not in ("yes", "no", ""):
            fields[f"answers.{key}"] = N_("Answer yes or no.")
        elif value.strip():
            clean[key] = value.strip()
    if fields:
        raise ValidationFailed(fields)
    return clean
