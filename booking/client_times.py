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

    def week(self, first_day: date) -> str:
        return format_interval(
            first_day, first_day + timedelta(days=6), "yMMMMd", locale=self.locale
        )

    def weekday_and_date(self, value: date) -> str:
        """'Tuesday 15 December', 'tisdag 15 december', 'tiistai 15. joulukuuta'."""
        pattern = _WEEKDAY_AND_DATE.get(self.locale.language, "EEEE d MMMM")
        return format_date(value, pattern, locale=self.locale)

    def zone_name(self) -> str:
        return get_timezone_name(self.zone, locale=self.locale)


# Babel's English is American ("Tuesday, December 15"); the service writes British English.
_WEEKDAY_AND_DATE = {"fi": "EEEE d. MMMM", "sv": "EEEE d MMMM", "en": "EEEE d MMMM"}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def week_containing(today: date, day: date) -> date:
    """The first day of the week (counted in sevens from today) that holds ``day``."""
    return today + timedelta(days=7 * max(0, (day - today).days // 7))


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
    """The first day of the week asked for: a week starts on any day (today, or a free time's)."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
