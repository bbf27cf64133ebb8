"""The legal deadlines of a concern report, in working days of the jurisdiction.

Finland (Child Welfare Act 26 §): the urgency of child protection is assessed at once, at the
latest the same or the next working day; whether a service-needs assessment is started is
decided within seven working days, the day of receipt not counted.

Sweden (SoL 11:1 a): a protection assessment the same or the next working day; the decision
whether to open an investigation within 14 days. A calendar-day deadline that ends on a
Saturday, a Sunday or a holiday moves to the next working day (lag 1930:173).

Working days skip weekends and the country's public holidays from the ``holidays`` package. In
Sweden Midsummer Eve, Christmas Eve and New Year's Eve (``de_facto``) count as holidays too, as
the 1930 act says; the Finnish calendar already lists Midsummer Eve and Christmas Eve.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date, timedelta
from typing import Literal

import holidays

from core.i18n import N_

Jurisdiction = Literal["fi", "se"]

PROTECTION_ASSESSMENT = "protection_assessment"
SERVICE_NEEDS_DECISION = "service_needs_decision"  # Finland
INVESTIGATION_DECISION = "investigation_decision"  # Sweden

DEADLINE_NAMES = {
    PROTECTION_ASSESSMENT: N_("Protection assessment"),
    SERVICE_NEEDS_DECISION: N_("Decision on a service-needs assessment"),
    INVESTIGATION_DECISION: N_("Decision on opening an investigation"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Deadline:
    kind: str
    # The last day on which the step is on time (the whole day counts).
    due: date

    def overdue(self, today: date) -> bool:
        return today > self.due


@dataclasses.dataclass(frozen=True, slots=True)
class ReportDeadlines:
    protection_assessment: Deadline
    decision: Deadline


class WorkingCalendar:
    """Which days a municipal social services office works in one country."""

    def __init__(self, country: Jurisdiction) -> None:
        categories: tuple[str, ...] = ("public", "de_facto") if country == "se" else ("public",)
        self._holidays = holidays.country_holidays(country.upper(), categories=categories)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def is_holiday(self, day: date) -> bool:
        return day in self._holidays

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def first_working_day_from(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``, not counting ``day`` itself."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day


@functools.cache
def working_calendar(country: Jurisdiction) -> WorkingCalendar:
    return WorkingCalendar(country)


def deadlines_for(received: date, country: Jurisdiction) -> ReportDeadlines:
    """The deadlines of a report received on ``received`` (the local date of receipt)."""
    calendar = working_calendar(country)
    protection = Deadline(PROTECTION_ASSESSMENT, calendar.next_working_day(received))
    if country == "fi":
        decision = Deadline(SERVICE_NEEDS_DECISION, calendar.add_working_days(received, 7))
    else:
        decision = Deadline(
            INVESTIGATION_DECISION,
            calendar.first_working_day_from(received + timedelta(days=14)),
        )
    return ReportDeadlines(protection, decision)
