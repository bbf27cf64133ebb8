"""Bookings: free slots, booking, rescheduling, cancelling, outcomes; never two overlapping.

BookingService is what the other packages hold: it reads one booking for whoever may see it and
hands every other job to the part that does it (booking.slot_search, booking.new_bookings,
booking.rescheduling, booking.caseworker_bookings), all sharing one booking.records.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import Literal

from accounts.service import AccountService, StaffMember
from audit.service import AuditLog
from availability.slots import Slot
from booking.caseworker_bookings import CaseworkerBookings
from booking.counts import BookingCount, BookingCounts
from booking.invitation import Invitation
from booking.links import BookingLinks
from booking.lost_links import Channel, LinkDelivery, LostLinks
from booking.models import Booking
from booking.new_bookings import NewBookings
from booking.person_data import BookingErasure, OwnBooking, PersonBookings
from booking.records import BookingRecords
from booking.rescheduling import Rescheduling
from booking.retention import BATCH, BookingRemovalListener, BookingRetention
from booking.slot_search import FreeTimes, SlotSearch
from booking.types import (
    Access,
    BookingChangeListener,
    BookingCreated,
    BookingRequest,
    BookingView,
)
from calendars.meeting_types import MeetingTypeInfo
from calendars.service import CalendarService
from core.db import Sessions, utcnow
from core.errors import NotFound
from core.lookup import PersonHasher
from core.principal import Viewer
from core.settings import Settings


class BookingService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        accounts: AccountService,
        calendars: CalendarService,
        audit: AuditLog,
        hasher: PersonHasher,
        clock: Callable[[], datetime] = utcnow,
        listener: BookingChangeListener | None = None,
        removal_listeners: Sequence[BookingRemovalListener] = (),
    ) -> None:
        self._clock = clock
        self._links = BookingLinks(settings.base_url)
        self._records = BookingRecords(
            sessions,
            settings.secret_key,
            accounts,
            calendars,
            audit,
            hasher,
            # Read through the service, so that a clock set on it later (tests turn it back to
            # book in the past) is the clock of every part.
            lambda: self._clock(),
            self._links,
            listener,
        )
        self._slots = SlotSearch(self._records)
        self._new_bookings = NewBookings(self._records, self._slots, settings)
        self._rescheduling = Rescheduling(self._records, self._slots)
        self._caseworker_bookings = CaseworkerBookings(self._records)
        self._retention = BookingRetention(
            self._records, settings.booking_retention_days, removal_listeners
        )
        self._person_bookings = PersonBookings(self._records, self._retention)
        self._lost_links = LostLinks(self._records)
        self._counts = BookingCounts(self._records)

    # ---- free slots and booking ------------------------------------------------------------------

    async def caseworkers_offering(
        self, meeting_type_id: str, *, caseworker_id: str | None, unit_id: str | None
    ) -> tuple[MeetingTypeInfo, list[StaffMember]]:
        return await self._slots.caseworkers_offering(
            meeting_type_id, caseworker_id=caseworker_id, unit_id=unit_id
        )

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
        return await self._slots.slots(
            meeting_type_id,
            caseworker_id=caseworker_id,
            unit_id=unit_id,
            first_day=first_day,
            last_day=last_day,
            ignore_booking=ignore_booking,
        )

    async def free_times(
        self,
        meeting_type_id: str,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
        first_day: date,
        last_day: date,
    ) -> FreeTimes:
        return await self._slots.free_times(
            meeting_type_id,
            caseworker_id=caseworker_id,
            unit_id=unit_id,
            first_day=first_day,
            last_day=last_day,
        )

    async def book(
        self, request: BookingRequest, *, submission: str | None = None
    ) -> BookingCreated:
        """Book; ``submission`` (booking.confirmations.submission_key) makes a repeat of the
        same form, on any instance, give the same booking."""
        return await self._new_bookings.book(request, submission=submission)

    async def has_live_booking(self, client_email: str) -> bool:
        return await self._new_bookings.has_live_booking(client_email)

    # ---- reading one booking ---------------------------------------------------------------------

    async def booking(self, access: Access, booking_id: str | None = None) -> BookingView:
        """One booking, for its client (by manage token) or its caseworker or an admin."""
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.authorised_row(session, access, booking_id)
            if isinstance(access, Viewer):
                records.audit.add(
                    session, access, "booking.read", "booking", [row.id], "client meeting"
                )
        return await records.view(row)

    async def booking_for_invited_guest(self, booking_id: str) -> BookingView:
        """A booking for the video service, which has checked a guest's invitation link itself.

        Not in the staff access log: the guest is no staff member and is shown only the meeting's
        title, time and participants' names.
        """
        async with self._records.sessions() as session:
            row = await session.get(Booking, booking_id)
        if row is None:
            raise NotFound()
        return await self._records.view(row)

    # ---- changing ----------------------------------------------------------------------------------

    async def cancel(
        self, access: Access, reason: str = "", booking_id: str | None = None
    ) -> BookingView:
        return await self._rescheduling.cancel(access, reason, booking_id)

    async def reschedule(
        self, access: Access, new_start: datetime, booking_id: str | None = None
    ) -> BookingView:
        return await self._rescheduling.reschedule(access, new_start, booking_id)

    # ---- the caseworker's own bookings -------------------------------------------------------------

    async def agenda(self, viewer: Viewer, first_day: date, last_day: date) -> list[BookingView]:
        return await self._caseworker_bookings.agenda(viewer, first_day, last_day)

    async def feed(self, caseworker_id: str) -> bytes:
        return await self._caseworker_bookings.feed(caseworker_id)

    async def record_outcome(
        self, viewer: Viewer, booking_id: str, outcome: Literal["completed", "no_show"]
    ) -> BookingView:
        return await self._caseworker_bookings.record_outcome(viewer, booking_id, outcome)

    async def set_protected(self, viewer: Viewer, booking_id: str, protected: bool) -> BookingView:
        return await self._caseworker_bookings.set_protected(viewer, booking_id, protected)

    async def set_identity_code(self, viewer: Viewer, booking_id: str, raw: str) -> BookingView:
        return await self._caseworker_bookings.set_identity_code(viewer, booking_id, raw)

    async def bookings_of_same_client(self, viewer: Viewer, booking_id: str) -> list[str]:
        return await self._caseworker_bookings.bookings_of_same_client(viewer, booking_id)

    # ---- retention (booking.retention) ---------------------------------------------------------

    async def counts(
        self, caseworker_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[BookingCount]:
        """Numbers of bookings starting in [start, end), for the statistics (figures/); the
        caller has checked the viewer may see them."""
        return await self._counts.starting_between(caseworker_ids, start, end)

    async def delete_expired(self, batch: int = BATCH) -> int:
        return await self._retention.delete_expired(batch)

    async def meetings_ended_before(
        self, booking_ids: Collection[str], moment: datetime
    ) -> set[str]:
        return await self._retention.ended_before(booking_ids, moment)

    # ---- the person's rights (booking.person_data) -------------------------------------------------

    async def bookings_of_person(
        self, viewer: Viewer, hashes: list[str], purpose: str
    ) -> list[BookingView]:
        return await self._person_bookings.of_person(viewer, hashes, purpose)

    async def own_bookings(self, identity_hash: str) -> list[OwnBooking]:
        return await self._person_bookings.own(identity_hash)

    async def erase_bookings(
        self, viewer: Viewer, booking_ids: list[str], reason: str
    ) -> BookingErasure:
        return await self._person_bookings.erase(viewer, booking_ids, reason)

    # ---- links and calendar entries ----------------------------------------------------------------

    async def reissue_manage_links(
        self, channel: Channel, contact: str, deliver: LinkDelivery
    ) -> None:
        """New manage links for the upcoming bookings booked with ``contact``, handed to
        ``deliver`` in the transaction that replaces the old ones (booking.lost_links)."""
        await self._lost_links.reissue(channel, contact, deliver)

    def manage_url(self, token: str) -> str:
        return self._links.manage_url(token)

    def join_url(self, token: str) -> str:
        return self._links.join_url(token)

    def invitation(
        self, view: BookingView, *, manage_token: str | None = None, for_caseworker: bool = False
    ) -> Invitation:
        return self._links.invitation(
            view, manage_token=manage_token, for_caseworker=for_caseworker
        )

    def invitation_ics(self, view: BookingView, manage_token: str | None = None) -> bytes:
        return self._links.invitation_ics(view, manage_token)
