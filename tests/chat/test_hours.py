"""A chat's hours: the weekday's, closed on public holidays, and a single day's exception over
both; exceptions in the API's shape are checked field by field. Times in Helsinki, across the
change to winter time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from chat.hours import Hours, hours_of, parse_exceptions
from core.errors import ValidationFailed
from reports.deadlines import working_calendar

HELSINKI = ZoneInfo("Europe/Helsinki")
FINLAND = working_calendar("fi")
WEEKDAYS = {day: (time(9), time(15)) for day in range(5)}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI).astimezone(UTC)


def test_an_exception_wins_over_the_week_and_the_holidays() -> None:
    christmas_eve = date(2026, 12, 24)  # a Thursday, and a public holiday in Finland
    training_day = date(2026, 12, 16)  # a Wednesday
    hours = Hours(
        WEEKDAYS,
        {christmas_eve: (time(9), time(12)), training_day: None},
    )
    assert hours.is_open(at(christmas_eve, 10), HELSINKI, FINLAND)
    assert not hours.is_open(at(christmas_eve, 12), HELSINKI, FINLAND)
    assert not hours.is_open(at(training_day, 10), HELSINKI, FINLAND)
    assert hours.is_open(at(date(2026, 12, 17), 10), HELSINKI, FINLAND)
    # Christmas Day has no exception: closed as a holiday; the next opening skips to Monday 28th.
    assert hours.next_opening(at(christmas_eve, 13), HELSINKI, FINLAND) == datetime(
        2026, 12, 28, 9, 0, tzinfo=HELSINKI
    )
    assert hours.next_opening(at(training_day, 8), HELSINKI, FINLAND) == datetime(
        2026, 12, 17, 9, 0, tzinfo=HELSINKI
    )
    assert hours.exceptions_from(date(2026, 12, 10), 30) == [
        (training_day, None),
        (christmas_eve, (time(9), time(12))),
    ]


def test_the_hours_hold_in_local_time_across_the_change_to_winter_time() -> None:
    sunday_of_the_change = date(2026, 10, 25)  # 04:00 summer time becomes 03:00 winter time
    hours = Hours({}, {sunday_of_the_change: (time(9), time(15))})
    assert hours.is_open(datetime(2026, 10, 25, 7, 0, tzinfo=UTC), HELSINKI, FINLAND)  # 09:00
    assert not hours.is_open(datetime(2026, 10, 25, 6, 30, tzinfo=UTC), HELSINKI, FINLAND)


def test_exceptions_are_stored_and_read_back() -> None:
    hours = Hours(WEEKDAYS, {date(2026, 12, 31): (time(9), time(12)), date(2027, 1, 2): None})
    assert hours_of(hours.as_json(), hours.exceptions_json()) == hours


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ([{"date": "24.12.2026"}], {"exceptions.0": "Give the day as a date, like 2026-12-24."}),
        (
            [{"date": "2026-12-24", "hours": ["12:00", "09:00"]}],
            {"exceptions.0": "The chat must close after it opens."},
        ),
        (
            [{"date": "2026-12-24", "hours": None}, {"date": "2026-12-24", "hours": None}],
            {"exceptions.1": "This day has an exception already."},
        ),
        (
            [{"date": "2026-12-24", "hours": "aamupäivä"}],
            {"exceptions.0": "Give the hours as two times, like 09:00 and 15:00."},
        ),
        ("2026-12-24", {"exceptions": "Give the exceptions as a list of days."}),
    ],
)
def test_bad_exceptions_are_refused_field_by_field(raw: object, errors: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_exceptions(raw)
    assert refused.value.fields == errors
