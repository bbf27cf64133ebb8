"""Free booking slots of caseworkers, computed from everything known up front; no I/O.

The rules, which the booking service and its tests rely on:

- Opening hours are wall-clock times in the caseworker's zone. A date override replaces that
  local day's weekly hours; an empty override closes the day.
- An opening runs in real time from the first moment that day the clock reads its start (or
  later) to the first moment it reads its end (or later). So a bound in the repeated autumn hour
  is its first occurrence, and a bound in the skipped spring hour is the moment the clocks jump.
- A slot ``[start, start + duration)`` lies inside one opening. Durations are real time, so a
  slot may span a clock change and still lasts exactly ``duration``.
- Slot starts are the instants whose wall-clock time is a whole number of steps after local
  midnight. A skipped wall time gives no slot; a repeated one gives both instants, once each.
- The buffered range ``[start - buffer_before, end + buffer_after)`` must not overlap a blocked
  interval. Intervals are half-open, so touching is fine and an empty one blocks nothing. Existing bookings are passed already
  buffered (see ``buffered``), as the database's exclusion constraint over buffered ranges holds
  them.
- ``now + minimum_notice <= start <= now + horizon``.
- Times in must be timezone-aware; slots come out in UTC, sorted by start, then caseworker.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import TypeAlias
from zoneinfo import ZoneInfo

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_MIDNIGHT = time(0)
_by_start = attrgetter("start")
_by_start_then_caseworker = attrgetter("start", "caseworker_id")

# The first moment a zone's clock reads a time on a day, kept for one search.
_Readings: TypeAlias = dict[tuple[ZoneInfo, date, time], datetime]


@dataclasses.dataclass(frozen=True, slots=True)
class Opening:
    """Weekly working hours: one stretch of wall-clock time on a weekday (Monday is 0)."""

    weekday: int
    starts_at: time
    ends_at: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        _check_hours(self.starts_at, self.ends_at)


@dataclasses.dataclass(frozen=True, slots=True)
class Interval:
    """A half-open stretch of real time ``[start, end)``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        start, end = self.start, self.end
        if start.tzinfo is not UTC or end.tzinfo is not UTC:
            # Python compares two times of one zone by their wall clocks, which across the
            # autumn change is not their order in real time.
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end < start:
            raise ValueError("an interval must not end before it starts")


@dataclasses.dataclass(frozen=True, slots=True)
class SlotRules:
    """What a meeting type asks of a slot."""

    duration: timedelta
    step: timedelta
    buffer_before: timedelta = _ZERO
    buffer_after: timedelta = _ZERO
    minimum_notice: timedelta = _ZERO
    horizon: timedelta = timedelta(days=60)

    def __post_init__(self) -> None:
        if self.duration <= _ZERO:
            raise ValueError("duration must be positive")
        if self.step <= _ZERO:
            raise ValueError("step must be positive")
        for name in ("buffer_before", "buffer_after", "minimum_notice", "horizon"):
            if getattr(self, name) < _ZERO:
                raise ValueError(f"{name} must not be negative")


@dataclasses.dataclass(frozen=True, slots=True)
class Availability:
    """One caseworker's hours and everything that blocks them, for the searched period."""

    caseworker_id: str
    zone: ZoneInfo
    weekly: Sequence[Opening]
    overrides: Mapping[date, Sequence[tuple[time, time]]]
    blocked: Sequence[Interval]

    def __post_init__(self) -> None:
        for hours in self.overrides.values():
            for starts_at, ends_at in hours:
                _check_hours(starts_at, ends_at)


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    caseworker_id: str


def buffered(start: datetime, end: datetime, rules: SlotRules) -> Interval:
    """The range a booking blocks: the meeting with its buffers, in UTC."""
    return Interval(
        start.astimezone(UTC) - rules.buffer_before, end.astimezone(UTC) + rules.buffer_after
    )


def free_slots(
    availability: Availability, rules: SlotRules, first_day: date, last_day: date, now: datetime
) -> list[Slot]:
    """Free slots on the caseworker's local days ``first_day`` to ``last_day`` inclusive."""
    return _free_slots(availability, rules, first_day, last_day, now, {})


def free_slots_for_unit(
    availabilities: Iterable[Availability],
    rules: SlotRules,
    first_day: date,
    last_day: date,
    now: datetime,
) -> list[Slot]:
    """Free slots of all the caseworkers, sorted by start, then caseworker."""
    # Caseworkers in one zone mostly keep the same hours: read each clock time once.
    readings: _Readings = {}
    slots = [
        slot
        for availability in sorted(availabilities, key=attrgetter("caseworker_id"))
        for slot in _free_slots(availability, rules, first_day, last_day, now, readings)
    ]
    # A stable sort of runs already in caseworker order; a key of one datetime is the fast one.
    slots.sort(key=_by_start)
    return slots


def free_times_for_unit(
    availabilities: Iterable[Availability],
    rules: SlotRules,
    first_day: date,
    last_day: date,
    now: datetime,
) -> list[Slot]:
    """Each free start of the unit once, with the first caseworker (by id) free then.

    The same as keeping, of ``free_slots_for_unit``, the first slot of every start, but a
    caseworker is only asked about the starts nobody before them had free: in a unit whose
    people keep the same hours, the first few free caseworkers answer for the rest, so the
    cost follows the unit's free times rather than its size.
    """
    _require_aware(now, "now")
    earliest, latest = _earliest_and_latest(rules, now)
    readings: _Readings = {}
    taken: dict[datetime, str] = {}
    # Per schedule (zone and hours): its starts nobody has had free yet, and how many starts
    # were taken when that list was last filtered.
    open_starts: dict[tuple[object, ...], tuple[list[datetime], int]] = {}
    for availability in sorted(availabilities, key=attrgetter("caseworker_id")):
        schedule = _schedule_of(availability, first_day, last_day)
        if schedule not in open_starts:
            starts = _candidate_starts(
                availability, rules, first_day, last_day, earliest, latest, readings
            )
            open_starts[schedule] = (starts, 0)
        pending, taken_then = open_starts[schedule]
        if taken_then != len(taken):  # others have given some of these starts meanwhile
            pending = [start for start in pending if start not in taken]
        if pending:
            free = _unblocked(pending, availability.blocked, rules)
            if free:
                for start in free:
                    taken[start] = availability.caseworker_id
                given = set(free)
                pending = [start for start in pending if start not in given]
        open_starts[schedule] = (pending, len(taken))
    duration = rules.duration
    return [Slot(start, start + duration, taken[start]) for start in sorted(taken)]


def _free_slots(
    availability: Availability,
    rules: SlotRules,
    first_day: date,
    last_day: date,
    now: datetime,
    readings: _Readings,
) -> list[Slot]:
    _require_aware(now, "now")
    earliest, latest = _earliest_and_latest(rules, now)
    starts = _candidate_starts(availability, rules, first_day, last_day, earliest, latest, readings)
    caseworker_id, duration = availability.caseworker_id, rules.duration
    return [
        Slot(start, start + duration, caseworker_id)
        for start in _unblocked(starts, availability.blocked, rules)
    ]


def _earliest_and_latest(rules: SlotRules, now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(UTC)
    return now + rules.minimum_notice, now + rules.horizon


def _schedule_of(availability: Availability, first_day: date, last_day: date) -> tuple[object, ...]:
    """What decides a caseworker's candidate starts: two with equal schedules have the same."""
    overrides = tuple(
        sorted(
            (day, tuple(sorted(hours)))
            for day, hours in availability.overrides.items()
            if first_day - _DAY <= day <= last_day + _DAY
        )
    )
    return (availability.zone, tuple(sorted(availability.weekly, key=_opening_order)), overrides)


def _opening_order(opening: Opening) -> tuple[int, time, time]:
    return opening.weekday, opening.starts_at, opening.ends_at


def _candidate_starts(
    availability: Availability,
    rules: SlotRules,
    first_day: date,
    last_day: date,
    earliest: datetime,
    latest: datetime,
    readings: _Readings,
) -> list[datetime]:
    """Every start the hours, step, notice and horizon allow on the days, sorted, each once."""
    zone = availability.zone
    # A day holds only instants whose wall-clock date it is; a day of margin covers zones
    # whose clocks go back across midnight.
    first_day = max(first_day, earliest.astimezone(zone).date() - _DAY)
    last_day = min(last_day, latest.astimezone(zone).date() + _DAY)
    weekly = _weekly_by_weekday(availability.weekly)
    starts: list[datetime] = []
    day = first_day
    while day <= last_day:
        for opening_start, opening_end in _real_openings(availability, weekly, day, readings):
            starts.extend(_starts(opening_start, opening_end, day, zone, rules, earliest, latest))
        day += _DAY
    if any(later <= earlier for earlier, later in pairwise(starts)):
        # Only overlapping overrides get here; a start they share counts once.
        starts = sorted(set(starts))
    return starts


def _unblocked(
    starts: Sequence[datetime], blocked: Iterable[Interval], rules: SlotRules
) -> list[datetime]:
    """The sorted starts whose buffered range overlaps nothing blocked."""
    if not starts:
        return []
    duration, before, after = rules.duration, rules.buffer_before, rules.buffer_after
    # Only blocked intervals reaching into some candidate's buffered range are sorted.
    block_starts, block_ends = _merged(blocked, starts[0] - before, starts[-1] + duration + after)
    blocks = len(block_ends)
    if not blocks:
        return list(starts)
    free = []
    # Candidates come in time order, so one pointer sweeps the sorted blocked list.
    index = bisect_right(block_ends, starts[0] - before)
    for start in starts:
        low = start - before
        while index < blocks and block_ends[index] <= low:
            index += 1
        if index == blocks or block_starts[index] >= start + duration + after:
            free.append(start)
    return free


def is_bookable(
    availability: Availability, rules: SlotRules, start: datetime, now: datetime
) -> bool:
    """Whether ``free_slots`` would offer a slot at ``start``: the check for a booking request."""
    _require_aware(start, "start")
    _require_aware(now, "now")
    start = start.astimezone(UTC)
    now = now.astimezone(UTC)
    if not now + rules.minimum_notice <= start <= now + rules.horizon:
        return False
    wall = start.astimezone(availability.zone).replace(tzinfo=None)
    day = wall.date()
    if (wall - datetime.combine(day, _MIDNIGHT)) % rules.step != _ZERO:
        return False
    end = start + rules.duration
    weekly = _weekly_by_weekday(availability.weekly)
    openings = _real_openings(availability, weekly, day, {})
    if not any(
        opening_start <= start and end <= opening_end for opening_start, opening_end in openings
    ):
        return False
    low, high = start - rules.buffer_before, end + rules.buffer_after
    # One range to test: a plain scan beats sorting.
    return not any(
        interval.start < interval.end and interval.start < high and low < interval.end
        for interval in availability.blocked
    )


def nearest_free(slots: Sequence[Slot], wanted: datetime, count: int = 3) -> list[Slot]:
    """The ``count`` slots starting nearest to ``wanted``, in time order.

    ``slots`` must be sorted by start, as the searches return them. Of two slots equally far
    away, the earlier one is nearer.
    """
    _require_aware(wanted, "wanted")
    if count < 0:
        raise ValueError("count must not be negative")
    after = bisect_left(slots, wanted, key=_by_start)
    before = after - 1
    chosen: list[Slot] = []
    while len(chosen) < count and (before >= 0 or after < len(slots)):
        if after == len(slots) or (
            before >= 0 and wanted - slots[before].start <= slots[after].start - wanted
        ):
            chosen.append(slots[before])
            before -= 1
        else:
            chosen.append(slots[after])
            after += 1
    chosen.sort(key=_by_start_then_caseworker)
    return chosen


def _starts(
    opening_start: datetime,
    opening_end: datetime,
    day: date,
    zone: ZoneInfo,
    rules: SlotRules,
    earliest: datetime,
    latest: datetime,
) -> Iterator[datetime]:
    """Slot starts inside one opening, aligned on the wall clock, in time order."""
    first = max(opening_start, earliest)
    last = min(opening_end - rules.duration, latest)
    if last < first:
        return
    midnight = datetime.combine(day, _MIDNIGHT)
    for piece_start, piece_end, offset in _pieces(first, last + _TICK, zone):
        # Within a piece the offset is fixed, so wall time is real time plus the offset.
        since_midnight = (piece_start + offset).replace(tzinfo=None) - midnight
        start = piece_start + (-since_midnight) % rules.step
        while start < piece_end:
            yield start
            start += rules.step


def _pieces(
    start: datetime, end: datetime, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """``[start, end)`` cut where the clocks change, each piece with its UTC offset."""
    while True:
        offset = _offset(start, zone)
        if _offset(end - _TICK, zone) == offset:
            yield start, end, offset
            return
        change = _clock_change(start, end - _TICK, zone)
        yield start, change, offset
        start = change


def _real_openings(
    availability: Availability,
    weekly: Sequence[Sequence[tuple[time, time]]],
    day: date,
    readings: _Readings,
) -> list[tuple[datetime, datetime]]:
    """The day's openings as real time, in UTC and in time order."""
    hours = availability.overrides.get(day)
    if hours is None:
        hours = weekly[day.weekday()]
    openings = []
    for starts_at, ends_at in sorted(hours):
        opening_start = _reading(readings, day, starts_at, availability.zone)
        opening_end = _reading(readings, day, ends_at, availability.zone)
        if opening_start < opening_end:  # not when both bounds fall in a skipped hour
            openings.append((opening_start, opening_end))
    return openings


def _reading(readings: _Readings, day: date, clock: time, zone: ZoneInfo) -> datetime:
    key = (zone, day, clock)
    instant = readings.get(key)
    if instant is None:
        instant = readings[key] = _first_reading(day, clock, zone)
    return instant


def _weekly_by_weekday(weekly: Iterable[Opening]) -> list[list[tuple[time, time]]]:
    by_weekday: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for opening in weekly:
        by_weekday[opening.weekday].append((opening.starts_at, opening.ends_at))
    return by_weekday


def _first_reading(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first moment on ``day`` the clock in ``zone`` reads ``clock`` or later, in UTC."""
    wall = datetime.combine(day, clock)
    # fold=0 reads the wall time with the offset from before a clock change, fold=1 with the one
    # after; they differ only for a time the change repeats or skips.
    old_offset = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    new_offset = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if old_offset <= new_offset:
        return old_offset  # an ordinary time, or the first of a repeated one
    # A skipped time: the old offset puts it after the jump, the new one before.
    return _clock_change(new_offset, old_offset, zone)


def _clock_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """When the UTC offset first differs from the one at ``before``, up to ``after``."""
    offset = _offset(before, zone)
    # Clocks change on whole seconds, so a bisection over seconds finds the exact moment.
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(datetime.fromtimestamp(middle, UTC), zone) == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    if offset is None:
        raise ValueError(f"{zone} gives no UTC offset")
    return offset


def _merged(
    blocked: Iterable[Interval], window_start: datetime, window_end: datetime
) -> tuple[list[datetime], list[datetime]]:
    """The blocked intervals reaching into the window, in UTC, sorted and merged.

    Both lists ascend, so one bisection or a pointer moving forward finds the only interval
    that can overlap a range.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    reaching = []
    for interval in blocked:
        start, end = interval.start, interval.end
        if start.tzinfo is not UTC or end.tzinfo is not UTC:
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        if start < end and start < window_end and window_start < end:
            reaching.append((start, end))
    reaching.sort()
    for start, end in reaching:
        if ends and start <= ends[-1]:
            # Touching intervals merge too: with half-open ranges that changes no answer.
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _check_hours(starts_at: time, ends_at: time) -> None:
    if starts_at.tzinfo is not None or ends_at.tzinfo is not None:
        raise ValueError("opening hours are wall-clock times without a time zone")
    if ends_at <= starts_at:
        raise ValueError(f"opening {starts_at}-{ends_at} must end after it starts")


def _require_aware(moment: datetime, name: str) -> None:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
