"""Reading the calendar pages' forms: typed text, start–end pairs checked by the calendar
service's own rule, errors in the order of the fields, and the time zones offered."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from typing import Any

from babel import Locale
from multidict import MultiDictProxy

from calendars.working_time import OpeningInterval, check_intervals
from core.errors import ValidationFailed
from core.i18n import N_
from core.local_times import parse_clock

Form = MultiDictProxy[Any]
Errors = dict[str, str]

WEEK = range(7)
# The zones offered (with the caseworker's own, if it is another): where the service is used.
ZONE_TERRITORIES = {
    "Europe/Helsinki": "FI",
    "Europe/Mariehamn": "AX",
    "Europe/Stockholm": "SE",
    "Europe/Oslo": "NO",
    "Europe/Copenhagen": "DK",
    "Atlantic/Reykjavik": "IS",
    "Europe/Tallinn": "EE",
}

ENTER_BOTH_TIMES = N_("Enter both a start and an end time.")
ENTER_A_TIME = N_("Enter a time like 08:30.")


def zone_choices(current: str, locale: Locale) -> list[tuple[str, str]]:
    choices = sorted(
        (
            (zone, f"{locale.territories.get(territory, territory)} ({zone})")
            for zone, territory in ZONE_TERRITORIES.items()
        ),
        key=lambda choice: choice[1],
    )
    if current not in ZONE_TERRITORIES:
        choices.append((current, current))
    return choices


def field_text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def in_order(errors: Mapping[str, str], order: Iterable[str]) -> Errors:
    """The errors in the order of the fields on the page, so the summary reads top to bottom."""
    ordered = {name: errors[name] for name in order if name in errors}
    ordered.update(errors)
    return ordered


def first_message(error: ValidationFailed) -> str:
    return next(iter(error.fields.values()), error.detail)


@dataclasses.dataclass(frozen=True, slots=True)
class TypedInterval:
    """An opening interval read from the form, with the fields it was typed into."""

    interval: OpeningInterval
    start_field: str
    end_field: str


def read_intervals(
    form: Form, fields: Sequence[tuple[str, str]], weekday: int, errors: Errors
) -> list[TypedInterval]:
    """The start–end pairs typed into these fields; a pair left empty is skipped."""
    found: list[TypedInterval] = []
    for start_field, end_field in fields:
        start_raw, end_raw = field_text(form, start_field), field_text(form, end_field)
        if not start_raw and not end_raw:
            continue
        start = _read_clock(start_raw, start_field, errors)
        end = _read_clock(end_raw, end_field, errors)
        if start is not None and end is not None:
            found.append(
                TypedInterval(OpeningInterval(weekday, start, end), start_field, end_field)
            )
    return found


def _read_clock(raw: str, field: str, errors: Errors) -> time | None:
    if not raw:
        errors[field] = ENTER_BOTH_TIMES
        return None
    try:
        return parse_clock(raw)
    except ValueError:
        errors[field] = ENTER_A_TIME
        return None


def locate_interval_errors(typed: Sequence[TypedInterval], errors: Errors) -> None:
    """Put the calendar service's own rule (check_intervals) on the field that breaks it.

    One day's intervals at a time: each alone (reversed or empty), then each with the one
    before it (overlapping).
    """
    for item in typed:
        try:
            check_intervals([item.interval])
        except ValidationFailed as error:
            errors.setdefault(item.end_field, first_message(error))
    ordered = sorted(typed, key=lambda item: item.interval.starts_at)
    for previous, current in itertools.pairwise(ordered):
        if any(
            field in errors
            for field in (previous.start_field, previous.end_field, current.start_field)
        ):
            continue
        try:
            check_intervals([previous.interval, current.interval])
        except ValidationFailed as error:
            errors[current.start_field] = first_message(error)
