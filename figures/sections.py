"""The month's figures as the page and the CSV show them: sections of labelled counts, with the
small-cell rule applied once here, so the table, the chart and the CSV cannot disagree.

A count of 1 to 4 is shown as "< 5" (0 is shown: it tells nothing about a person). A share is
shown only when both its part and its whole are shown as numbers; a median only when at least
five values went into it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

from babel.numbers import format_decimal, format_percent

from booking.models import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW
from core.i18n import N_
from figures.service import MonthFigures

SMALL = 5
SUPPRESSED = "< 5"

MODE_NAMES = {"video": N_("Video"), "phone": N_("Phone"), "in_person": N_("In person")}
REPORTER_NAMES = {
    "professional": N_("Reported by a professional"),
    "private": N_("Reported by a private person"),
}


def is_small(count: int) -> bool:
    return 0 < count < SMALL


def shown(count: int) -> str:
    return SUPPRESSED if is_small(count) else str(count)


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    label: str
    value: str  # what the table and the CSV show: a number, "< 5" or "–"
    count: int | None = None  # the bar's length; None for a line that is no count
    share: str = ""  # e.g. "83 %", shown only when neither part nor whole is small
    in_chart: bool = True  # totals and medians are in the table only


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    lines: list[Line]
    note: str = ""

    def bars(self) -> list[tuple[str, int | None]]:
        """The chart's bars: a small count has no bar (None), so its length cannot tell it."""
        return [
            (line.label, None if is_small(line.count) else line.count)
            for line in self.lines
            if line.in_chart and line.count is not None
        ]


def count_line(label: str, count: int, *, in_chart: bool = True) -> Line:
    return Line(label, shown(count), count, in_chart=in_chart)


def sections(figures: MonthFigures, gettext: Callable[[str], str], language: str) -> list[Section]:
    def share(part: int, whole: int) -> str:
        if whole == 0 or is_small(part) or is_small(whole):
            return ""
        return format_percent(part / whole, locale=language)

    by_type: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    for row in figures.bookings:
        by_type[row.meeting_type_id] += row.count
        by_mode[row.mode] += row.count
        outcome = row.status
        if row.status == CANCELLED:
            outcome = f"{CANCELLED}:{row.cancelled_by if row.cancelled_by in ('client', 'caseworker') else 'other'}"
        by_outcome[outcome] += row.count
    total = sum(by_type.values())

    def type_name(meeting_type_id: str) -> str:
        names = figures.meeting_type_names.get(meeting_type_id, {})
        return names.get(language) or names.get("en") or next(iter(names.values()), "?")

    type_lines = sorted(
        (count_line(type_name(key), count) for key, count in by_type.items()),
        key=lambda line: line.label.casefold(),
    )
    outcome_names = [
        (COMPLETED, N_("Held")),
        (NO_SHOW, N_("Not held: the client did not come")),
        (f"{CANCELLED}:client", N_("Cancelled by the client")),
        (f"{CANCELLED}:caseworker", N_("Cancelled by the caseworker")),
        (f"{CANCELLED}:other", N_("Cancelled otherwise")),
        (CONFIRMED, N_("Booked, not yet marked held or not held")),
    ]
    reports, year = figures.reports, figures.reports_in_year
    median = reports.median_working_days_to_decision
    median_text = (
        format_decimal(median, locale=language)
        if median is not None and reports.decided >= SMALL
        else "–"
    )
    bookings_total = count_line(gettext("Total"), total, in_chart=False)
    return [
        Section(
            "bookings-by-meeting-type",
            gettext("Bookings by meeting type"),
            [*type_lines, bookings_total],
            gettext("Every booking whose meeting starts in the month, cancelled ones too."),
        ),
        Section(
            "bookings-by-mode",
            gettext("Bookings by how the meeting is held"),
            [count_line(gettext(name), by_mode[mode]) for mode, name in MODE_NAMES.items()]
            + [bookings_total],
        ),
        Section(
            "booking-outcomes",
            gettext("What became of the bookings"),
            [count_line(gettext(name), by_outcome[key]) for key, name in outcome_names],
        ),
        Section(
            "concern-reports",
            gettext("Concern reports received"),
            [
                count_line(gettext(name), reports.by_reporter_kind.get(kind, 0))
                for kind, name in REPORTER_NAMES.items()
            ]
            + [count_line(gettext("Total"), reports.received, in_chart=False)],
            gettext("Concern reports are counted for the whole municipality, not per unit."),
        ),
        Section(
            "report-deadlines",
            gettext("Deadlines of the reports received in the month"),
            [
                count_line(gettext("Protection assessments made"), reports.protection_assessed),
                Line(
                    gettext("Protection assessments made on time"),
                    shown(reports.protection_on_time),
                    reports.protection_on_time,
                    share(reports.protection_on_time, reports.received),
                ),
                count_line(gettext("Decisions made"), reports.decided),
                Line(
                    gettext("Decisions made on time"),
                    shown(reports.decided_on_time),
                    reports.decided_on_time,
                    share(reports.decided_on_time, reports.received),
                ),
                Line(
                    gettext("Median working days from receipt to decision"),
                    median_text,
                    in_chart=False,
                ),
            ],
            gettext(
                "The share is of all reports received in the month; a report not yet assessed "
                "or decided is not counted as on time."
            ),
        ),
        Section(
            "reports-in-year",
            gettext("The year's figures for the national child welfare statistics"),
            [
                count_line(gettext("Concern reports received in the year"), year.received),
                count_line(gettext("Distinct children reported in the year"), year.children),
            ],
            gettext(
                "Children are counted by their identity code; a report without one is not "
                "counted among the children."
            ),
        ),
    ]
