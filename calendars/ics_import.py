"""Busy times from a caseworker's own calendar file (iCalendar, RFC 5545).

Only when the caseworker is busy is kept: never a summary, description, attendee or place.
This module is pure (no I/O); parsing a large file is CPU work, so callers run it in the
app's executor.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurring_ical_events
from icalendar import Calendar, Component, Timezone, vDDDLists, vDDDTypes, vRecur
from icalendar.timezone import tzp

from core.errors import ValidationFailed
from core.i18n import N_

MAX_ICS_BYTES = 5 * 1024 * 1024
MAX_INSTANCES = 20_000
# Expanding a rule walks every repetition from its first start, including those before the
# window, so a rule like FREQ=SECONDLY from 1990 costs hours before yielding anything.
# Rules are priced before expansion; real calendars cost a few thousand steps.
MAX_RULE_STEPS = 1_000_000
# Building a zone from a VTIMEZONE expands its rules up to 2038. Real zones change twice a
# year, in one month each time; anything denser only costs time.
MAX_TIME_ZONE_RULES = 50

NOT_A_CALENDAR = N_("The file is not a calendar (.ics) file.")
TOO_LARGE = N_("The calendar file is too large.")
INCOMPLETE = N_("The calendar file is incomplete.")
EVENT_WITHOUT_START = N_("The calendar file has an event without a start time.")
UNREADABLE_EVENT = N_("The calendar file has an event whose time cannot be read.")
UNREADABLE_TIME_ZONE = N_("The calendar file has a time zone that cannot be read.")
REPEATS_TOO_OFTEN = N_("The calendar file has an event that repeats too often.")
TOO_MANY_EVENTS = N_("The calendar file has too many events in the chosen period.")

_TIME_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "SEQUENCE"}
)
_SINGLE_TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID")
_FREQUENCY_STEP = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=28),  # the shortest month, so the count is an upper bound
    "YEARLY": timedelta(days=365),
}
_FREQUENCY_ORDER = list(_FREQUENCY_STEP)
_DAYS_IN_PERIOD = {"WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")
_TIME_PARTS = (("BYHOUR", "HOURLY"), ("BYMINUTE", "MINUTELY"), ("BYSECOND", "SECONDLY"))
_DENSE_TIME_ZONE_PARTS = (b"BYHOUR", b"BYMINUTE", b"BYSECOND", b"BYYEARDAY", b"BYWEEKNO")
_FOLD = re.compile(rb"\r?\n[ \t]")
# The parser keeps the first definition it meets of each unknown zone name for the rest of the
# process: one caseworker's "Customized Time Zone" would be read with another's definition,
# and every new name stays in memory. Renamed, the VTIMEZONE reaches us unseen by that cache.
_HIDDEN_TZID_NAME = "X-KOHTAAMO-TZID"
_HIDDEN_TZID = _HIDDEN_TZID_NAME.encode()
_TZID_PROPERTY = re.compile(rb"^TZID(?=[:;])", re.MULTILINE | re.IGNORECASE)


@dataclasses.dataclass(frozen=True, slots=True)
class BusyTime:
    """A stretch of time the caseworker is busy; both ends are aware UTC datetimes."""

    start: datetime
    end: datetime


class IcsImportError(ValidationFailed):
    """The uploaded calendar file cannot be used; ``message`` is an untranslated msgid."""

    def __init__(self, message: str) -> None:
        super().__init__({"ics": message})
        self.message = message


def parse_busy_times(
    data: bytes, window_start: datetime, window_end: datetime, zone: ZoneInfo
) -> list[BusyTime]:
    """The merged, sorted busy times within [window_start, window_end).

    Floating times and all-day events are read in ``zone`` (the caseworker's), unless the
    calendar names its own zone in X-WR-TIMEZONE (Google exports), which then applies to
    floating and UTC times alike.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("the window must be given as aware datetimes")
    if window_end < window_start:
        raise ValueError("the window must not end before it starts")
    calendars = _read_calendars(data)
    busy: list[BusyTime] = []
    instances = 0
    for calendar in calendars:
        _check_events(calendar, window_end, zone)
        for event in _occurrences(calendar, window_start, window_end, zone):
            instances += 1
            if instances > MAX_INSTANCES:
                raise IcsImportError(TOO_MANY_EVENTS)
            interval = _busy_interval(event, zone)
            if interval is not None:
                start = max(interval.start, window_start.astimezone(UTC))
                end = min(interval.end, window_end.astimezone(UTC))
                if start < end:
                    busy.append(BusyTime(start, end))
    return _merged(busy)


def _read_calendars(data: bytes) -> list[Calendar]:
    if len(data) > MAX_ICS_BYTES:
        raise IcsImportError(TOO_LARGE)
    text = data.strip().removeprefix(b"\xef\xbb\xbf").lstrip().upper()
    if not text.startswith(b"BEGIN:VCALENDAR"):
        raise IcsImportError(NOT_A_CALENDAR)
    # The parser silently drops a component that never ends, so a cut-off download
    # would otherwise read as a calendar with fewer events.
    if not text.endswith(b"END:VCALENDAR"):
        raise IcsImportError(INCOMPLETE)
    _check_time_zone_rules(text)
    try:
        components = Calendar.from_ical(_TZID_PROPERTY.sub(_HIDDEN_TZID, data), multiple=True)
    except ValueError:
        raise IcsImportError(NOT_A_CALENDAR) from None
    except OSError:  # a TZID such as "Europe" names a folder of the zone database
        raise IcsImportError(UNREADABLE_TIME_ZONE) from None
    calendars = [component for component in components if component.name == "VCALENDAR"]
    if not calendars:
        raise IcsImportError(INCOMPLETE)
    for calendar in calendars:
        _read_in_own_time_zones(calendar)
        _drop_unknown_calendar_zone(calendar)
    return calendars


def _check_time_zone_rules(text: bytes) -> None:
    """Refuse VTIMEZONE rules that are not yearly: expanding them to 2038 only costs time."""
    inside = False
    rules = 0
    for line in _FOLD.sub(b"", text).splitlines():
        line = line.strip()
        if line in (b"BEGIN:VTIMEZONE", b"END:VTIMEZONE"):
            inside = line.startswith(b"BEGIN")
        elif inside and line.startswith((b"RRULE:", b"RRULE;")):
            rules += 1
            parts = dict(part.partition(b"=")[::2] for part in line.rpartition(b":")[2].split(b";"))
            if (
                rules > MAX_TIME_ZONE_RULES
                or parts.get(b"FREQ") != b"YEARLY"
                or b"," in parts.get(b"BYMONTH", b"")
                or any(part in parts for part in _DENSE_TIME_ZONE_PARTS)
            ):
                raise IcsImportError(UNREADABLE_TIME_ZONE)


def _read_in_own_time_zones(calendar: Calendar) -> None:
    """Give every time with a TZID the zone this file defines under that name.

    The parser was kept from seeing the VTIMEZONE names (see _HIDDEN_TZID), so a custom zone
    name reads as floating here until its own definition is attached. An IANA name is read
    with the zone database; a name neither defined nor known stays floating (our zone).
    """
    definitions: dict[str, Timezone] = {}
    for definition in calendar.walk("VTIMEZONE"):
        if isinstance(definition, Timezone) and _HIDDEN_TZID_NAME in definition:
            definition["TZID"] = definition.pop(_HIDDEN_TZID_NAME)
            definitions[str(definition["TZID"])] = definition
    zones: dict[str, tzinfo | None] = {}
    for event in calendar.walk("VEVENT"):
        for value in _time_values(event):
            tzid = str(value.params.get("TZID", ""))
            if not tzid:
                continue
            if tzid not in zones:
                zones[tzid] = _zone_named(tzid, definitions.get(tzid))
            value.dt = _in_zone(value.dt, zones[tzid])


def _time_values(
    event: Component,
    names: Iterable[str] = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE"),
) -> Iterator[vDDDTypes]:
    for name in names:
        values = event.get(name)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, vDDDLists):
                for item in value.dts:
                    if "TZID" in value.params:
                        item.params.setdefault("TZID", value.params["TZID"])
                    yield item
            elif isinstance(value, vDDDTypes):
                yield value


def _zone_named(tzid: str, definition: Timezone | None) -> tzinfo | None:
    known = _zone_info(tzid)
    if known is not None:
        return known
    if definition is not None:
        try:
            zone: tzinfo = definition.to_tz(tzp, lookup_tzid=False)
        except ValueError:
            raise IcsImportError(UNREADABLE_TIME_ZONE) from None
        return zone
    try:
        windows = tzp.timezone(tzid)  # Windows names such as "FLE Standard Time"
    except OSError:
        return None
    return windows if isinstance(windows, ZoneInfo) else None


def _zone_info(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
        return None


def _in_zone(moment: Any, zone: tzinfo | None) -> Any:
    """The same wall-clock time in ``zone``; RDATE periods are (start, end or duration)."""
    if isinstance(moment, tuple):
        return tuple(_in_zone(part, zone) for part in moment)
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=zone)
    return moment


def _check_events(calendar: Calendar, window_end: datetime, zone: ZoneInfo) -> None:
    """Reject events without a readable time, and rules too costly to expand."""
    steps = 0
    for event in calendar.walk("VEVENT"):
        if "DTSTART" not in event:
            raise IcsImportError(EVENT_WITHOUT_START)
        _check_event_times(event)
        first_start = _as_utc(_time_of(event, "DTSTART"), zone)
        if "DTEND" in event and _as_utc(_time_of(event, "DTEND"), zone) < first_start:
            raise IcsImportError(UNREADABLE_EVENT)
        for rule in _rules(event):
            steps += _rule_steps(rule, first_start, window_end, zone)
            if steps > MAX_RULE_STEPS:
                raise IcsImportError(REPEATS_TOO_OFTEN)


def _check_event_times(event: Component) -> None:
    """Each time property once and of its own kind, so expansion never meets a surprise."""
    if any(name in _TIME_PROPERTIES for name, _ in event.errors):
        raise IcsImportError(UNREADABLE_EVENT)
    if any(isinstance(event.get(name), list) for name in _SINGLE_TIME_PROPERTIES):
        raise IcsImportError(UNREADABLE_EVENT)
    if "DURATION" in event and not isinstance(_time_of(event, "DURATION"), timedelta):
        raise IcsImportError(UNREADABLE_EVENT)
    if "RECURRENCE-ID" in event and not isinstance(_time_of(event, "RECURRENCE-ID"), date):
        raise IcsImportError(UNREADABLE_EVENT)
    for name in ("RDATE", "EXDATE"):
        for value in _time_values(event, (name,)):
            moment = value.dt[0] if name == "RDATE" and isinstance(value.dt, tuple) else value.dt
            if not isinstance(moment, date):
                raise IcsImportError(UNREADABLE_EVENT)


def _drop_unknown_calendar_zone(calendar: Calendar) -> None:
    """Ignore an X-WR-TIMEZONE that names no known zone; floating times then use ours."""
    name = calendar.get("X-WR-TIMEZONE")
    if name is not None and _zone_info(str(name)) is None:
        del calendar["X-WR-TIMEZONE"]


def _rule_steps(rule: vRecur, first_start: datetime, window_end: datetime, zone: ZoneInfo) -> int:
    """An upper bound on the repetitions a rule produces from its first start to window_end."""
    frequency = str(_first(rule.get("FREQ"), "")).upper()
    if frequency not in _FREQUENCY_STEP:
        raise IcsImportError(UNREADABLE_EVENT)
    last = window_end
    until = _first(rule.get("UNTIL"), None)
    if isinstance(until, date) and _as_utc(until, zone) < last:
        last = min(last, _as_utc(until, zone) + timedelta(days=1))
    if last <= first_start:
        return 0
    interval = max(1, int(_first(rule.get("INTERVAL"), 1)))
    periods = (last - first_start) // (_FREQUENCY_STEP[frequency] * interval) + 1
    per_period = 1
    if any(rule.get(part) for part in _DAY_PARTS):
        per_period = _DAYS_IN_PERIOD.get(frequency, 1)
    rank = _FREQUENCY_ORDER.index(frequency)
    for part, part_frequency in _TIME_PARTS:
        if rank > _FREQUENCY_ORDER.index(part_frequency):
            per_period *= max(1, len(rule.get(part, ())))
    count = _first(rule.get("COUNT"), None)
    if isinstance(count, int) and per_period == 1:
        periods = min(periods, count)
    return int(periods * per_period)


def _time_of(component: Component, name: str) -> object:
    value = component.get(name)
    if isinstance(value, list):  # the property appears more than once
        raise IcsImportError(UNREADABLE_EVENT)
    return getattr(value, "dt", None)


def _rules(event: Component) -> list[vRecur]:
    value = event.get("RRULE")
    values = value if isinstance(value, list) else [value]
    return [rule for rule in values if isinstance(rule, vRecur)]


def _first(values: Any, default: Any) -> Any:
    return values[0] if values else default


def _occurrences(
    calendar: Calendar, window_start: datetime, window_end: datetime, zone: ZoneInfo
) -> Iterator[Component]:
    """Each instance of each event that overlaps the window, one at a time."""
    # Floating times and dates compare with the window in the window's own zone.
    local_start = window_start.astimezone(zone)
    local_end = window_end.astimezone(zone)
    try:
        query = recurring_ical_events.of(calendar)
        # Series by series rather than query.between(), which builds every instance first:
        # the instance limit must stop the expansion, not count it afterwards.
        for series in query.series:
            for occurrence in series.between(local_start, local_end):
                yield occurrence.as_component(False)
    except (ValueError, TypeError, OverflowError):
        # Bad rules and values the checks above let through: the rule library compares
        # mixed kinds of values (TypeError) and widens the window by an event's length,
        # which for an event ending in the year 9999 leaves the calendar (OverflowError).
        raise IcsImportError(UNREADABLE_EVENT) from None


def _busy_interval(event: Component, zone: ZoneInfo) -> BusyTime | None:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start = _as_utc(_time_of(event, "DTSTART"), zone)
    end = _as_utc(_time_of(event, "DTEND"), zone)
    return BusyTime(start, end) if start < end else None


def _as_utc(moment: object, zone: ZoneInfo) -> datetime:
    """A date is local midnight in ``zone``; a floating time is local time in ``zone``."""
    if not isinstance(moment, date):  # a bare time of day or a duration
        raise IcsImportError(UNREADABLE_EVENT)
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # the first or last day of the year range, moved across midnight
        raise IcsImportError(UNREADABLE_EVENT) from None


def _merged(busy: Iterable[BusyTime]) -> list[BusyTime]:
    """Overlapping and touching busy times joined into one, in order."""
    result: list[BusyTime] = []
    for interval in sorted(busy, key=lambda item: (item.start, item.end)):
        if result and interval.start <= result[-1].end:
            if interval.end > result[-1].end:
                result[-1] = BusyTime(result[-1].start, interval.end)
        else:
            result.append(interval)
    return result
