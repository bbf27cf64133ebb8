"""Dates and times on a page: shown in a zone and language, read back from what people type."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_day_names

from core.db import utcnow


@dataclasses.dataclass(frozen=True, slots=True)
class LocalTimes:
    """How a page shows moments and days: in the caseworker's zone, in the page language."""

    zone: ZoneInfo
    locale: Locale

    @classmethod
    def of(cls, zone_name: str, language: str) -> LocalTimes:
        return cls(ZoneInfo(zone_name), Locale.parse(language))

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def today(self) -> date:
        return utcnow().astimezone(self.zone).date()

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def at(self, day: date, clock: time) -> datetime:
        """A wall-clock time on a day in this zone, as UTC."""
        return datetime.combine(day, clock, self.zone).astimezone(UTC)

    def clock(self, value: time | datetime) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.zone)
        return format_time(value, "short", locale=self.locale)

    def span(self, start: time | datetime, end: time | datetime) -> str:
        return f"{self.clock(start)}–{self.clock(end)}"

    def short_date(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.day_of(value)
        return format_date(value, "medium", locale=self.locale)

    def moment(self, value: datetime) -> str:
        return f"{self.short_date(value)} {self.clock(value)}"

    def long_date(self, value: date, *, capitalised: bool = True) -> str:
        text = format_date(value, "full", locale=self.locale)
        return _capitalised(text) if capitalised else text

    def weekday(self, index: int) -> str:
        names = get_day_names("wide", context="stand-alone", locale=self.locale)
        return _capitalised(names[index])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::\d{2})?")


_NORDIC_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_clock(raw: str) -> time:
    """08:30 (as browsers send it), 8.30 or 8:30; ValueError otherwise."""
    match = _CLOCK.fullmatch(raw.strip())
    if match is None:
        raise ValueError(raw)
    return time(int(match[1]), int(match[2]))


def parse_day(raw: str) -> date:
    """2027-12-31 (as browsers send it) or 31.12.2027; ValueError otherwise."""
    raw = raw.strip()
    match = _NORDIC_DATE.fullmatch(raw)
    if match is not None:
        return date(int(match[3]), int(match[2]), int(match[1]))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(raw)
    return date.fromisoformat(raw)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
