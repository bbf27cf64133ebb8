"""When an advice chat is open: weekly hours in the municipality's zone, closed on public
holidays (the concern reports' working-day calendar knows them)."""

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


@dataclasses.dataclass(frozen=True, slots=True)
class Hours:
    weekly: Mapping[int, tuple[time, time]]

    def as_json(self) -> str:
        return json.dumps(
            {
                str(day): [o.strftime("%H:%M"), c.strftime("%H:%M")]
                for day, (o, c) in self.weekly.items()
            }
        )

    def is_open(self, now: datetime, zone: ZoneInfo, holidays: Holidays) -> bool:
        local = now.astimezone(zone)
        hours = self.weekly.get(local.weekday())
        if hours is None or holidays.is_holiday(local.date()):
            return False
        return hours[0] <= local.time() < hours[1]

    def next_opening(self, now: datetime, zone: ZoneInfo, holidays: Holidays) -> datetime | None:
        """When it opens next (within two weeks), as an aware local time."""
        local = now.astimezone(zone)
        for ahead in range(15):
            day = local.date() + timedelta(days=ahead)
            hours = self.weekly.get(day.weekday())
            if hours is None or holidays.is_holiday(day):
                continue
            opens = datetime.combine(day, hours[0], tzinfo=zone)
            if opens > local:
                return opens
        return None


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


def hours_of(text: str) -> Hours:
    return parse_hours(json.loads(text or "{}"))
