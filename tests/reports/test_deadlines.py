"""The legal deadlines of a concern report skip weekends and each country's holidays."""

from __future__ import annotations

from datetime import date

import pytest

from reports.deadlines import (
    INVESTIGATION_DECISION,
    SERVICE_NEEDS_DECISION,
    Deadline,
    WorkingCalendar,
    deadlines_for,
)


@pytest.mark.parametrize(
    ("received", "protection", "decision"),
    [
        # An ordinary Tuesday: Wednesday; seven working days later, the Tuesday is not counted.
        (date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 19)),
        # Friday: the weekend is skipped.
        (date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 8)),
        # Received on a Saturday: Monday.
        (date(2026, 11, 28), date(2026, 11, 30), date(2026, 12, 8)),
        # Thursday before Midsummer: Midsummer Eve (Fri) and the weekend are skipped.
        (date(2026, 6, 18), date(2026, 6, 22), date(2026, 6, 30)),
        # Maundy Thursday: Good Friday, Easter and Easter Monday are skipped.
        (date(2026, 4, 2), date(2026, 4, 7), date(2026, 4, 15)),
        # Before Christmas: Christmas Eve to Boxing Day, New Year's Day and Epiphany skipped.
        (date(2026, 12, 23), date(2026, 12, 28), date(2027, 1, 7)),
        # Independence Day 2027 is a Monday.
        (date(2027, 12, 3), date(2027, 12, 7), date(2027, 12, 15)),
    ],
)
def test_finnish_deadlines(received: date, protection: date, decision: date) -> None:
    deadlines = deadlines_for(received, "fi")
    assert deadlines.protection_assessment.due == protection
    assert deadlines.decision == Deadline(SERVICE_NEEDS_DECISION, decision)


@pytest.mark.parametrize(
    ("received", "protection", "decision"),
    [
        # An ordinary Tuesday: 14 calendar days.
        (date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 24)),
        # National Day 2025 is a Friday; Whit Monday is no holiday in Sweden.
        (date(2025, 6, 5), date(2025, 6, 9), date(2025, 6, 19)),
        # 14 days end on Midsummer Eve: moved over Midsummer to Monday.
        (date(2026, 6, 5), date(2026, 6, 8), date(2026, 6, 22)),
        # 14 days end on Christmas Eve: moved to the next working day.
        (date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 28)),
        # Received on Maundy Thursday.
        (date(2026, 4, 2), date(2026, 4, 7), date(2026, 4, 16)),
        # 14 days end on a Sunday.
        (date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 30)),
    ],
)
def test_swedish_deadlines(received: date, protection: date, decision: date) -> None:
    deadlines = deadlines_for(received, "se")
    assert deadlines.protection_assessment.due == protection
    assert deadlines.decision == Deadline(INVESTIGATION_DECISION, decision)


def test_holidays_differ_between_the_countries() -> None:
    finland, sweden = WorkingCalendar("fi"), WorkingCalendar("se")
    national_day_se = date(2025, 6, 6)  # a Friday
    independence_day_fi = date(2024, 12, 6)  # a Friday
    assert finland.is_working_day(national_day_se)
    assert not sweden.is_working_day(national_day_se)
    assert not finland.is_working_day(independence_day_fi)
    assert sweden.is_working_day(independence_day_fi)
    assert not sweden.is_working_day(date(2026, 12, 31))  # New Year's Eve, de facto


def test_a_deadline_is_overdue_only_after_its_day() -> None:
    deadline = Deadline(SERVICE_NEEDS_DECISION, date(2026, 12, 8))
    assert not deadline.overdue(date(2026, 12, 8))
    assert deadline.overdue(date(2026, 12, 9))
