"""The booking table as the booking service's parts share it: who may reach a row, how a row
is presented, whether it overlaps another, and how a change is announced to the listener.

Also the dependencies those parts share, held once, so that each part is built from one object.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.organisation import UnitInfo
from accounts.service import AccountService, StaffMember
from audit.service import AuditLog
from booking.links import BookingLinks
from booking.models import CANCELLED, Booking
from booking.person_links import PersonLinks
from booking.types import (
    Access,
    BookingChange,
    BookingChangeListener,
    BookingView,
    ChangeKind,
    ClientDetails,
    ManageToken,
)
from calendars.meeting_types import MeetingTypeInfo
from calendars.service import CalendarService
from core.crypto import token_hash
from core.db import Sessions
from core.errors import Forbidden, NotFound
from core.lookup import PersonHasher
from core.principal import Role

# The first key of the advisory locks that queue the writers of one caseworker's calendar.
CASEWORKER_LOCK_SPACE = 0x4B4F4341  # "KOCA"
# The lock itself, as an SQL expression of the caseworker's id (``:caseworker``).
CASEWORKER_LOCK = f"pg_advisory_xact_lock({CASEWORKER_LOCK_SPACE}, hashtext(:caseworker))"


def present(
    row: Booking, meeting_type: MeetingTypeInfo, person: StaffMember, zone_name: str
) -> BookingView:
    return BookingView(
        id=row.id,
        status=row.status,
        start=row.starts_at,
        end=row.ends_at,
        caseworker=person,
        zone_name=zone_name,
        meeting_type=meeting_type,
        mode=row.mode,
        language=row.language,
        client_name=row.client_name,
        client_email=row.client_email,
        client_phone=row.client_phone,
        answers=dict(row.answers or {}),
        ical_uid=row.ical_uid,
        ical_sequence=row.ical_sequence,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
        assigned_from_unit_id=row.assigned_from_unit_id,
        created_at=row.created_at,
        protected=row.protected,
        client_identity_hash=row.client_identity_hash,
        client_identity_code=row.client_identity_code,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ChangeContext:
    """What presenting and announcing one booking's change needs (see BookingRecords.context)."""

    meeting_type: MeetingTypeInfo
    person: StaffMember
    zone_name: str
    unit: UnitInfo | None

    def present(self, row: Booking) -> BookingView:
        return present(row, self.meeting_type, self.person, self.zone_name)


class BookingRecords:
    """The bookings as every part of the booking service reads and writes them."""

    def __init__(
        self,
        sessions: Sessions,
        secret_key: str,
        accounts: AccountService,
        calendars: CalendarService,
        audit: AuditLog,
        hasher: PersonHasher,
        clock: Callable[[], datetime],
        links: BookingLinks,
        listener: BookingChangeListener | None,
    ) -> None:
        self.sessions = sessions
        self.accounts = accounts
        self.calendars = calendars
        self.audit = audit
        self.hasher = hasher
        self.clock = clock
        self.links = links
        self._secret_key = secret_key
        self.person_links = PersonLinks(secret_key)
        self._listener = listener

    # ---- who may reach a booking -------------------------------------------------------------

    async def authorised_row(
        self, session: AsyncSession, access: Access, booking_id: str | None
    ) -> Booking:
        if isinstance(access, ManageToken):
            if not access.value or len(access.value) > 100:
                raise NotFound()
            person_token = self.person_links.parse(access.value)
            if person_token is not None:
                row = await session.get(Booking, person_token.booking_id)
                owner = row.client_identity_hash if row is not None else None
                if owner is None or access.holder != owner:
                    raise NotFound()
                if not self.person_links.belongs(person_token, owner):
                    raise NotFound()
            else:
                row = await session.scalar(
                    select(Booking).where(Booking.manage_token_hash == token_hash(access.value))
                )
            # A token opens only its own booking; any mismatch looks like a missing booking.
            if row is None or (booking_id is not None and row.id != booking_id):
                raise NotFound()
            return row
        if booking_id is None:
            raise NotFound()
        row = await session.get(Booking, booking_id)
        if row is None:
            raise NotFound()
        if access.role is Role.CASEWORKER and row.caseworker_id == access.user_id:
            return row
        if access.role is Role.ADMIN:
            return row
        raise NotFound() if access.role is Role.CASEWORKER else Forbidden()

    def client_key(self, client: ClientDetails) -> str:
        identity = (client.email or "").lower() or (client.phone or "")
        return hmac.new(self._secret_key.encode(), identity.encode(), hashlib.sha256).hexdigest()

    # ---- presenting ------------------------------------------------------------------------------

    async def view(self, row: Booking) -> BookingView:
        [view] = await self.views([row])
        return view

    async def views(self, rows: Sequence[Booking]) -> list[BookingView]:
        """Views of many bookings with one lookup each for meeting types, people and zones."""
        caseworker_ids = sorted({row.caseworker_id for row in rows})
        meeting_types = await self.calendars.meeting_types_by_id(
            {row.meeting_type_id for row in rows}
        )
        people = {person.id: person for person in await self.accounts.staff_members(caseworker_ids)}
        zones = await self.calendars.time_zones_of(caseworker_ids)
        return [
            present(
                row,
                meeting_types[row.meeting_type_id],
                people[row.caseworker_id],
                zones[row.caseworker_id].key,
            )
            for row in rows
        ]

    async def context(
        self, meeting_type: MeetingTypeInfo, person: StaffMember, zone: ZoneInfo | None = None
    ) -> ChangeContext:
        """What presenting and announcing a booking needs, read before its write transaction;
        ``zone``, the caseworker's, when the caller has read it already.

        On SQLite a second connection inside a write transaction would wait for that very
        transaction's lock, so nothing inside one may open another session.
        """
        if zone is None:
            zone = (await self.calendars.time_zones_of([person.id]))[person.id]
        unit = await self.accounts.organisation.unit(person.unit_id) if person.unit_id else None
        return ChangeContext(meeting_type, person, zone.key, unit)

    # ---- changing --------------------------------------------------------------------------------

    @staticmethod
    async def overlaps(session: AsyncSession, row: Booking, *, locked: bool = False) -> bool:
        """Whether ``row`` would overlap a live booking of its caseworker.

        On PostgreSQL the writers of one caseworker's calendar first queue on an advisory lock
        held to the end of the transaction, so the check sees every booking committed before
        it. The exclusion constraint alone would still refuse an overlap, but two transactions
        inserting overlapping rows at the same moment each wait for the other there, and
        PostgreSQL breaks that deadlock by failing one of them with an error instead of a
        refusal. ``locked``: the caller has taken that lock already (``lock_caseworker``).
        """
        if not locked and session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text(f"SELECT {CASEWORKER_LOCK}"), {"caseworker": row.caseworker_id}
            )
        query = select(Booking.id).where(
            Booking.caseworker_id == row.caseworker_id,
            Booking.status != CANCELLED,
            Booking.blocked_from < row.blocked_until,
            Booking.blocked_until > row.blocked_from,
        )
        if row.id is not None:
            query = query.where(Booking.id != row.id)
        return (await session.scalar(query.limit(1))) is not None

    async def announce(
        self,
        session: AsyncSession,
        kind: ChangeKind,
        view: BookingView,
        unit: UnitInfo | None,
        token: str | None,
    ) -> None:
        if self._listener is None:
            return
        change = BookingChange(
            kind=kind,
            booking=view,
            unit=unit,
            ics=self.links.invitation_ics(view, token),
            manage_url=self.links.manage_url(token) if token else None,
            join_url=self.links.join_url(token) if token and view.mode == "video" else None,
        )
        await self._listener.booking_changed(session, change)
