"""The slot engine: opening hours, buffers, notice, horizon and clock changes, in exact instants.

Expected times are worked out by hand. Helsinki is UTC+2 in winter and UTC+3 in summer;
Stockholm is UTC+1 and UTC+2. In 2027 the clocks go forward on 28 March and back on 31 October,
both at 01:00 UTC.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from availability.slots import (
    Availability,
    Interval,
    Opening,
    Slot,
    SlotRules,
    buffered,
    free_slots,
    free_slots_for_unit,
    is_bookable,
    nearest_free,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

# Mon-Fri 08:30-11:30 and 12:15-15:45, the lunch break in between.
OFFICE_HOURS = [
    Opening(weekday, starts_at, ends_at)
    for weekday in range(5)
    for starts_at, ends_at in ((time(8, 30), time(11, 30)), (time(12, 15), time(15, 45)))
]
SUNDAY_SMALL_HOURS = [Opening(6, time(0, 0), time(6, 0))]

MONDAY = date(2027, 1, 4)
TUESDAY = date(2027, 1, 5)
BEFORE_THAT_WEEK = datetime(2027, 1, 1, tzinfo=UTC)
HOURLY = SlotRules(duration=HOUR, step=HOUR)


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def caseworker(
    zone: ZoneInfo = HELSINKI,
    *,
    weekly: Sequence[Opening] = OFFICE_HOURS,
    overrides: Mapping[date, Sequence[tuple[time, time]]] | None = None,
    blocked: Sequence[Interval] = (),
    caseworker_id: str = "anna",
) -> Availability:
    return Availability(caseworker_id, zone, weekly, overrides or {}, blocked)


def starts(slots: Sequence[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


def test_slots_fit_inside_working_hours_around_the_lunch_break() -> None:
    slots = free_slots(
        caseworker(), SlotRules(duration=HOUR, step=30 * MINUTE), MONDAY, MONDAY, BEFORE_THAT_WEEK
    )

    # Morning 08:30-10:30 local; afternoon from 12:30, the first half hour after 12:15.
    assert [(slot.start, slot.end) for slot in slots] == [
        (utc(1, 4, 6, 30), utc(1, 4, 7, 30)),
        (utc(1, 4, 7, 0), utc(1, 4, 8, 0)),
        (utc(1, 4, 7, 30), utc(1, 4, 8, 30)),
        (utc(1, 4, 8, 0), utc(1, 4, 9, 0)),
        (utc(1, 4, 8, 30), utc(1, 4, 9, 30)),
        (utc(1, 4, 10, 30), utc(1, 4, 11, 30)),
        (utc(1, 4, 11, 0), utc(1, 4, 12, 0)),
        (utc(1, 4, 11, 30), utc(1, 4, 12, 30)),
        (utc(1, 4, 12, 0), utc(1, 4, 13, 0)),
        (utc(1, 4, 12, 30), utc(1, 4, 13, 30)),
    ]
    assert {slot.caseworker_id for slot in slots} == {"anna"}
    assert all(slot.start.tzinfo is UTC for slot in slots)


@pytest.mark.parametrize(
    ("step", "duration", "expected"),
    [
        (15, 15, [utc(1, 4, 6, 15), utc(1, 4, 6, 30), utc(1, 4, 6, 45)]),
        (20, 20, [utc(1, 4, 6, 20), utc(1, 4, 6, 40)]),
        # 08:15 is 11 steps of 45 minutes after midnight, 09:00 twelve.
        (45, 30, [utc(1, 4, 6, 15), utc(1, 4, 7, 0)]),
    ],
)
def test_slot_starts_are_steps_counted_from_local_midnight(
    step: int, duration: int, expected: list[datetime]
) -> None:
    end = time(10, 0) if step == 45 else time(9, 0)
    availability = caseworker(overrides={MONDAY: [(time(8, 10), end)]})
    rules = SlotRules(duration=duration * MINUTE, step=step * MINUTE)

    assert starts(free_slots(availability, rules, MONDAY, MONDAY, BEFORE_THAT_WEEK)) == expected


def test_a_slot_must_lie_inside_one_opening_even_when_two_touch() -> None:
    availability = caseworker(
        overrides={MONDAY: [(time(8, 0), time(10, 0)), (time(10, 0), time(12, 0))]}
    )
    rules = SlotRules(duration=HOUR, step=30 * MINUTE)

    assert starts(free_slots(availability, rules, MONDAY, MONDAY, BEFORE_THAT_WEEK)) == [
        utc(1, 4, 6, 0),
        utc(1, 4, 6, 30),
        utc(1, 4, 7, 0),
        # not 09:30-10:30 local, which would straddle the two openings
        utc(1, 4, 8, 0),
        utc(1, 4, 8, 30),
        utc(1, 4, 9, 0),
    ]


def test_buffers_may_touch_an_existing_bookings_buffers_but_not_overlap_them() -> None:
    rules = SlotRules(
        duration=30 * MINUTE, step=15 * MINUTE, buffer_before=15 * MINUTE, buffer_after=15 * MINUTE
    )
    # The existing booking is 09:30-10:00 local; with its buffers it blocks 07:15-08:15 UTC.
    booking = buffered(utc(1, 4, 7, 30), utc(1, 4, 8, 0), rules)
    assert booking == Interval(utc(1, 4, 7, 15), utc(1, 4, 8, 15))
    availability = caseworker(overrides={MONDAY: [(time(8, 30), time(11, 30))]}, blocked=[booking])

    slots = free_slots(availability, rules, MONDAY, MONDAY, BEFORE_THAT_WEEK)

    assert starts(slots) == [
        utc(1, 4, 6, 30),  # its buffered range 06:15-07:15 ends where the booking's begins
        utc(1, 4, 8, 30),  # its buffered range 08:15-09:15 begins where the booking's ends
        utc(1, 4, 8, 45),
        utc(1, 4, 9, 0),
    ]


def test_buffered_range_is_in_utc_whatever_zone_the_booking_came_in() -> None:
    rules = SlotRules(duration=HOUR, step=HOUR, buffer_before=10 * MINUTE, buffer_after=5 * MINUTE)

    interval = buffered(
        datetime(2027, 1, 4, 9, 0, tzinfo=HELSINKI),
        datetime(2027, 1, 4, 10, 0, tzinfo=HELSINKI),
        rules,
    )

    assert interval == Interval(utc(1, 4, 6, 50), utc(1, 4, 8, 5))
    assert interval.start.tzinfo is UTC


def test_absences_and_imported_busy_times_block_slots() -> None:
    absence = Interval(
        datetime(2027, 1, 5, 0, 0, tzinfo=HELSINKI), datetime(2027, 1, 6, 0, 0, tzinfo=HELSINKI)
    )
    busy_from_own_calendar = Interval(utc(1, 4, 11, 0), utc(1, 4, 12, 0))  # 13-14 local
    availability = caseworker(blocked=[busy_from_own_calendar, absence])

    slots = free_slots(availability, HOURLY, MONDAY, TUESDAY, BEFORE_THAT_WEEK)

    # Monday 09, 10 and 14 local (13 is busy, 14 touches its end); Tuesday nothing.
    assert starts(slots) == [utc(1, 4, 7, 0), utc(1, 4, 8, 0), utc(1, 4, 12, 0)]


def test_an_empty_busy_time_blocks_nothing() -> None:
    reminder = Interval(utc(1, 4, 7, 30), utc(1, 4, 7, 30))  # 09:30 local, no length
    availability = caseworker(overrides={MONDAY: [(time(9, 0), time(11, 0))]}, blocked=[reminder])

    slots = free_slots(availability, HOURLY, MONDAY, MONDAY, BEFORE_THAT_WEEK)

    assert starts(slots) == [utc(1, 4, 7, 0), utc(1, 4, 8, 0)]
    assert is_bookable(availability, HOURLY, utc(1, 4, 7, 0), BEFORE_THAT_WEEK)


def test_date_overrides_close_a_day_replace_its_hours_or_open_an_extra_day() -> None:
    availability = caseworker(
        overrides={
            date(2027, 1, 4): [],
            date(2027, 1, 5): [(time(14, 0), time(15, 0))],
            date(2027, 1, 9): [(time(10, 0), time(12, 0))],  # a Saturday
        }
    )

    slots = free_slots(availability, HOURLY, date(2027, 1, 4), date(2027, 1, 10), BEFORE_THAT_WEEK)

    office_day = [(7, 0), (8, 0), (11, 0), (12, 0)]  # 09, 10, 13 and 14 local
    assert starts(slots) == [
        utc(1, 5, 12, 0),
        *(utc(1, day, hour, minute) for day in (6, 7, 8) for hour, minute in office_day),
        utc(1, 9, 8, 0),
        utc(1, 9, 9, 0),
    ]


def test_overlapping_override_openings_offer_a_shared_slot_once() -> None:
    availability = caseworker(
        overrides={MONDAY: [(time(9, 0), time(11, 0)), (time(8, 0), time(10, 0))]}
    )

    slots = free_slots(availability, HOURLY, MONDAY, MONDAY, BEFORE_THAT_WEEK)

    # 08 and 09 local from the first opening, 09 and 10 from the second.
    assert starts(slots) == [utc(1, 4, 6, 0), utc(1, 4, 7, 0), utc(1, 4, 8, 0)]


def test_minimum_notice_counts_from_now_and_allows_a_start_exactly_at_it() -> None:
    rules = SlotRules(duration=15 * MINUTE, step=15 * MINUTE, minimum_notice=2 * HOUR)
    availability = caseworker()

    slots = free_slots(availability, rules, MONDAY, MONDAY, utc(1, 4, 7, 15))  # 09:15 local

    assert starts(slots)[:3] == [utc(1, 4, 9, 15), utc(1, 4, 10, 15), utc(1, 4, 10, 30)]
    assert len(slots) == 1 + 14  # 11:15 local, then 12:15-15:30 local
    assert is_bookable(availability, rules, utc(1, 4, 9, 15), utc(1, 4, 7, 15))
    assert not is_bookable(availability, rules, utc(1, 4, 9, 0), utc(1, 4, 7, 15))
    assert not is_bookable(availability, rules, utc(1, 4, 9, 15), utc(1, 4, 7, 16))


def test_horizon_ends_the_search_and_a_start_exactly_at_it_counts() -> None:
    rules = SlotRules(duration=HOUR, step=HOUR, horizon=timedelta(days=2, hours=7))

    slots = free_slots(caseworker(), rules, MONDAY, date(2027, 1, 8), utc(1, 4, 0, 0))

    office_day = [(7, 0), (8, 0), (11, 0), (12, 0)]
    assert starts(slots) == [
        *(utc(1, day, hour, minute) for day in (4, 5) for hour, minute in office_day),
        utc(1, 6, 7, 0),
    ]


def test_days_outside_the_requested_range_give_nothing() -> None:
    assert free_slots(caseworker(), HOURLY, TUESDAY, MONDAY, BEFORE_THAT_WEEK) == []
    sunday = date(2027, 1, 3)
    assert free_slots(caseworker(), HOURLY, sunday, sunday, BEFORE_THAT_WEEK) == []


# Night opening 00:00-06:00 on the Sunday of each clock change, one-hour slots every 30 minutes.
HALF_HOURLY = SlotRules(duration=HOUR, step=30 * MINUTE)


def every_half_hour(first: datetime, last: datetime) -> list[datetime]:
    return [first + n * 30 * MINUTE for n in range(int((last - first) / (30 * MINUTE)) + 1)]


@pytest.mark.parametrize(
    ("zone", "sunday", "night", "friday_first", "monday_first", "monday_last"),
    [
        pytest.param(
            HELSINKI,
            date(2027, 3, 28),
            # 00:00-02:30 EET (22:00-00:30 UTC), 03:00-03:30 do not exist, 04:00-05:00 EEST.
            every_half_hour(utc(3, 27, 22, 0), utc(3, 28, 2, 0)),
            utc(3, 26, 6, 30),
            utc(3, 29, 5, 30),
            utc(3, 29, 11, 30),
            id="Helsinki spring",
        ),
        pytest.param(
            HELSINKI,
            date(2027, 10, 31),
            # 00:00 EEST is 21:00 UTC, 06:00 EET is 04:00 UTC: seven real hours.
            every_half_hour(utc(10, 30, 21, 0), utc(10, 31, 3, 0)),
            utc(10, 29, 5, 30),
            utc(11, 1, 6, 30),
            utc(11, 1, 12, 30),
            id="Helsinki autumn",
        ),
        pytest.param(
            STOCKHOLM,
            date(2027, 3, 28),
            # 00:00-01:30 CET (23:00-00:30 UTC), 02:00-02:30 do not exist, 03:00-05:00 CEST.
            every_half_hour(utc(3, 27, 23, 0), utc(3, 28, 3, 0)),
            utc(3, 26, 7, 30),
            utc(3, 29, 6, 30),
            utc(3, 29, 12, 30),
            id="Stockholm spring",
        ),
        pytest.param(
            STOCKHOLM,
            date(2027, 10, 31),
            # 00:00 CEST is 22:00 UTC, 06:00 CET is 05:00 UTC.
            every_half_hour(utc(10, 30, 22, 0), utc(10, 31, 4, 0)),
            utc(10, 29, 6, 30),
            utc(11, 1, 7, 30),
            utc(11, 1, 13, 30),
            id="Stockholm autumn",
        ),
    ],
)
def test_clock_changes_shift_utc_times_and_slots_last_exactly_their_duration(
    zone: ZoneInfo,
    sunday: date,
    night: list[datetime],
    friday_first: datetime,
    monday_first: datetime,
    monday_last: datetime,
) -> None:
    availability = caseworker(zone, weekly=OFFICE_HOURS + SUNDAY_SMALL_HOURS)
    now = datetime(2027, sunday.month, 1, tzinfo=UTC)

    friday, monday = sunday - timedelta(days=2), sunday + timedelta(days=1)

    slots = free_slots(availability, HALF_HOURLY, friday, monday, now)

    by_day: dict[date, list[datetime]] = {}
    for slot in slots:
        by_day.setdefault(slot.start.astimezone(zone).date(), []).append(slot.start)
    assert sorted(by_day) == [friday, sunday, monday]
    assert by_day[sunday] == night
    assert by_day[friday][0] == friday_first
    assert by_day[monday][0] == monday_first
    assert by_day[monday][-1] == monday_last
    assert all(slot.end - slot.start == HOUR for slot in slots)


def test_skipped_wall_times_give_no_slot_and_the_grid_stays_on_the_wall_clock() -> None:
    availability = caseworker(weekly=SUNDAY_SMALL_HOURS)
    rules = SlotRules(duration=45 * MINUTE, step=45 * MINUTE)
    sunday = date(2027, 3, 28)

    slots = free_slots(availability, rules, sunday, sunday, utc(3, 1, 0))

    # 00:00, 00:45, 01:30, 02:15 EET; 03:00 and 03:45 do not exist; 04:30, 05:15 EEST.
    assert starts(slots) == [
        utc(3, 27, 22, 0),
        utc(3, 27, 22, 45),
        utc(3, 27, 23, 30),
        utc(3, 28, 0, 15),
        utc(3, 28, 1, 30),
        utc(3, 28, 2, 15),
    ]
    # 02:15 EET plus 45 minutes is 04:00 EEST.
    assert slots[3].end == utc(3, 28, 1, 0)


def test_repeated_wall_times_give_both_instants_once_each() -> None:
    availability = caseworker(weekly=SUNDAY_SMALL_HOURS)
    rules = SlotRules(duration=45 * MINUTE, step=45 * MINUTE)
    sunday = date(2027, 10, 31)

    slots = free_slots(availability, rules, sunday, sunday, utc(10, 1, 0))

    # 00:00 ... 03:00, 03:45 EEST, then 03:00, 03:45, 04:30, 05:15 EET.
    assert starts(slots) == [
        utc(10, 30, 21, 0),
        utc(10, 30, 21, 45),
        utc(10, 30, 22, 30),
        utc(10, 30, 23, 15),
        utc(10, 31, 0, 0),
        utc(10, 31, 0, 45),
        utc(10, 31, 1, 0),
        utc(10, 31, 1, 45),
        utc(10, 31, 2, 30),
        utc(10, 31, 3, 15),
    ]


@pytest.mark.parametrize(
    ("sunday", "hours", "expected"),
    [
        # Starting at 03:30, which does not exist, means starting when the clocks jump to 04:00.
        (date(2027, 3, 28), (time(3, 30), time(5, 0)), [utc(3, 28, 1, 0), utc(3, 28, 1, 30)]),
        # Ending at 03:30, which does not exist, means ending at the jump: 02:30 EET is the last.
        (
            date(2027, 3, 28),
            (time(1, 0), time(3, 30)),
            [utc(3, 27, 23, 0), utc(3, 27, 23, 30), utc(3, 28, 0, 0), utc(3, 28, 0, 30)],
        ),
        # Ending at 03:30, which happens twice, means its first occurrence: 03:00 EEST is the last.
        (
            date(2027, 10, 31),
            (time(1, 30), time(3, 30)),
            [utc(10, 30, 22, 30), utc(10, 30, 23, 0), utc(10, 30, 23, 30), utc(10, 31, 0, 0)],
        ),
    ],
)
def test_an_opening_bound_in_a_changed_hour_is_the_first_moment_the_clock_reads_it(
    sunday: date, hours: tuple[time, time], expected: list[datetime]
) -> None:
    availability = caseworker(overrides={sunday: [hours]})
    rules = SlotRules(duration=30 * MINUTE, step=30 * MINUTE)

    slots = free_slots(availability, rules, sunday, sunday, utc(sunday.month, 1, 0))

    assert starts(slots) == expected


def test_unit_search_mixes_zones_sorted_by_start_then_caseworker() -> None:
    anna = caseworker(HELSINKI, caseworker_id="anna")
    bertil = caseworker(STOCKHOLM, caseworker_id="bertil")

    slots = free_slots_for_unit([bertil, anna], HOURLY, MONDAY, MONDAY, BEFORE_THAT_WEEK)

    # Both open 09, 10, 13 and 14 local: an hour apart in UTC.
    assert [(slot.start, slot.caseworker_id) for slot in slots] == [
        (utc(1, 4, 7, 0), "anna"),
        (utc(1, 4, 8, 0), "anna"),
        (utc(1, 4, 8, 0), "bertil"),
        (utc(1, 4, 9, 0), "bertil"),
        (utc(1, 4, 11, 0), "anna"),
        (utc(1, 4, 12, 0), "anna"),
        (utc(1, 4, 12, 0), "bertil"),
        (utc(1, 4, 13, 0), "bertil"),
    ]


@pytest.mark.parametrize(
    ("zone", "first_day", "seed"),
    [(HELSINKI, date(2027, 3, 15), 1), (STOCKHOLM, date(2027, 10, 18), 2)],
    ids=["Helsinki around spring", "Stockholm around autumn"],
)
def test_is_bookable_agrees_with_free_slots_on_every_five_minutes(
    zone: ZoneInfo, first_day: date, seed: int
) -> None:
    generator = random.Random(seed)
    rules = SlotRules(
        duration=45 * MINUTE,
        step=15 * MINUTE,
        buffer_before=10 * MINUTE,
        buffer_after=5 * MINUTE,
        minimum_notice=3 * HOUR,
        horizon=timedelta(days=16),
    )
    period_start = datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1)
    period_days = 23
    bookings = []
    for _ in range(60):
        start = period_start + generator.randrange(period_days * 24 * 4) * 15 * MINUTE
        bookings.append(buffered(start, start + 45 * MINUTE, rules))
    busy = [
        Interval(start, start + generator.randrange(1, 180) * MINUTE)
        for start in (
            period_start + generator.randrange(period_days * 24 * 60) * MINUTE for _ in range(20)
        )
    ]
    availability = caseworker(
        zone,
        weekly=OFFICE_HOURS + SUNDAY_SMALL_HOURS + [Opening(5, time(10, 0), time(12, 10))],
        overrides={
            first_day + timedelta(days=2): [],
            first_day + timedelta(days=12): [(time(17, 5), time(19, 0))],
        },
        blocked=bookings + busy,
    )
    now = period_start + timedelta(days=3, hours=10, minutes=7)
    last_day = first_day + timedelta(days=20)

    offered = starts(free_slots(availability, rules, first_day, last_day, now))

    candidates = [period_start + n * 5 * MINUTE for n in range(period_days * 24 * 12)]
    assert offered == [
        start for start in candidates if is_bookable(availability, rules, start, now)
    ]
    assert len(offered) > 100
    assert len(offered) == len(set(offered))


def test_is_bookable_refuses_a_start_off_the_step_inside_a_buffer_or_across_lunch() -> None:
    rules = SlotRules(duration=30 * MINUTE, step=15 * MINUTE, buffer_after=15 * MINUTE)
    booking = buffered(utc(1, 4, 8, 0), utc(1, 4, 8, 30), rules)  # 10:00-10:45 local, buffered
    availability = caseworker(blocked=[booking])

    assert is_bookable(availability, rules, utc(1, 4, 7, 0), BEFORE_THAT_WEEK)
    assert not is_bookable(availability, rules, utc(1, 4, 7, 5), BEFORE_THAT_WEEK)
    assert is_bookable(availability, rules, utc(1, 4, 7, 15), BEFORE_THAT_WEEK)  # buffer to 10:00
    assert not is_bookable(availability, rules, utc(1, 4, 7, 30), BEFORE_THAT_WEEK)
    assert is_bookable(availability, rules, utc(1, 4, 8, 45), BEFORE_THAT_WEEK)  # from 10:45
    assert not is_bookable(availability, rules, utc(1, 4, 9, 15), BEFORE_THAT_WEEK)  # to 11:45
    assert not is_bookable(availability, rules, utc(1, 4, 1, 0), BEFORE_THAT_WEEK)  # 03:00 local
    assert is_bookable(
        availability, rules, datetime(2027, 1, 4, 9, 0, tzinfo=HELSINKI), BEFORE_THAT_WEEK
    )


def slot_at(hour: int, caseworker_id: str = "anna") -> Slot:
    return Slot(utc(1, 4, hour), utc(1, 4, hour) + HOUR, caseworker_id)


def test_nearest_free_offers_the_closest_alternatives_in_time_order() -> None:
    slots = [slot_at(8), slot_at(9), slot_at(10), slot_at(12), slot_at(13)]

    # 10 and 12 are an hour away; 9 and 13 two hours, and the earlier wins the tie.
    assert nearest_free(slots, utc(1, 4, 11)) == [slot_at(9), slot_at(10), slot_at(12)]
    assert nearest_free(slots, utc(1, 4, 6), count=2) == [slot_at(8), slot_at(9)]
    assert nearest_free(slots, utc(1, 4, 20), count=1) == [slot_at(13)]
    assert nearest_free(slots, utc(1, 4, 11), count=9) == slots
    assert nearest_free([], utc(1, 4, 11)) == []


def test_nearest_free_prefers_the_same_time_with_another_caseworker() -> None:
    slots = [slot_at(9, "anna"), slot_at(10, "bertil"), slot_at(11, "anna")]

    assert nearest_free(slots, utc(1, 4, 10), count=1) == [slot_at(10, "bertil")]


@pytest.mark.parametrize(
    "changes",
    [
        {"duration": timedelta(0)},
        {"duration": -MINUTE},
        {"step": timedelta(0)},
        {"buffer_before": -MINUTE},
        {"buffer_after": -MINUTE},
        {"minimum_notice": -MINUTE},
    ],
)
def test_bad_rule_values_are_refused(changes: dict[str, timedelta]) -> None:
    values = {"duration": HOUR, "step": 15 * MINUTE} | changes
    with pytest.raises(ValueError):
        SlotRules(**values)


def test_an_interval_across_the_autumn_change_given_in_local_time_is_not_reversed() -> None:
    # 03:15 before the clocks go back (00:15 UTC) to 03:00 after it (01:00 UTC): 45 minutes.
    start = datetime(2027, 10, 31, 3, 15, tzinfo=HELSINKI)
    end = datetime(2027, 10, 31, 3, 0, fold=1, tzinfo=HELSINKI)
    assert Interval(start, end).end.astimezone(UTC) - start.astimezone(UTC) == 45 * MINUTE
    with pytest.raises(ValueError, match="must not end before"):
        Interval(end, start)


def test_bad_hours_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        Opening(7, time(8), time(9))
    with pytest.raises(ValueError):
        Opening(0, time(9), time(9))
    with pytest.raises(ValueError):
        caseworker(overrides={MONDAY: [(time(12), time(11))]})
    with pytest.raises(ValueError):
        Interval(datetime(2027, 1, 4, 8), datetime(2027, 1, 4, 9))
    with pytest.raises(ValueError):
        free_slots(caseworker(), HOURLY, MONDAY, MONDAY, datetime(2027, 1, 1))
