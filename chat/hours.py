"""When an advice chat is open: weekly hours in the municipality's zone, closed on public
holidays (the concern reports' working-day calendar knows them), and exceptions for single
days, which win over both: a day closed (a training day) or open otherwise (Christmas Eve
morning, or a holiday on which the chat is open after all)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from core.errors import ValidationFailed
from core.i18n import N_

DAYS = range(7)  # Monday is 0


class Holidays(Protocol):
    def is_holiday(self, day: date) -> bool: ...


Opening = tuple[time, time]
MAX_EXCEPTIONS = 60


@dataclasses.dataclass(frozen=True, slots=True)
class Hours:
    weekly: Mapping[int, Opening]
    # A day's own hours, or None: closed that day.
    exceptions: Mapping[date, Opening | None] = dataclasses.field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps({str(day): _times(hours) for day, hours in self.weekly.items()})

    def exceptions_json(self) -> str:
        return json.dumps(
            {
                day.isoformat(): None if hours is None else _times(hours)
                for day, hours in sorted(self.exceptions.items())
            }
        )

    def on(self, day: date, holidays: Holidays) -> Opening | None:
        """The day's hours: its exception if it has one, else closed on a public holiday, else
        its weekday's."""
        if day in self.exceptions:
            return self.exceptions[day]
        if holidays.is_holiday(day):
            return None
        return self.weekly.get(day.weekday())

    def is_open(self, now: datetime, zone: ZoneInfo, holidays: Holidays) -> bool:
        local = now.astimezone(zone)
        hours = self.on(local.date(), holidays)
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, now: datetime, zone: ZoneInfo, holidays: Holidays) -> datetime | None:
        """When it opens next (within two weeks), as an aware local time."""
        local = now.astimezone(zone)
        for ahead in range(15):
            day = local.date() + timedelta(days=ahead)
            hours = self.on(day, holidays)
            if hours is None:
                continue
            opens = datetime.combine(day, hours[0], tzinfo=zone)
            if opens > local:
                return opens
        return None

    def exceptions_from(self, first: date, days: int) -> list[tuple[date, Opening | None]]:
        """The exceptions of ``days`` days from ``first``, in order (the public page lists
        them)."""
        last = first + timedelta(days=days)
        return sorted((d, h) for d, h in self.exceptions.items() if first <= d < last)


def _times(hours: Opening) -> list[str]:
    return [hours[0].strftime("%H:%M"), hours[1].strftime("%H:%M")]


def parse_hours(raw: Mapping[str, object]) -> Hours:
    """``{"0": ["09:00", "15:00"], …}`` checked, or a ValidationFailed naming ``hours.<day>``."""
    weekly: dict[int, tuple[time, time]] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        if not (key.isdigit() and int(key) in DAYS):
            errors[f"hours.{key}"] = N_("Days are numbered 0 (Monday) to 6 (Sunday).")
            continue
        try:
            if not isinstance(value, list | tuple):
                raise TypeError
            opens, closes = (time.fromisoformat(str(part)) for part in value)
        except (TypeError, ValueError):
            errors[f"hours.{key}"] = N_("Give the hours as two times, like 09:00 and 15:00.")
            continue
        if opens >= closes:
            errors[f"hours.{key}"] = N_("The chat must close after it opens.")
            continue
        weekly[int(key)] = (opens, closes)
    if errors:
        raise ValidationFailed(errors)
    return Hours(weekly)


def parse_exceptions(raw: object) -> dict[date, Opening | None]:
    """``[{"date": "2026-12-24", "hours": ["09:00", "12:00"]}, {"date": …, "hours": null}]``
    checked, or a ValidationFailed naming ``exceptions.<n>``."""
    if not isinstance(raw, list | tuple):
        raise ValidationFailed({"exceptions": N_("Give the exceptions as a list of days.")})
    if len(raw) > MAX_EXCEPTIONS:
        raise ValidationFailed({"exceptions": N_("At most 60 exceptions.")})
    found: dict[date, Opening | None] = {}
    errors: dict[str, str] = {}
    for index, entry in enumerate(raw):
        field = f"exceptions.{index}"
        try:
            day = date.fromisoformat(str(entry["date"]))
        except (TypeError, KeyError, ValueError):
            errors[field] = N_("Give the day as a date, like 2026-12-24.")
            continue
        if day in found:
            errors[field] = N_("This day has an exception already.")
            continue
        hours = entry.get("hours")
        if hours is None:
            found[day] = None
            continue
        try:
            if not isinstance(hours, list | tuple):
                raise TypeError
            opens, closes = (time.fromisoformat(str(part)) for part in hours)
        except (TypeError, ValueError):
            errors[field] = N_("Give the hours as two times, like 09:00 and 15:00.")
            continue
        if opens >= closes:
            errors[field] = N_("The chat must close after it opens.")
            continue
        found[day] = (opens, closes)
    if errors:
        raise ValidationFailed(errors)
    return found


def hours_of(text: str, exceptions: str = "{}") -> Hours:
    weekly = parse_hours(json.loads(text or "{}")).weekly
    stored = json.loads(exceptions or "{}")
    return Hours(
        weekly,
        parse_exceptions([{"date": day, "hours": hours} for day, hours in stored.items()]),
    )
