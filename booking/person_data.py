"""A person's bookings for the person's-rights page: found by the keyed hashes of their email or
phone (core/lookup.py), never by name, and erased on request once their meetings are over.

Only an admin may ask; every booking shown is logged as read for the access request, and every
erasure names its reason in the access log.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import or_, select

from booking.models import CANCELLED, Booking
from booking.records import BookingRecords
from booking.retention import BookingRetention
from booking.types import BookingView
from core.principal import Role, Viewer, require_role

SUBJECT = "booking"


@dataclasses.dataclass(frozen=True, slots=True)
class BookingErasure:
    erased: tuple[str, ...]
    # Meetings still to come are not erased: the client cancels them first (or the caseworker).
    kept_upcoming: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class OwnBooking:
    booking: BookingView
    # Opens the manage and join pages for this person (booking/person_links.py).
    token: str


class PersonBookings:
    def __init__(self, records: BookingRecords, retention: BookingRetention) -> None:
        self._records = records
        self._retention = retention

    async def of_person(self, viewer: Viewer, hashes: list[str], purpose: str) -> list[BookingView]:
        """Every booking whose client's email, phone or identity code has one of these keyed
        hashes."""
        require_role(viewer, Role.ADMIN)
        if not hashes:
            return []
        records = self._records
        async with records.sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(Booking)
                    .where(
                        or_(
                            Booking.client_email_hash.in_(hashes),
                            Booking.client_phone_hash.in_(hashes),
                            Booking.client_identity_hash.in_(hashes),
                        )
                    )
                    .order_by(Booking.starts_at, Booking.id)
                )
            ).all()
            records.audit.add(
                session, viewer, "person.read", SUBJECT, [r.id for r in rows], purpose
            )
        return await records.views(rows)

    async def own(self, identity_hash: str) -> list[OwnBooking]:
        """The identified person's own bookings (made identified, or given their identity code
        by the caseworker), newest first, each with a link from their own pages. No staff
        member reads here, so nothing goes into the access log."""
        records = self._records
        async with records.sessions() as session:
            rows = (
                await session.scalars(
                    select(Booking)
                    .where(Booking.client_identity_hash == identity_hash)
                    .order_by(Booking.starts_at.desc(), Booking.id)
                )
            ).all()
        views = await records.views(rows)
        return [
            OwnBooking(view, records.person_links.token(view.id, identity_hash)) for view in views
        ]

    async def erase(self, viewer: Viewer, booking_ids: list[str], reason: str) -> BookingErasure:
        """Delete these bookings (with their messages, guest links, meeting events and
        assessments) where the meeting is over; a booking still to come is kept and named."""
        require_role(viewer, Role.ADMIN)
        records = self._records
        now = records.clock()
        async with records.sessions.begin() as session:
            rows = (
                await session.execute(
                    select(Booking.id, Booking.ends_at, Booking.status)
                    .where(Booking.id.in_(booking_ids))
                    .with_for_update()
                )
            ).all()
            upcoming = tuple(r.id for r in rows if r.ends_at > now and r.status != CANCELLED)
            erased = tuple(r.id for r in rows if r.id not in upcoming)
            if erased:
                await self._retention.remove(session, erased)
                records.audit.add(session, viewer, "person.erased", SUBJECT, erased, reason)
        return BookingErasure(erased, upcoming)
