"""What a caseworker does with their own bookings: the agenda, the calendar subscription feed,
the outcome of a meeting, the protected-client mark, and the same client's earlier bookings
(for assessments). Every read of clients' details goes into the staff access log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.invitation import calendar_feed_ics
from booking.models import CANCELLED, COMPLETED, NO_SHOW, Booking
from booking.records import BookingRecords
from booking.slot_search import MAX_SEARCH_DAYS
from booking.types import BookingView
from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer
from core.validators import InvalidValue, nordic_identity_number


class CaseworkerBookings:
    def __init__(self, records: BookingRecords) -> None:
        self._records = records

    async def agenda(self, viewer: Viewer, first_day: date, last_day: date) -> list[BookingView]:
        """The caseworker's bookings on these days (in their own zone), cancelled ones included."""
        records = self._records
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        if last_day < first_day or (last_day - first_day).days + 1 > MAX_SEARCH_DAYS:
            raise ValidationFailed({"to": N_("Search at most 62 days at a time.")})
        zone = ZoneInfo(await records.calendars.time_zone_of(viewer.user_id))
        start = datetime.combine(first_day, datetime.min.time(), zone)
        end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
        async with records.sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(Booking)
                    .where(
                        Booking.caseworker_id == viewer.user_id,
                        Booking.starts_at >= start,
                        Booking.starts_at < end,
                    )
                    .order_by(Booking.starts_at)
                )
            ).all()
            records.audit.add(
                session, viewer, "booking.list", "booking", [row.id for row in rows], "own agenda"
            )
        return await records.views(rows)

    async def feed(self, caseworker_id: str) -> bytes:
        """The caseworker's subscription feed: their live bookings from 30 days back."""
        records = self._records
        since = records.clock() - timedelta(days=30)
        async with records.sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(Booking)
                    .where(
                        Booking.caseworker_id == caseworker_id,
                        Booking.ends_at > since,
                        Booking.status != CANCELLED,
                    )
                    .order_by(Booking.starts_at)
                )
            ).all()
            records.audit.add(
                session,
                Viewer(caseworker_id, "", "", Role.CASEWORKER, ""),
                "booking.feed",
                "booking",
                [row.id for row in rows],
                "calendar subscription",
            )
        views = await records.views(rows)
        zone_name = await records.calendars.time_zone_of(caseworker_id)
        person = await records.accounts.staff_member(caseworker_id)
        return calendar_feed_ics(
            f"Kohtaamo – {person.name}",
            zone_name,
            [records.links.invitation(view, for_caseworker=True) for view in views],
        )

    async def record_outcome(
        self, viewer: Viewer, booking_id: str, outcome: Literal["completed", "no_show"]
    ) -> BookingView:
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.authorised_row(session, viewer, booking_id)
            if viewer.role is not Role.CASEWORKER:
                raise Forbidden()
            if row.status == CANCELLED:
                raise Conflict(N_("This booking has been cancelled."))
            if row.starts_at > records.clock():
                raise Conflict(N_("The outcome can be recorded once the meeting has started."))
            row.status = COMPLETED if outcome == "completed" else NO_SHOW
            row.status_changed_at = records.clock()
        return await records.view(row)

    async def set_protected(self, viewer: Viewer, booking_id: str, protected: bool) -> BookingView:
        """Mark the client as protected (or not); only the booking's caseworker may."""
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.authorised_row(session, viewer, booking_id)
            if viewer.role is not Role.CASEWORKER:
                raise Forbidden()
            row.protected = protected
        return await records.view(row)

    async def set_identity_code(self, viewer: Viewer, booking_id: str, raw: str) -> BookingView:
        """The client's identity code as the caseworker knows it (empty: none). The video lobby
        then checks that whoever identifies to join is this person."""
        records = self._records
        code = None
        if raw.strip():
            try:
                code = nordic_identity_number(raw[:40], records.clock().date()).value
            except InvalidValue as error:
                raise ValidationFailed({"identity_code": str(error)}) from None
        async with records.sessions.begin() as session:
            row = await records.authorised_row(session, viewer, booking_id)
            if viewer.role is not Role.CASEWORKER:
                raise Forbidden()
            row.client_identity_code = code
            row.client_identity_hash = records.hasher.identity_code(code)
            records.audit.add(
                session, viewer, "booking.identity-code", "booking", [row.id], "entered by staff"
            )
        return await records.view(row)

    async def bookings_of_same_client(self, viewer: Viewer, booking_id: str) -> list[str]:
        """Ids of this booking and the same client's earlier ones with the same caseworker,
        oldest first. Only the booking's own caseworker may ask; the client is matched by the
        keyed hash of their email or phone, never by name."""
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        async with self._records.sessions() as session:
            row = await self._records.authorised_row(session, viewer, booking_id)
            ids = await session.scalars(
                select(Booking.id)
                .where(
                    Booking.client_key == row.client_key,
                    Booking.caseworker_id == row.caseworker_id,
                    Booking.starts_at <= row.starts_at,
                )
                .order_by(Booking.starts_at)
            )
            return list(ids)
