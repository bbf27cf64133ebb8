"""Who may enter which meeting room, and when; guest invitations, meeting events, TURN credentials.

The live state of a room (lobby, connections) is in ``video.rooms``; this module decides the
rules and keeps the little that is stored. Bookings are reached through the booking service only.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import AuditLog
from booking.models import CANCELLED
from booking.service import BookingService
from booking.types import BookingView, ManageToken
from core.crypto import token_hash
from core.db import Sessions, utcnow
from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.settings import Settings
from identification.service import ClientIdentity
from video.models import MeetingEvent, MeetingGuest

Role_ = Literal["host", "client", "guest"]

# The room stays open this long after the meeting's end, for meetings that run late.
CLOSE_AFTER_END = timedelta(minutes=30)
# TURN credentials outlive the room by this much, so a late meeting does not lose its relay.
TURN_MARGIN = timedelta(hours=1)
# Invited guests besides the host and the client: a mesh of 6, or a network meeting of 16
# through the SFU.
MAX_GUESTS = 4
MAX_GUESTS_WITH_SFU = 14
TOO_MANY_GUESTS = {
    MAX_GUESTS: N_("A meeting can have at most 4 invited participants."),
    MAX_GUESTS_WITH_SFU: N_("A meeting can have at most 14 invited participants."),
}
MAX_NAME_LENGTH = 80
EVENT_KINDS = ("joined", "admitted", "declined", "left", "removed", "ended")


class RoomNotOpen(DomainError):
    status = 409
    title = N_("The meeting room is not open yet.")

    def __init__(self, opens_at: datetime) -> None:
        super().__init__()
        self.opens_at = opens_at


class IdentificationRequired(DomainError):
    """The meeting type asks the client to identify strongly before joining."""

    status = 401
    title = N_("Identify yourself to join this meeting.")


class NotAVideoMeeting(NotFound):
    """The booking exists but is not met by video: it has no room."""


class MeetingOver(DomainError):
    status = 410
    title = N_("This meeting has ended.")


class MeetingCancelled(DomainError):
    status = 409
    title = N_("This meeting has been cancelled.")


class GuestLinkUsed(DomainError):
    status = 401
    title = N_("This invitation link has already been used.")


@dataclasses.dataclass(frozen=True, slots=True)
class Meeting:
    """What a room needs to know of its booking."""

    id: str
    caseworker_id: str
    caseworker_name: str
    client_name: str
    titles: dict[str, str]
    language: str
    zone_name: str
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    protected: bool
    cancelled: bool
    # The client identifies strongly to join (the meeting type says so).
    requires_identification: bool = False
    # A network meeting: the room goes through the SFU from the start, not from the third.
    network: bool = False
    # Whom the booking belongs to (a keyed hash of the identity code), if known.
    client_identity_hash: str | None = None

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en") or ""


@dataclasses.dataclass(frozen=True, slots=True)
class Admission:
    """A checked claim to a seat in a meeting: who, in which role, under which name.

    ``seat`` is the same for every connection of one person (the host, the client, one guest):
    a newer connection for a seat replaces the older one.
    """

    meeting: Meeting
    role: Role_
    name: str
    seat: str
    # For an identified client: what the host's lobby shows (JoinIdentity.public()).
    identity: dict[str, Any] | None = None
    # The version of the signaling protocol the page speaks (version 1 cannot use the SFU).
    protocol: int = 2


@dataclasses.dataclass(frozen=True, slots=True)
class GuestInvitation:
    id: str
    display_name: str
    token: str


@dataclasses.dataclass(frozen=True, slots=True)
class GuestView:
    id: str
    display_name: str
    created_at: datetime
    claimed_at: datetime | None
    revoked_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class EventView:
    kind: str
    role: str
    participant_id: str
    at: datetime
    seconds: int | None


def turn_credentials(secret: str, participant_id: str, expires_at: datetime) -> tuple[str, str]:
    """coturn's REST scheme (``use-auth-secret``): the username carries its own expiry."""
    username = f"{int(expires_at.timestamp())}:{participant_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


class MeetingService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        bookings: BookingService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._bookings = bookings
        self._clock = clock
        self.max_guests = MAX_GUESTS_WITH_SFU if settings.janus_urls else MAX_GUESTS

    # ---- who may enter ---------------------------------------------------------------------------

    async def admit_client(
        self, token: str, meeting_id: str | None = None, identity: ClientIdentity | None = None
    ) -> Admission:
        """The client by their manage link, identified where the meeting type asks for it. Who
        identified is shown to the host; if the booking belongs to someone else, the host is
        warned and must confirm before letting them in."""
        holder = identity.identity_hash if identity is not None else None
        view = await self._bookings.booking(ManageToken(token, holder), meeting_id)
        meeting = await self._meeting_of(view)
        if meeting.requires_identification and identity is None:
            raise IdentificationRequired()
        if identity is None:
            return Admission(meeting, "client", view.client_name, "client")
        mismatch = (
            meeting.client_identity_hash is not None
            and meeting.client_identity_hash != identity.identity_hash
        )
        shown = {
            "name": identity.name,
            "method": dict(identity.provider.names),
            "assurance": identity.assurance,
            "at": identity.authenticated_at.isoformat(),
            "mismatch": mismatch,
        }
        return Admission(meeting, "client", identity.name or view.client_name, "client", shown)

    async def admit_host(self, viewer: Viewer, meeting_id: str) -> Admission:
        require_role(viewer, Role.CASEWORKER, Role.ADMIN)
        view = await self._bookings.booking(viewer, meeting_id)
        # An admin may read the booking but only its caseworker hosts the meeting.
        if view.caseworker.id != viewer.user_id:
            raise Forbidden()
        meeting = await self._meeting_of(view)
        return Admission(meeting, "host", viewer.name, "host")

    async def admit_guest(self, token: str, *, used_link_ok: bool = False) -> Admission:
        """Check a guest link; ``claim_guest`` marks it used once the guest is in the room."""
        guest = await self._guest_by_token(token)
        if guest.claimed_at is not None and not used_link_ok:
            raise GuestLinkUsed()
        view = await self._bookings.booking_for_invited_guest(guest.booking_id)
        meeting = await self._meeting_of(view)
        return Admission(meeting, "guest", guest.display_name, f"guest:{guest.id}")

    async def claim_guest(self, token: str) -> None:
        """Use up a guest link; a second claim (another device, a forwarded link) is refused."""
        async with self._sessions.begin() as session:
            guest = await session.scalar(
                select(MeetingGuest)
                .where(MeetingGuest.token_hash == token_hash(token))
                .with_for_update()
            )
            if guest is None or guest.revoked_at is not None:
                raise NotFound()
            if guest.claimed_at is not None:
                raise GuestLinkUsed()
            guest.claimed_at = self._clock()

    def check_window(self, meeting: Meeting) -> None:
        """Raise unless the room is open now."""
        if meeting.cancelled:
            raise MeetingCancelled()
        now = self._clock()
        if now < meeting.opens_at:
            raise RoomNotOpen(meeting.opens_at)
        if now >= meeting.closes_at:
            raise MeetingOver()

    async def check_not_ended(self, meeting_id: str) -> None:
        async with self._sessions() as session:
            ended = await session.scalar(
                select(func.count())
                .select_from(MeetingEvent)
                .where(MeetingEvent.booking_id == meeting_id, MeetingEvent.kind == "ended")
            )
        if ended:
            raise MeetingOver()

    @property
    def has_turn(self) -> bool:
        return any(not url.startswith("stun:") for url in self._settings.turn_urls)

    def ice_configuration(self, meeting: Meeting, participant_id: str) -> dict[str, Any]:
        """The RTCConfiguration a participant uses: our TURN/STUN servers and the relay rule.

        A protected meeting is relay-only even when no TURN server is configured: then it cannot
        connect, which is the safe way to fail.
        """
        servers: list[dict[str, Any]] = []
        stun = [url for url in self._settings.turn_urls if url.startswith("stun:")]
        turn = [url for url in self._settings.turn_urls if not url.startswith("stun:")]
        if stun:
            servers.append({"urls": stun})
        if turn:
            username, password = turn_credentials(
                self._settings.turn_secret, participant_id, meeting.closes_at + TURN_MARGIN
            )
            servers.append({"urls": turn, "username": username, "credential": password})
        relay = meeting.protected or self._settings.video_relay_only
        return {"iceServers": servers, "iceTransportPolicy": "relay" if relay else "all"}

    # ---- the host's controls ---------------------------------------------------------------------

    async def meeting_for_host(self, viewer: Viewer, meeting_id: str) -> Meeting:
        return (await self.admit_host(viewer, meeting_id)).meeting

    async def set_protected(self, viewer: Viewer, meeting_id: str, protected: bool) -> Meeting:
        await self.admit_host(viewer, meeting_id)
        view = await self._bookings.set_protected(viewer, meeting_id, protected)
        return await self._meeting_of(view)

    async def invite_guest(
        self, viewer: Viewer, meeting_id: str, display_name: str
    ) -> GuestInvitation:
        meeting = await self.meeting_for_host(viewer, meeting_id)
        name = " ".join(display_name.split())
        if not name:
            raise ValidationFailed({"display_name": N_("Enter the participant's name.")})
        if len(name) > MAX_NAME_LENGTH:
            raise ValidationFailed({"display_name": N_("The name can be at most 80 characters.")})
        if self._clock() >= meeting.closes_at:
            raise MeetingOver()
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            invited = await self._live_guest_count(session, meeting_id)
            if invited >= self.max_guests:
                raise Conflict(TOO_MANY_GUESTS[self.max_guests])
            guest = MeetingGuest(
                booking_id=meeting_id,
                display_name=name,
                token_hash=token_hash(token),
                invited_by=viewer.user_id,
            )
            session.add(guest)
        return GuestInvitation(guest.id, name, token)

    async def revoke_guest(self, viewer: Viewer, meeting_id: str, guest_id: str) -> None:
        await self.meeting_for_host(viewer, meeting_id)
        async with self._sessions.begin() as session:
            guest = await session.get(MeetingGuest, guest_id)
            if guest is None or guest.booking_id != meeting_id:
                raise NotFound()
            if guest.revoked_at is None:
                guest.revoked_at = self._clock()

    async def guests(self, viewer: Viewer, meeting_id: str) -> list[GuestView]:
        await self.meeting_for_host(viewer, meeting_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingGuest)
                .where(MeetingGuest.booking_id == meeting_id)
                .order_by(MeetingGuest.created_at)
            )
            return [
                GuestView(row.id, row.display_name, row.created_at, row.claimed_at, row.revoked_at)
                for row in rows
            ]

    async def events(self, viewer: Viewer, meeting_id: str) -> list[EventView]:
        await self.meeting_for_host(viewer, meeting_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingEvent)
                .where(MeetingEvent.booking_id == meeting_id)
                .order_by(MeetingEvent.at, MeetingEvent.id)
            )
            return [
                EventView(row.kind, row.role, row.participant_id, row.at, row.seconds)
                for row in rows
            ]

    async def client_events_of_meetings(
        self, viewer: Viewer, meeting_ids: Sequence[str], purpose: str
    ) -> list[tuple[str, EventView]]:
        """When the client joined and left these meetings (meeting id, event), for an admin
        answering the client's access request. Other participants' events are theirs."""
        require_role(viewer, Role.ADMIN)
        if not meeting_ids:
            return []
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(MeetingEvent)
                    .where(
                        MeetingEvent.booking_id.in_(list(meeting_ids)),
                        MeetingEvent.role == "client",
                    )
                    .order_by(MeetingEvent.at, MeetingEvent.id)
                )
            ).all()
            AuditLog.add(
                session, viewer, "person.read", "meeting_event", [r.id for r in rows], purpose
            )
        return [
            (row.booking_id, EventView(row.kind, row.role, row.participant_id, row.at, row.seconds))
            for row in rows
        ]

    # ---- what the room reports -----------------------------------------------------------------

    async def record(
        self,
        meeting_id: str,
        kind: str,
        role: str,
        participant_id: str,
        at: datetime,
        seconds: int | None = None,
    ) -> None:
        """Keep one meeting event: metadata only, never content."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown meeting event {kind!r}")
        async with self._sessions.begin() as session:
            session.add(
                MeetingEvent(
                    booking_id=meeting_id,
                    kind=kind,
                    role=role,
                    participant_id=participant_id,
                    at=at,
                    seconds=seconds,
                )
            )

    # ---- helpers ---------------------------------------------------------------------------------

    async def _meeting_of(self, view: BookingView) -> Meeting:
        if view.mode != "video":
            raise NotAVideoMeeting()
        return Meeting(
            id=view.id,
            caseworker_id=view.caseworker.id,
            caseworker_name=view.caseworker.name,
            client_name=view.client_name,
            titles=dict(view.meeting_type.names),
            language=view.language,
            zone_name=view.zone_name,
            starts_at=view.start,
            ends_at=view.end,
            opens_at=view.start - timedelta(minutes=self._settings.video_open_minutes),
            closes_at=view.end + CLOSE_AFTER_END,
            protected=view.protected,
            cancelled=view.status == CANCELLED,
            requires_identification=view.meeting_type.requires_identification,
            network=view.meeting_type.network_meeting,
            client_identity_hash=view.client_identity_hash,
        )

    async def _guest_by_token(self, token: str) -> MeetingGuest:
        if not token or len(token) > 100:
            raise NotFound()
        async with self._sessions() as session:
            guest = await session.scalar(
                select(MeetingGuest).where(MeetingGuest.token_hash == token_hash(token))
            )
        if guest is None or guest.revoked_at is not None:
            raise NotFound()
        return guest

    @staticmethod
    async def _live_guest_count(session: AsyncSession, meeting_id: str) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(MeetingGuest)
            .where(MeetingGuest.booking_id == meeting_id, MeetingGuest.revoked_at.is_(None))
        )
        return int(count or 0)
