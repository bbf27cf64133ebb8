"""Counts of concern reports for the statistics (figures/): numbers only, never a report.

Every figure is of the reports *received* in the period (the caller gives it in UTC, the local
month's boundaries converted): how many, by kind of reporter; how many of them had their
protection assessment and their decision, and how many of those on time; the median working
days from receipt to the decision; and how many distinct children they were about.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from datetime import date, datetime

from sqlalchemy import distinct, func, select

from reports.deadlines import working_calendar
from reports.models import ConcernReport
from reports.records import ReportRecords


@dataclasses.dataclass(frozen=True, slots=True)
class ReportCounts:
    received: int
    by_reporter_kind: dict[str, int]
    protection_assessed: int
    protection_on_time: int
    decided: int
    decided_on_time: int
    # None when no report of the period has been decided.
    median_working_days_to_decision: float | None
    # Distinct children with a known identity code; reports without one are not counted here.
    children: int


def working_days_between(received: date, decided: date, country: str) -> int:
    """Working days after the day of receipt up to and including the day of the decision."""
    calendar = working_calendar("se" if country == "se" else "fi")
    days = 0
    day = received
    while day < decided:
        day = calendar.next_working_day(day)
        if day <= decided:
            days += 1
    return days


class ReportCounting:
    def __init__(self, records: ReportRecords) -> None:
        self._records = records

    async def received_between(self, start: datetime, end: datetime) -> ReportCounts:
        zone = self._records.settings.zone
        in_period = (ConcernReport.received_at >= start, ConcernReport.received_at < end)
        columns = select(
            ConcernReport.reporter_kind,
            ConcernReport.jurisdiction,
            ConcernReport.received_at,
            ConcernReport.protection_due,
            ConcernReport.protection_assessed_at,
            ConcernReport.decision_due,
            ConcernReport.decided_at,
        ).where(*in_period)
        children = select(func.count(distinct(ConcernReport.child_identity_hash))).where(
            *in_period, ConcernReport.child_identity_hash.is_not(None)
        )
        async with self._records.sessions() as session:
            rows = (await session.execute(columns)).all()
            child_count = (await session.execute(children)).scalar_one()
        kinds: Counter[str] = Counter()
        assessed = assessed_on_time = decided = decided_on_time = 0
        days_to_decision: list[int] = []
        for (
            kind,
            country,
            received_at,
            protection_due,
            assessed_at,
            decision_due,
            decided_at,
        ) in rows:
            kinds[kind] += 1
            if assessed_at is not None:
                assessed += 1
                assessed_on_time += assessed_at.astimezone(zone).date() <= protection_due
            if decided_at is not None:
                decided += 1
                decided_day = decided_at.astimezone(zone).date()
                decided_on_time += decided_day <= decision_due
                received_day = received_at.astimezone(zone).date()
                days_to_decision.append(working_days_between(received_day, decided_day, country))
        return ReportCounts(
            received=len(rows),
            by_reporter_kind=dict(kinds),
            protection_assessed=assessed,
            protection_on_time=assessed_on_time,
            decided=decided,
            decided_on_time=decided_on_time,
            median_working_days_to_decision=(
                statistics.median(days_to_decision) if days_to_decision else None
            ),
            children=child_count,
        )
