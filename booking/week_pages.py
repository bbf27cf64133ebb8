"""What the booking flow and the manage pages share: the week of free times a client picks a
time from, the nearest free times offered instead of a taken one, times and ways of meeting in
the client's words, and the paths of named routes."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from availability.slots import Slot
from booking.client_times import ClientTimes, start_value
from booking.keys import booking_service_key
from calendars.meeting_types import MeetingTypeInfo
from core.i18n import N_
from core.request_keys import language_key
from core.templating import translate

MODE_NAMES = {
    "video": N_("Video meeting"),
    "phone": N_("Phone call"),
    "in_person": N_("Meeting in person"),
}

CHOOSE_TIME = N_("Choose a time.")
TIME_NOT_FREE = N_("That time is no longer free. Choose another time.")

# The element an error summary link jumps to, when it is not the field of the same name.
ANCHORS = {"contact": "email"}


def mode_name(request: web.Request, mode: str) -> str:
    return translate(request, MODE_NAMES[mode]) if mode in MODE_NAMES else mode


def client_times(request: web.Request, zone: ZoneInfo) -> ClientTimes:
    return ClientTimes.of(zone, request[language_key])


def day_and_time(request: web.Request, times: ClientTimes, start: datetime, end: datetime) -> str:
    return translate(
        request,
        N_("%(day)s at %(time)s"),
        day=times.day(times.day_of(start)),
        time=times.span(start, end),
    )


# ---- the week of free times -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TimeChoice:
    value: str
    id: str
    label: str  # the clock time, under its day's heading
    long_label: str = ""  # day and time, where the time stands alone


@dataclasses.dataclass(frozen=True, slots=True)
class DayChoices:
    title: str
    times: list[TimeChoice]
    past: bool = False  # before today: never shown on a phone


@dataclasses.dataclass(frozen=True, slots=True)
class NextFree:
    """The first later day with a free time, offered when the week shown has none."""

    day: date
    text: str  # "The next free time is on Tuesday 15 December"


@dataclasses.dataclass(frozen=True, slots=True)
class Week:
    """Seven days from ``first_day``: today, or a later day the client moved to."""

    first_day: date
    title: str
    zone_name: str
    days: list[DayChoices]
    previous: date | None
    next: date | None
    next_free: NextFree | None  # only when this week has no free time
    nothing_soon: bool  # no free time at all within the meeting type's horizon

    @property
    def has_times(self) -> bool:
        return any(day.times for day in self.days)


# Free times are looked for this many days at a time beyond the week shown (the slot search
# answers at most 62 days at once); the first stretch is short, since most gaps are.
_LOOK_AHEAD = (14, 62)


async def week_of_free_times(
    request: web.Request,
    meeting_type: MeetingTypeInfo,
    times: ClientTimes,
    *,
    caseworker_id: str | None,
    unit_id: str | None,
    requested: date | None,
    moving: str | None = None,
) -> Week:
    """The seven days from the day asked for (from today when none, never before today), and
    when they have no free time, the first later day that has one."""
    service = request.app[booking_service_key]
    today = times.today()
    last_day = today + timedelta(days=meeting_type.horizon_days)
    first_day = min(max(requested or today, today), last_day)

    async def free(first: date, last: date) -> list[Slot]:
        return await service.slots(
            meeting_type.id,
            caseworker_id=caseworker_id,
            unit_id=unit_id,
            first_day=first,
            last_day=last,
            ignore_booking=moving,
        )

    slots = await free(first_day, first_day + timedelta(days=6))
    next_free = None
    nothing_soon = False
    if not slots:
        found = await _first_free_day(times, free, first_day + timedelta(days=7), last_day)
        if found is not None:
            next_free = NextFree(
                day=found,
                text=translate(
                    request,
                    N_("The next free time is on %(day)s"),
                    day=times.weekday_and_date(found),
                ),
            )
        elif first_day == today:
            nothing_soon = True
    return Week(
        first_day=first_day,
        title=times.week(first_day),
        zone_name=times.zone_name(),
        days=_days(request, times, first_day, slots),
        previous=max(first_day - timedelta(days=7), today) if first_day > today else None,
        next=first_day + timedelta(days=7) if first_day + timedelta(days=7) <= last_day else None,
        next_free=next_free,
        nothing_soon=nothing_soon,
    )


async def _first_free_day(
    times: ClientTimes,
    free: Callable[[date, date], Awaitable[list[Slot]]],
    first: date,
    last_day: date,
) -> date | None:
    """The first day from ``first`` to ``last_day`` with a free time, through the public slot
    search, a stretch at a time."""
    stretch = 0
    while first <= last_day:
        last = min(first + timedelta(days=_LOOK_AHEAD[stretch] - 1), last_day)
        found = await free(first, last)
        if found:
            return min(times.day_of(slot.start) for slot in found)
        first = last + timedelta(days=1)
        stretch = min(stretch + 1, len(_LOOK_AHEAD) - 1)
    return None


def _days(
    request: web.Request, times: ClientTimes, first_day: date, slots: Sequence[Slot]
) -> list[DayChoices]:
    by_day: dict[date, dict[datetime, Slot]] = {}
    for slot in slots:
        # A unit offers a time once, however many of its people are free then.
        by_day.setdefault(times.day_of(slot.start), {}).setdefault(slot.start, slot)
    today = times.today()
    days = []
    first = True
    for offset in range(7):
        day = first_day + timedelta(days=offset)
        choices = []
        for _start, slot in sorted(by_day.get(day, {}).items()):
            choices.append(_time_choice(request, times, slot, first=first))
            first = False
        days.append(DayChoices(title=times.day(day), times=choices, past=day < today))
    return days


def _time_choice(
    request: web.Request, times: ClientTimes, slot: Slot, *, first: bool = False
) -> TimeChoice:
    # The first radio has the field's own id, so that the error summary can link to it.
    return TimeChoice(
        value=start_value(slot.start),
        id="start" if first else "start-" + slot.start.astimezone(UTC).strftime("%Y%m%d%H%M"),
        label=times.clock(slot.start),
    )


def alternative_times(
    request: web.Request, times: ClientTimes, alternatives: Sequence[Slot]
) -> list[TimeChoice]:
    """The free times the service offers instead of a taken one, each once, earliest first."""
    unique = {slot.start: slot for slot in reversed(alternatives)}
    return [
        dataclasses.replace(
            _time_choice(request, times, slot),
            long_label=day_and_time(request, times, slot.start, slot.end),
        )
        for slot in sorted(unique.values(), key=lambda slot: slot.start)
    ]


def path_to(
    request: web.Request, route: str, query: Mapping[str, str] | None = None, **parts: str
) -> str:
    return str(request.app.router[route].url_for(**parts).with_query(query))
