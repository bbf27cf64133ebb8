"""Changing a booking after it is made: moving it to another free time, or cancelling it, by
its client (with the manage token) or its caseworker. Both announce the change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from availability.slots import buffered, is_bookable
from booking.models import CANCELLED, CONFIRMED
from booking.records import BookingRecords
from booking.slot_search import SlotSearch, rules_of
from booking.types import Access, BookingView, ManageToken, SlotTaken
from core.errors import Conflict, ValidationFailed
from core.i18n import N_


class Rescheduling:
    def __init__(self, records: BookingRecords, slots: SlotSearch) -> None:
        self._records = records
        self._slots = slots

    async def cancel(
        self, access: Access, reason: str = "", booking_id: str | None = None
    ) -> BookingView:
        records = self._records
        reason = reason.strip()
        if len(reason) > 1000:
            raise ValidationFailed(
                {"reason": N_("The message must be at most 1000 characters long.")}
            )
        async with records.sessions() as session:
            current = await records.authorised_row(session, access, booking_id)
        context = await records.context(
            await records.calendars.meeting_type(current.meeting_type_id),
            await records.accounts.staff_member(current.caseworker_id),
        )
        async with records.sessions.begin() as session:
            row = await records.authorised_row(session, access, current.id)
            if row.status != CONFIRMED:
                raise Conflict(N_("This booking has already been cancelled or has taken place."))
            if isinstance(access, ManageToken) and row.starts_at <= records.clock():
                raise Conflict(N_("A meeting that has already started cannot be cancelled here."))
            row.status = CANCELLED
            row.cancelled_by = "client" if isinstance(access, ManageToken) else "caseworker"
            row.cancel_reason = reason or None
            row.status_changed_at = records.clock()
            row.ical_sequence += 1
            view = context.present(row)
            token = access.value if isinstance(access, ManageToken) and access.lasting else None
            await records.announce(session, "cancelled", view, context.unit, token)
        return view

    async def reschedule(
        self, access: Access, new_start: datetime, booking_id: str | None = None
    ) -> BookingView:
        """Move the booking in one step: the client never holds none or two."""
        records = self._records
        async with records.sessions() as session:
            current = await records.authorised_row(session, access, booking_id)
        if current.status != CONFIRMED or current.starts_at <= records.clock():
            raise Conflict(N_("Only a booking that has not yet started can be moved."))
        meeting_type = await records.calendars.meeting_type(current.meeting_type_id)
        rules = rules_of(meeting_type)
        start = new_start.astimezone(UTC)
        now = records.clock()
        window = (start - timedelta(days=1), start + timedelta(days=1))
        calendar_only = await records.calendars.availability([current.caseworker_id], *window)
        if start <= now or not is_bookable(calendar_only[current.caseworker_id], rules, start, now):
            raise ValidationFailed(
                {"start": N_("This time cannot be booked. Choose one of the free times.")}
            )
        others = await self._slots.with_bookings(calendar_only, *window, ignore_booking=current.id)
        person = await records.accounts.staff_member(current.caseworker_id)
        if not is_bookable(others[current.caseworker_id], rules, start, now):
            raise SlotTaken(await self._slots.alternatives(meeting_type, [person], start))
        blocked = buffered(start, start + rules.duration, rules)
        context = await records.context(meeting_type, person)
        try:
            async with records.sessions.begin() as session:
                row = await records.authorised_row(session, access, current.id)
                if row.status != CONFIRMED:
                    raise Conflict(N_("Only a booking that has not yet started can be moved."))
                row.starts_at, row.ends_at = start, start + rules.duration
                row.blocked_from, row.blocked_until = blocked.start, blocked.end
                if await records.overlaps(session, row):
                    raise SlotTaken([])
                row.ical_sequence += 1
                await session.flush()
                view = context.present(row)
                token = access.value if isinstance(access, ManageToken) and access.lasting else None
                await records.announce(session, "rescheduled", view, context.unit, token)
        except IntegrityError:
            raise SlotTaken(await self._slots.alternatives(meeting_type, [person], start)) from None
        return view
