"""Dates and times as a client reads them: in the caseworker's zone, written the way the page's
language writes them, and a slot's start as it travels in links and forms."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone_name

from core.db import utcnow


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


def monday_of(day: date) -> date:
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


def parse_week(raw: str) -> date | None:
    try:
        return monday_of(date.fromisoformat(raw))
    except ValueError:
        return None
