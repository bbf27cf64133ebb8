"""The month's figures of a unit: counts gathered from the services of booking and reports.

Only the admin may read them (there is no manager role yet: accounts knows admin, caseworker and
intake). Nothing here reads another package's tables; each package counts its own rows and
hands back plain numbers, never rows or anything about a person.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from accounts.service import AccountService
from booking.counts import BookingCount
from booking.service import BookingService
from calendars.service import CalendarService
from core.errors import ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from reports.counts import ReportCounts
from reports.service import ConcernReportService


@dataclasses.dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM``, as the month field of the form sends it."""
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise ValidationFailed(
                {"month": N_("Enter the month as year and month, like 2026-03.")}
            ) from None
        if not 2000 <= year <= 2100:
            raise ValidationFailed(
                {"month": N_("Enter the month as year and month, like 2026-03.")}
            )
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The month from local midnight of its first day to that of the next month's: in
        a month with a clock change the hours are not 24 × days, which the zone accounts for."""
        start = datetime.combine(self.first_day(), time(), zone)
        end = datetime.combine(self.next().first_day(), time(), zone)
        return start, end

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclasses.dataclass(frozen=True, slots=True)
class MonthFigures:
    month: Month
    unit_id: str | None
    bookings: list[BookingCount]
    meeting_type_names: dict[str, dict[str, str]]
    reports: ReportCounts
    # The same counts for the whole calendar year of the month (national statistics are yearly).
    reports_in_year: ReportCounts


class FigureService:
    def __init__(
        self,
        accounts: AccountService,
        calendars: CalendarService,
        bookings: BookingService,
        reports: ConcernReportService,
        zone: ZoneInfo,
    ) -> None:
        self._accounts = accounts
        self._calendars = calendars
        self._bookings = bookings
        self._reports = reports
        self._zone = zone

    def this_month(self, now: datetime) -> Month:
        return Month.of(now.astimezone(self._zone).date())

    async def month(self, viewer: Viewer | None, month: Month, unit_id: str | None) -> MonthFigures:
        viewer = require_role(viewer, Role.ADMIN)
        users = await self._accounts.list_users(viewer)
        if unit_id is not None and await self._accounts.organisation.unit(unit_id) is None:
            raise ValidationFailed({"unit": N_("Choose one of the units listed.")})
        # Everyone who is (or was, while still on the list) in the unit: a deactivated
        # caseworker's bookings still count. A caseworker counts in the unit they are in now.
        staff = [user.id for user in users if unit_id is None or user.unit_id == unit_id]
        start, end = month.bounds(self._zone)
        counts = await self._bookings.counts(staff, start, end)
        types = await self._calendars.meeting_types_by_id({row.meeting_type_id for row in counts})
        year_start = datetime.combine(date(month.year, 1, 1), time(), self._zone)
        year_end = datetime.combine(date(month.year + 1, 1, 1), time(), self._zone)
        return MonthFigures(
            month=month,
            unit_id=unit_id,
            bookings=counts,
            meeting_type_names={key: info.names for key, info in types.items()},
            reports=await self._reports.counts(start, end),
            reports_in_year=await self._reports.counts(year_start, year_end),
        )
