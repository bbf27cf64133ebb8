"""The slot engine's fast paths against the plain ways of getting the same answer, on random
calendars around both clock changes of 2027 (hypothesis).

- A unit's free times, each once (``free_times_for_unit``), are the first slot of every start
  among all its caseworkers' free slots (``free_slots_for_unit``).
- The sorted, merged sweep over what blocks (``free_slots``) keeps exactly the slots that a
  plain scan of every blocked interval (``is_bookable``) keeps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from availability.slots import (
    Availability,
    Interval,
    Opening,
    Slot,
    SlotRules,
    free_slots,
    free_slots_for_unit,
    free_times_for_unit,
    is_bookable,
)

ZONES = [ZoneInfo("Europe/Helsinki"), ZoneInfo("Europe/Stockholm"), ZoneInfo("UTC")]
# Weeks holding the spring and the autumn clock change of 2027 (28 March, 31 October).
FIRST_DAYS = [date(2027, 3, 25), date(2027, 10, 28), date(2027, 6, 7)]
SEARCHED_DAYS = 6
QUARTER = timedelta(minutes=15)


def quarter_past_midnight(quarter: int) -> time:
    return time(quarter // 4, 15 * (quarter % 4))


@st.composite
def hours(draw: st.DrawFn) -> tuple[time, time]:
    """One stretch of wall-clock time, at least a quarter of an hour long."""
    starts_at = draw(st.integers(min_value=0, max_value=94))
    ends_at = draw(st.integers(min_value=starts_at + 1, max_value=95))
    return quarter_past_midnight(starts_at), quarter_past_midnight(ends_at)


@st.composite
def weekly_hours(draw: st.DrawFn) -> tuple[Opening, ...]:
    openings = []
    for weekday in draw(st.sets(st.integers(0, 6), max_size=7)):
        starts_at, ends_at = draw(hours())
        openings.append(Opening(weekday, starts_at, ends_at))
        if draw(st.booleans()) and ends_at < time(22, 30):
            # A second stretch after a break, as a lunch break makes.
            later = time(ends_at.hour + 1, ends_at.minute)
            openings.append(Opening(weekday, later, time(23, 45)))
    return tuple(openings)


@st.composite
def rules(draw: st.DrawFn) -> SlotRules:
    minutes = st.sampled_from([0, 5, 10, 15, 30])
    return SlotRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        step=timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        buffer_before=timedelta(minutes=draw(minutes)),
        buffer_after=timedelta(minutes=draw(minutes)),
        minimum_notice=timedelta(hours=draw(st.sampled_from([0, 24, 60]))),
        horizon=timedelta(days=draw(st.sampled_from([3, 5, 60]))),
    )


@st.composite
def blocked_intervals(draw: st.DrawFn, first_day: date) -> list[Interval]:
    """Busy times and buffered bookings anywhere in the searched days, overlapping or not,
    some of them empty, in any order and given in UTC or another zone."""
    origin = datetime.combine(first_day - timedelta(days=1), time(0), UTC)
    quarters = (SEARCHED_DAYS + 2) * 96
    intervals = []
    for _ in range(draw(st.integers(0, 25))):
        start = origin + draw(st.integers(0, quarters)) * QUARTER
        start += timedelta(minutes=draw(st.sampled_from([0, 0, 5, 7])))
        length = draw(st.integers(0, 16)) * QUARTER
        zone = draw(st.sampled_from(ZONES))
        intervals.append(Interval(start.astimezone(zone), (start + length).astimezone(zone)))
    return intervals


@st.composite
def calendars(draw: st.DrawFn) -> tuple[list[Availability], SlotRules, date, datetime]:
    """A unit of caseworkers, most of them sharing a few schedules, and a search."""
    first_day = draw(st.sampled_from(FIRST_DAYS))
    schedules = [
        (draw(st.sampled_from(ZONES)), draw(weekly_hours()), draw(overrides(first_day)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    unit = []
    for number in range(draw(st.integers(1, 6))):
        zone, weekly, day_hours = draw(st.sampled_from(schedules))
        unit.append(
            Availability(
                f"cw-{draw(st.integers(0, 99)):02}-{number}",
                zone,
                weekly,
                day_hours,
                draw(blocked_intervals(first_day)),
            )
        )
    now = datetime.combine(first_day, time(0), UTC) + draw(st.integers(-96, 192)) * QUARTER
    return unit, draw(rules()), first_day, now


@st.composite
def overrides(draw: st.DrawFn, first_day: date) -> dict[date, tuple[tuple[time, time], ...]]:
    """Some days closed, some with other hours, a few with two overlapping stretches."""
    changed = {}
    for offset in draw(st.sets(st.integers(-1, SEARCHED_DAYS), max_size=3)):
        stretches = draw(st.lists(hours(), max_size=2))
        changed[first_day + timedelta(days=offset)] = tuple(sorted(stretches))
    return changed


def first_of_every_start(slots: list[Slot]) -> list[Slot]:
    kept: dict[datetime, Slot] = {}
    for slot in slots:
        kept.setdefault(slot.start, slot)
    return list(kept.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars())
def test_a_units_free_times_are_the_first_slot_of_every_start(
    search: tuple[list[Availability], SlotRules, date, datetime],
) -> None:
    unit, slot_rules, first_day, now = search
    last_day = first_day + timedelta(days=SEARCHED_DAYS)
    every_slot = free_slots_for_unit(unit, slot_rules, first_day, last_day, now)
    assert free_times_for_unit(unit, slot_rules, first_day, last_day, now) == (
        first_of_every_start(every_slot)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars())
def test_the_merged_sweep_keeps_what_a_plain_scan_of_every_blocked_interval_keeps(
    search: tuple[list[Availability], SlotRules, date, datetime],
) -> None:
    unit, slot_rules, first_day, now = search
    last_day = first_day + timedelta(days=SEARCHED_DAYS)
    for availability in unit:
        unblocked = Availability(
            availability.caseworker_id,
            availability.zone,
            availability.weekly,
            availability.overrides,
            [],
        )
        expected = [
            slot
            for slot in free_slots(unblocked, slot_rules, first_day, last_day, now)
            if is_bookable(availability, slot_rules, slot.start, now)
        ]
        assert free_slots(availability, slot_rules, first_day, last_day, now) == expected
