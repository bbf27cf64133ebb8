"""Checks of what people type: identity numbers, dates, phone numbers, email.

Pure functions: each returns the clean value or raises ``InvalidValue`` whose message is an
untranslated msgid, shown next to the field in the reporter's language.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.i18n import N_

Country = Literal["fi", "se"]


class InvalidValue(ValueError):
    """The value is not acceptable; ``str(error)`` is a msgid."""


@dataclasses.dataclass(frozen=True, slots=True)
class IdentityNumber:
    country: Country
    # The canonical written form: 131052-308T, 19811218-9876.
    value: str
    birth_date: date
    # A Swedish samordningsnummer (day of birth + 60) or a Finnish temporary number (900–999).
    provisional: bool = False


# ---- Finland: henkilötunnus -------------------------------------------------------------------

# Since 2023 each century has several signs (Government Decree 128/2010 as amended).
_FINNISH_CENTURY = {
    "+": 1800,
    **dict.fromkeys("-YXWVU", 1900),
    **dict.fromkeys("ABCDEF", 2000),
}
_FINNISH_CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FINNISH_SHAPE = re.compile(r"(\d{6})([+\-YXWVUABCDEF])(\d{3})([0-9A-Y])")


def finnish_identity_number(raw: str, today: date | None = None) -> IdentityNumber:
    """A Finnish personal identity code (henkilötunnus), century sign and check character checked."""
    text = raw.strip().upper()
    match = _FINNISH_SHAPE.fullmatch(text)
    if match is None:
        raise InvalidValue(N_("Enter the personal identity code in the form DDMMYY-NNNC."))
    digits, sign, individual, check = match.groups()
    try:
        born = date(_FINNISH_CENTURY[sign] + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        raise InvalidValue(N_("The personal identity code does not contain a real date.")) from None
    if today is not None and born > today:
        raise InvalidValue(N_("The personal identity code does not contain a real date."))
    number = int(individual)
    if number < 2:
        raise InvalidValue(N_("The personal identity code is not valid."))
    if _FINNISH_CHECK_CHARACTERS[int(digits + individual) % 31] != check:
        raise InvalidValue(N_("The check character of the personal identity code is wrong."))
    return IdentityNumber("fi", text, born, provisional=number >= 900)


# ---- Sweden: personnummer and samordningsnummer -----------------------------------------------

_SWEDISH_SHAPE = re.compile(r"(\d{2})?(\d{6})([-+]?)(\d{4})")


def swedish_identity_number(raw: str, today: date) -> IdentityNumber:
    """A Swedish personnummer or samordningsnummer, with 10 or 12 digits, checked by Luhn.

    In the 10-digit form the separator tells the century: ``+`` once the person is 100.
    """
    text = re.sub(r"\s", "", raw)
    match = _SWEDISH_SHAPE.fullmatch(text)
    if match is None:
        raise InvalidValue(N_("Enter the personal identity number in the form YYYYMMDD-NNNN."))
    century, digits, separator, last = match.groups()
    if not _luhn_valid(digits + last):
        raise InvalidValue(N_("The check digit of the personal identity number is wrong."))
    day = int(digits[4:6])
    coordination = day > 60
    if coordination:
        day -= 60
    month, short_year = int(digits[2:4]), int(digits[0:2])
    try:
        if century is not None:
            born = date(int(century) * 100 + short_year, month, day)
        else:
            born = _infer_century(short_year, month, day, separator == "+", today)
    except ValueError:
        raise InvalidValue(
            N_("The personal identity number does not contain a real date.")
        ) from None
    if born > today:
        raise InvalidValue(N_("The personal identity number does not contain a real date."))
    value = f"{born.year:04d}{digits[2:6]}-{last}"
    return IdentityNumber("se", value, born, provisional=coordination)


def _infer_century(short_year: int, month: int, day: int, centenarian: bool, today: date) -> date:
    # The most recent year ending in short_year that is not in the future, or 100 years earlier
    # than that when the separator is "+" (the person has turned 100).
    year = today.year - (today.year - short_year) % 100
    born = date(year, month, day)
    if born > today:
        born = date(year - 100, month, day)
    if centenarian:
        born = date(born.year - 100, month, day)
    return born


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(digits):
        value = int(character) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def identity_number(raw: str, country: Country, today: date) -> IdentityNumber:
    if country == "fi":
        return finnish_identity_number(raw, today)
    return swedish_identity_number(raw, today)


def nordic_identity_number(raw: str, today: date) -> IdentityNumber:
    """A Finnish or a Swedish identity number, whichever the shape says it is (a client may
    come from either country)."""
    text = raw.strip().upper()
    if _FINNISH_SHAPE.fullmatch(text):
        return finnish_identity_number(text, today)
    if _SWEDISH_SHAPE.fullmatch(re.sub(r"\s", "", text)):
        return swedish_identity_number(text, today)
    raise InvalidValue(
        N_(
            "Enter the personal identity code in the form DDMMYY-NNNC, or the Swedish "
            "personal identity number in the form YYYYMMDD-NNNN."
        )
    )


# ---- dates, phone numbers, email --------------------------------------------------------------


def not_in_future(value: date, today: date) -> date:
    if value > today:
        raise InvalidValue(N_("The date cannot be in the future."))
    return value


def phone_number(raw: str, country: Country) -> str:
    """The number in E.164 (+358401234567); a national number is read as the country's own."""
    try:
        parsed = phonenumbers.parse(raw.strip(), country.upper())
    except phonenumbers.NumberParseException:
        raise InvalidValue(N_("Enter a phone number, like 040 123 4567.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue(N_("Enter a phone number, like 040 123 4567."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_address(raw: str) -> str:
    """An address of the right shape (no DNS look-up: the reporter may be offline-first)."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue(N_("Enter an email address, like name@example.com.")) from None
    return str(result.normalized)
