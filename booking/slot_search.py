"""Free slots: who offers a meeting type, which of their times are free of calendar entries and
of other bookings, and the nearest free times to offer instead of one just taken."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from accounts.service import StaffMember
from availability.slots import (
    Availability,
    Interval,
    Slot,
    SlotRules,
    free_slots,
    free_times_for_unit,
    nearest_free,
)
from booking.models import CANCELLED, Booking
from booking.records import BookingRecords
from calendars.meeting_types import MeetingTypeInfo
from core.db import one_of
from core.errors import NotFound, ValidationFailed
from core.i18n import N_

MAX_SEARCH_DAYS = 62
ALTERNATIVES_AROUND = timedelta(days=7)


def rules_of(meeting_type: MeetingTypeInfo) -> SlotRules:
    return SlotRules(
        duration=timedelta(minutes=meeting_type.duration_minutes),
        step=timedelta(minutes=meeting_type.slot_step_minutes),
        buffer_before=timedelta(minutes=meeting_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=meeting_type.buffer_after_minutes),
        minimum_notice=timedelta(minutes=meeting_type.minimum_notice_minutes),
        horizon=timedelta(days=meeting_type.horizon_days),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class FreeTimes:
    """A search's free slots, and the zone of each caseworker searched (to show them in)."""

    slots: list[Slot]
    zones: dict[str, ZoneInfo]


class SlotSearch:
    def __init__(self, records: BookingRecords) -> None:
        self._records = records

    async def caseworkers_offering(
        self, meeting_type_id: str, *, caseworker_id: str | None, unit_id: str | None
    ) -> tuple[MeetingTypeInfo, list[StaffMember]]:
        """The meeting type and the caseworkers who may take it for this request, or 422."""
        accounts, calendars = self._records.accounts, self._records.calendars
        if (caseworker_id is None) == (unit_id is None):
            raise ValidationFailed({"caseworker_id": N_("Choose a caseworker or a unit.")})
        people = await accounts.caseworkers(
            caseworker_ids=None if caseworker_id is None else [caseworker_id], unit_id=unit_id
        )
        if people:
            # The usual case in two queries: the meeting type is among those the people offer.
            offered = await calendars.meeting_types_for(
                [(person.id, person.unit_id) for person in people]
            )
            offering = [
                (person, item)
                for person in people
                for item in offered[person.id]
                if item.id == meeting_type_id
            ]
            if offering:
                return offering[0][1], [person for person, _ in offering]
        # Otherwise find out which choice was wrong, in the order the fields are checked.
        try:
            meeting_type = await calendars.meeting_type(meeting_type_id)
        except NotFound:
            raise ValidationFailed(
                {"meeting_type_id": N_("Choose one of the meeting types offered.")}
            ) from None
        if caseworker_id is not None:
            people = await accounts.caseworkers(caseworker_ids=[caseworker_id])
            if not people:
                raise ValidationFailed(
                    {"caseworker_id": N_("Choose one of the caseworkers listed.")}
                )
        else:
            people = await accounts.caseworkers(unit_id=unit_id)
            if not people:
                raise ValidationFailed({"unit_id": N_("Choose one of the units listed.")})
        offered = await calendars.meeting_types_for(
            [(person.id, person.unit_id) for person in people]
        )
        people = [
            person
            for person in people
            if any(item.id == meeting_type.id for item in offered[person.id])
        ]
        if not people or not meeting_type.is_active:
            raise ValidationFailed(
                {"meeting_type_id": N_("Choose one of the meeting types offered.")}
            )
        return meeting_type, people

    async def slots(
        self,
        meeting_type_id: str,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
        first_day: date,
        last_day: date,
        ignore_booking: str | None = None,
    ) -> list[Slot]:
        """The free slots of ``free_times``."""
        found = await self.free_times(
            meeting_type_id,
            caseworker_id=caseworker_id,
            unit_id=unit_id,
            first_day=first_day,
            last_day=last_day,
            ignore_booking=ignore_booking,
        )
        return found.slots

    async def free_times(
        self,
        meeting_type_id: str,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
        first_day: date,
        last_day: date,
        ignore_booking: str | None = None,
    ) -> FreeTimes:
        """Free slots on these local days; ``ignore_booking`` frees the time of a booking being moved.

        For a caseworker, all their free slots; for a unit, each free time once, with the first
        caseworker (by id) free then: booking it with the unit gives it to the fairest of those
        free at that time.
        """
        if last_day < first_day:
            raise ValidationFailed({"to": N_("The end date must not be before the start date.")})
        if (last_day - first_day).days + 1 > MAX_SEARCH_DAYS:
            raise ValidationFailed({"to": N_("Search at most 62 days at a time.")})
        meeting_type, people = await self.caseworkers_offering(
            meeting_type_id, caseworker_id=caseworker_id, unit_id=unit_id
        )
        window_start = datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(days=1)
        window_end = datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(days=2)
        calendar = await self._records.calendars.availability(
            [person.id for person in people], window_start, window_end
        )
        availabilities = await self.with_bookings(
            calendar, window_start, window_end, ignore_booking=ignore_booking
        )
        rules = rules_of(meeting_type)
        now = self._records.clock()
        zones = {person: availability.zone for person, availability in availabilities.items()}
        if caseworker_id is not None:
            found = free_slots(availabilities[caseworker_id], rules, first_day, last_day, now)
        else:
            # A client choosing a unit chooses a time, and booking it picks the caseworker.
            found = free_times_for_unit(availabilities.values(), rules, first_day, last_day, now)
        return FreeTimes(found, zones)

    async def with_bookings(
        self,
        availabilities: Mapping[str, Availability],
        window_start: datetime,
        window_end: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> dict[str, Availability]:
        """Calendar availability with the live bookings added to what blocks."""
        async with self._records.sessions() as session:
            query = select(
                Booking.caseworker_id, Booking.blocked_from, Booking.blocked_until
            ).where(
                one_of(session, Booking.caseworker_id, list(availabilities)),
                Booking.status != CANCELLED,
                Booking.blocked_until > window_start,
                Booking.blocked_from < window_end,
            )
            if ignore_booking is not None:
                query = query.where(Booking.id != ignore_booking)
            rows = (await session.execute(query)).all()
        extra: dict[str, list[Interval]] = {caseworker_id: [] for caseworker_id in availabilities}
        for caseworker_id, blocked_from, blocked_until in rows:
            extra[caseworker_id].append(Interval(blocked_from, blocked_until))
        return {
            caseworker_id: dataclasses.replace(
                availability, blocked=[*availability.blocked, *extra[caseworker_id]]
            )
            for caseworker_id, availability in availabilities.items()
        }

    async def alternatives(
        self, meeting_type: MeetingTypeInfo, people: Sequence[StaffMember], wanted: datetime
    ) -> list[Slot]:
        """The free times nearest to a wanted one that was taken."""
        window_start, window_end = wanted - ALTERNATIVES_AROUND, wanted + ALTERNATIVES_AROUND
        calendar = await self._records.calendars.availability(
            [person.id for person in people], window_start, window_end
        )
        availabilities = await self.with_bookings(calendar, window_start, window_end)
        rules = rules_of(meeting_type)
        now = self._records.clock()
        first_day, last_day = window_start.date(), window_end.date()
        # Each free time once: whoever books one of them gets a caseworker free then.
        candidates = free_times_for_unit(availabilities.values(), rules, first_day, last_day, now)
        return nearest_free(candidates, wanted)
