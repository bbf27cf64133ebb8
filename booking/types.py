"""The booking domain's value types: what a client asks for, what a booking looks like to its
readers, what changed; the error of a time just taken, and the interface of whoever listens to
changes (notifications). Other packages import these; nothing here reaches a database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.organisation import UnitInfo
from accounts.service import StaffMember
from availability.slots import Slot
from booking.models import CONFIRMED
from booking.person_links import PREFIX as PERSON_LINK_PREFIX
from calendars.meeting_types import MeetingTypeInfo
from core.errors import Conflict
from core.i18n import N_
from core.principal import Viewer


class SlotTaken(Conflict):
    title = N_("Sorry, that time was just booked by someone else. Please choose another time.")

    def __init__(self, alternatives: Sequence[Slot]) -> None:
        super().__init__()
        self.alternatives = list(alternatives)

    def problem_extensions(self) -> dict[str, object]:
        return {
            "alternatives": [
                {
                    "start": slot.start.isoformat(),
                    "end": slot.end.isoformat(),
                    "caseworker_id": slot.caseworker_id,
                }
                for slot in self.alternatives
            ]
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ClientDetails:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class BookingRequest:
    meeting_type_id: str
    start: datetime
    mode: str
    language: str
    client: ClientDetails
    caseworker_id: str | None = None
    unit_id: str | None = None
    answers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # The client's identity code when they booked identified (identification/): the booking
    # then belongs to that person, and its video meeting checks who joins against it.
    identity_code: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ManageToken:
    """The client's secret manage link token, or a link from their own pages to a booking that
    belongs to them (booking/person_links.py): the only ways a client reaches a booking."""

    value: str
    # The identified client presenting it (their keyed identity hash): a link from one's own
    # pages opens only for the person it was made for.
    holder: str | None = None

    @property
    def lasting(self) -> bool:
        """A manage link's token, which messages may carry (a person link expires)."""
        return not self.value.startswith(PERSON_LINK_PREFIX)


Access = Viewer | ManageToken


@dataclasses.dataclass(frozen=True, slots=True)
class BookingView:
    id: str
    status: str
    start: datetime
    end: datetime
    caseworker: StaffMember
    zone_name: str
    meeting_type: MeetingTypeInfo
    mode: str
    language: str
    client_name: str
    client_email: str | None
    client_phone: str | None
    answers: dict[str, str]
    ical_uid: str
    ical_sequence: int
    cancelled_by: str | None
    cancel_reason: str | None
    assigned_from_unit_id: str | None
    created_at: datetime
    # A protected client's video meetings are relay-only: nobody sees their IP address.
    protected: bool = False
    # The keyed hash of the identity code of the person the booking belongs to, if known.
    client_identity_hash: str | None = None
    client_identity_code: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    @property
    def is_upcoming(self) -> bool:
        return self.status == CONFIRMED and self.start > datetime.now(UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class BookingCreated:
    booking: BookingView
    manage_token: str


ChangeKind = Literal["created", "rescheduled", "cancelled"]


@dataclasses.dataclass(frozen=True, slots=True)
class BookingChange:
    """What happened to a booking, with everything a notice about it needs."""

    kind: ChangeKind
    booking: BookingView
    unit: UnitInfo | None
    ics: bytes
    # The client's links; None when the change was made without the client's token.
    manage_url: str | None
    join_url: str | None


class BookingChangeListener(Protocol):
    async def booking_changed(self, session: AsyncSession, change: BookingChange) -> None:
        """Called inside the change's transaction: what it writes commits or rolls back with it."""
