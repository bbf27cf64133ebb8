"""Bookings: free slots, booking, rescheduling, cancelling, outcomes; never two overlapping.

The no-double-booking rule is held by the database where it can hold it: on PostgreSQL an
exclusion constraint over each caseworker's buffered ranges (migration 0002); on SQLite every
transaction holds the write lock from its start (core.db), so the overlap re-check below and the
insert cannot interleave with another booking.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import AccountService, StaffMember, UnitInfo
from audit.service import AuditLog
from availability.slots import (
    Availability,
    Interval,
    Slot,
    SlotRules,
    buffered,
    free_slots,
    is_bookable,
    nearest_free,
)
from booking.invitation import Invitation, calendar_feed_ics, invitation_ics
from booking.models import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW, Booking
from calendars.service import CalendarService, MeetingTypeInfo
from core.db import Sessions, new_id, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.principal import Role, Viewer
from core.settings import Settings

MAX_SEARCH_DAYS = 62
ALTERNATIVES_AROUND = timedelta(days=7)
MAX_ANSWER_LENGTH = 2000
LIVE_STATUSES = (CONFIRMED, COMPLETED, NO_SHOW)


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


@dataclasses.dataclass(frozen=True, slots=True)
class ManageToken:
    """The client's secret manage link token: the only way a client reaches a booking."""

    value: str


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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    @property
    def is_upcoming(self) -> bool:
        return self.status == CONFIRMED and self.start > datetime.now(UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class BookingChange:
    """What happened to a booking, with everything a notice about it needs."""

    kind: Literal["created", "rescheduled", "cancelled"]
    booking: BookingView
    unit: UnitInfo | None
    ics: bytes
    # The client's links; None when the change was made without the client's token.
    manage_url: str | None
    join_url: str | None


class BookingChangeListener(Protocol):
    async def booking_changed(self, session: AsyncSession, change: BookingChange) -> None:
        """Called inside the change's transaction: what it writes commits or rolls back with it."""


@dataclasses.dataclass(frozen=True, slots=True)
class BookingCreated:
    booking: BookingView
    manage_token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_phone(raw: str) -> str:
    """A phone number in E.164, read as Finnish when it has no country code."""
    try:
        number = phonenumbers.parse(raw, "FI")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            {"client.phone": N_("Enter a phone number, like 040 123 4567 or +46 70 123 45 67.")}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_client(client: ClientDetails, *, mode: str | None = None) -> ClientDetails:
    """The client's details normalised (email, phone in E.164), or ValidationFailed naming each
    bad ``client.*`` field. A phone meeting needs a phone number."""
    fields: dict[str, str] = {}
    name = " ".join(client.name.split())
    if not name:
        fields["client.name"] = N_("Enter your name.")
    elif len(name) > 200:
        fields["client.name"] = N_("The name must be at most 200 characters long.")
    email = (client.email or "").strip() or None
    phone = (client.phone or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            fields["client.email"] = N_(
                "Enter an email address in the correct format, like name@example.com."
            )
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except ValidationFailed as error:
            fields.update(error.fields)
    if email is None and phone is None:
        fields["client.contact"] = N_(
            "Give an email address or a phone number, so that we can reach you."
        )
    elif mode == "phone" and phone is None:
        fields["client.phone"] = N_("Give a phone number, so that the caseworker can call you.")
    if fields:
        raise ValidationFailed(fields)
    return ClientDetails(name=name, email=email, phone=phone)


def _check_answers(meeting_type: MeetingTypeInfo, answers: Mapping[str, str]) -> dict[str, str]:
    questions = {question.id: question for question in meeting_type.pre_meeting_questions}
    fields: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None or not meeting_type.asks_pre_meeting_form:
            fields[f"answers.{key}"] = N_("This question is not asked for this meeting.")
        elif len(value) > MAX_ANSWER_LENGTH:
            fields[f"answers.{key}"] = N_("The answer must be at most 2000 characters long.")
        elif question.kind == "yes_no" and value not in ("yes", "no", ""):
            fields[f"answers.{key}"] = N_("Answer yes or no.")
        elif value.strip():
            clean[key] = value.strip()
    if fields:
        raise ValidationFailed(fields)
    return clean


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
class _Context:
    meeting_type: MeetingTypeInfo
    person: StaffMember
    zone_name: str
    unit: UnitInfo | None

    def present(self, row: Booking) -> BookingView:
        return _present(row, self.meeting_type, self.person, self.zone_name)


def _present(
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
    )


class BookingService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        accounts: AccountService,
        calendars: CalendarService,
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
        listener: BookingChangeListener | None = None,
    ) -> None:
        self._listener = listener
        self._sessions = sessions
        self._settings = settings
        self._accounts = accounts
        self._calendars = calendars
        self._audit = audit
        self._clock = clock

    # ---- who offers what -----------------------------------------------------------------------

    async def caseworkers_offering(
        self, meeting_type_id: str, *, caseworker_id: str | None, unit_id: str | None
    ) -> tuple[MeetingTypeInfo, list[StaffMember]]:
        """The meeting type and the caseworkers who may take it for this request, or 422."""
        if (caseworker_id is None) == (unit_id is None):
            raise ValidationFailed({"caseworker_id": N_("Choose a caseworker or a unit.")})
        try:
            meeting_type = await self._calendars.meeting_type(meeting_type_id)
        except NotFound:
            raise ValidationFailed(
                {"meeting_type_id": N_("Choose one of the meeting types offered.")}
            ) from None
        if caseworker_id is not None:
            people = await self._accounts.caseworkers(caseworker_ids=[caseworker_id])
            if not people:
                raise ValidationFailed(
                    {"caseworker_id": N_("Choose one of the caseworkers listed.")}
                )
        else:
            people = await self._accounts.caseworkers(unit_id=unit_id)
            if not people:
                raise ValidationFailed({"unit_id": N_("Choose one of the units listed.")})
        offered = await self._calendars.meeting_types_for(
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

    # ---- free slots ------------------------------------------------------------------------------

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
        """Free slots on these local days; ``ignore_booking`` frees the time of a booking being moved."""
        if last_day < first_day:
            raise ValidationFailed({"to": N_("The end date must not be before the start date.")})
        if (last_day - first_day).days + 1 > MAX_SEARCH_DAYS:
            raise ValidationFailed({"to": N_("Search at most 62 days at a time.")})
        meeting_type, people = await self.caseworkers_offering(
            meeting_type_id, caseworker_id=caseworker_id, unit_id=unit_id
        )
        window_start = datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(days=1)
        window_end = datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(days=2)
        calendar = await self._calendars.availability(
            [person.id for person in people], window_start, window_end
        )
        availabilities = await self._with_bookings(
            calendar, window_start, window_end, ignore_booking=ignore_booking
        )
        rules = rules_of(meeting_type)
        now = self._clock()
        found: list[Slot] = []
        for availability in availabilities.values():
            found.extend(free_slots(availability, rules, first_day, last_day, now))
        found.sort(key=lambda slot: (slot.start, slot.caseworker_id))
        return found

    async def _availability(
        self, caseworker_ids: Sequence[str], window_start: datetime, window_end: datetime
    ) -> dict[str, Availability]:
        """Calendar availability with the live bookings added to what blocks."""
        calendar = await self._calendars.availability(caseworker_ids, window_start, window_end)
        return await self._with_bookings(calendar, window_start, window_end)

    async def _with_bookings(
        self,
        availabilities: Mapping[str, Availability],
        window_start: datetime,
        window_end: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> dict[str, Availability]:
        async with self._sessions() as session:
            query = select(
                Booking.caseworker_id, Booking.blocked_from, Booking.blocked_until
            ).where(
                Booking.caseworker_id.in_(list(availabilities)),
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

    async def _alternatives(
        self, meeting_type: MeetingTypeInfo, people: Sequence[StaffMember], wanted: datetime
    ) -> list[Slot]:
        availabilities = await self._availability(
            [person.id for person in people],
            wanted - ALTERNATIVES_AROUND,
            wanted + ALTERNATIVES_AROUND,
        )
        rules = rules_of(meeting_type)
        now = self._clock()
        first_day, last_day = (
            (wanted - ALTERNATIVES_AROUND).date(),
            (wanted + ALTERNATIVES_AROUND).date(),
        )
        candidates = sorted(
            (
                slot
                for availability in availabilities.values()
                for slot in free_slots(availability, rules, first_day, last_day, now)
            ),
            key=lambda slot: (slot.start, slot.caseworker_id),
        )
        return nearest_free(candidates, wanted)

    # ---- booking ---------------------------------------------------------------------------------

    async def book(self, request: BookingRequest) -> BookingCreated:
        meeting_type, people = await self.caseworkers_offering(
            request.meeting_type_id, caseworker_id=request.caseworker_id, unit_id=request.unit_id
        )
        fields: dict[str, str] = {}
        if request.mode not in meeting_type.modes:
            fields["mode"] = N_("Choose one of the ways of meeting offered.")
        if request.language not in SUPPORTED_LANGUAGES:
            fields["language"] = N_("Choose Finnish, Swedish or English.")
        try:
            client = check_client(request.client, mode=request.mode)
        except ValidationFailed as error:
            fields.update(error.fields)
        try:
            answers = _check_answers(meeting_type, request.answers)
        except ValidationFailed as error:
            fields.update(error.fields)
        start = request.start.astimezone(UTC)
        now = self._clock()
        if start <= now:
            fields["start"] = N_("Choose a time in the future.")
        if fields:
            raise ValidationFailed(fields)

        rules = rules_of(meeting_type)
        window = (start - timedelta(days=1), start + timedelta(days=1))
        calendar_only = await self._calendars.availability(
            [person.id for person in people], *window
        )
        if not any(
            is_bookable(availability, rules, start, now) for availability in calendar_only.values()
        ):
            raise ValidationFailed(
                {"start": N_("This time cannot be booked. Choose one of the free times.")}
            )
        with_bookings = await self._with_bookings(calendar_only, *window)
        candidates = [
            person for person in people if is_bookable(with_bookings[person.id], rules, start, now)
        ]
        if not candidates:
            raise SlotTaken(await self._alternatives(meeting_type, people, start))
        if request.unit_id is not None:
            candidates = await self._fairest_first(candidates, start)

        client_key = self._client_key(client)
        for person in candidates:
            token = secrets.token_urlsafe(32)
            row = Booking(
                id=new_id(),
                created_at=now.astimezone(UTC),
                caseworker_id=person.id,
                meeting_type_id=meeting_type.id,
                assigned_from_unit_id=request.unit_id,
                starts_at=start,
                ends_at=start + rules.duration,
                mode=request.mode,
                language=request.language,
                client_name=client.name,
                client_email=client.email,
                client_phone=client.phone,
                client_key=client_key,
                answers=answers,
                manage_token_hash=_token_hash(token),
                ical_uid=f"{uuid.uuid4()}@kohtaamo",
                status=CONFIRMED,
                status_changed_at=now,
            )
            blocked = buffered(row.starts_at, row.ends_at, rules)
            row.blocked_from, row.blocked_until = blocked.start, blocked.end
            context = await self._context(meeting_type, person)
            if await self._insert(row, context, token):
                return BookingCreated(context.present(row), token)
        raise SlotTaken(await self._alternatives(meeting_type, people, start))

    async def _insert(self, row: Booking, context: _Context, token: str) -> bool:
        """Store the booking unless it overlaps a live one; False when another booking won."""
        try:
            async with self._sessions.begin() as session:
                await self._lock_client(session, row.client_key)
                await self._check_client_limit(session, row.client_key, context.meeting_type)
                if await self._overlaps(session, row):
                    return False
                session.add(row)
                await session.flush()
                await self._announce(session, "created", context.present(row), context.unit, token)
        except IntegrityError:
            # PostgreSQL's exclusion constraint: a concurrent booking committed first.
            return False
        return True

    async def _lock_client(self, session: AsyncSession, client_key: str) -> None:
        # Two concurrent bookings by one client must not both pass the per-client limit.
        if not self._settings.is_sqlite:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": client_key}
            )

    async def _check_client_limit(
        self, session: AsyncSession, client_key: str, meeting_type: MeetingTypeInfo
    ) -> None:
        held = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.client_key == client_key,
                Booking.meeting_type_id == meeting_type.id,
                Booking.status == CONFIRMED,
                Booking.ends_at > self._clock(),
            )
        )
        if (held or 0) >= meeting_type.max_active_bookings_per_client:
            raise ValidationFailed(
                {
                    "client.contact": N_(
                        "You already have as many bookings of this kind as you can hold at once. "
                        "Change or cancel an existing booking instead."
                    )
                }
            )

    @staticmethod
    async def _overlaps(session: AsyncSession, row: Booking) -> bool:
        query = select(Booking.id).where(
            Booking.caseworker_id == row.caseworker_id,
            Booking.status != CANCELLED,
            Booking.blocked_from < row.blocked_until,
            Booking.blocked_until > row.blocked_from,
        )
        if row.id is not None:
            query = query.where(Booking.id != row.id)
        return (await session.scalar(query.limit(1))) is not None

    async def _fairest_first(
        self, people: Sequence[StaffMember], start: datetime
    ) -> list[StaffMember]:
        """Unit bookings go to whoever has the fewest bookings in that week (Monday to Sunday)."""
        local = start.astimezone(self._settings.zone)
        monday = datetime.combine(
            local.date() - timedelta(days=local.weekday()), datetime.min.time(), self._settings.zone
        )
        async with self._sessions() as session:
            counts = dict(
                (
                    await session.execute(
                        select(Booking.caseworker_id, func.count())
                        .where(
                            Booking.caseworker_id.in_([person.id for person in people]),
                            Booking.status != CANCELLED,
                            Booking.starts_at >= monday,
                            Booking.starts_at < monday + timedelta(days=7),
                        )
                        .group_by(Booking.caseworker_id)
                    )
                ).all()
            )
        return sorted(people, key=lambda person: (counts.get(person.id, 0), person.name, person.id))

    def _client_key(self, client: ClientDetails) -> str:
        identity = (client.email or "").lower() or (client.phone or "")
        return hmac.new(
            self._settings.secret_key.encode(), identity.encode(), hashlib.sha256
        ).hexdigest()

    async def _announce(
        self,
        session: AsyncSession,
        kind: Literal["created", "rescheduled", "cancelled"],
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
            ics=self.invitation_ics(view, token),
            manage_url=self.manage_url(token) if token else None,
            join_url=self.join_url(token) if token and view.mode == "video" else None,
        )
        await self._listener.booking_changed(session, change)

    # ---- reading ---------------------------------------------------------------------------------

    async def has_live_booking(self, client_email: str) -> bool:
        """Whether someone with this email holds a confirmed booking (the demo's idempotency)."""
        client_key = self._client_key(ClientDetails(name="", email=client_email.strip()))
        async with self._sessions() as session:
            found = await session.scalar(
                select(Booking.id)
                .where(Booking.client_key == client_key, Booking.status == CONFIRMED)
                .limit(1)
            )
        return found is not None

    async def booking(self, access: Access, booking_id: str | None = None) -> BookingView:
        """One booking, for its client (by manage token) or its caseworker or an admin."""
        async with self._sessions.begin() as session:
            row = await self._authorised_row(session, access, booking_id)
            if isinstance(access, Viewer):
                self._audit.add(
                    session, access, "booking.read", "booking", [row.id], "client meeting"
                )
        return await self._view(row)

    async def booking_for_invited_guest(self, booking_id: str) -> BookingView:
        """A booking for the video service, which has checked a guest's invitation link itself.

        Not in the staff access log: the guest is no staff member and is shown only the meeting's
        title, time and participants' names.
        """
        async with self._sessions() as session:
            row = await session.get(Booking, booking_id)
        if row is None:
            raise NotFound()
        return await self._view(row)

    async def _authorised_row(
        self, session: AsyncSession, access: Access, booking_id: str | None
    ) -> Booking:
        if isinstance(access, ManageToken):
            if not access.value or len(access.value) > 100:
                raise NotFound()
            row = await session.scalar(
                select(Booking).where(Booking.manage_token_hash == _token_hash(access.value))
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

    async def agenda(self, viewer: Viewer, first_day: date, last_day: date) -> list[BookingView]:
        """The caseworker's bookings on these days (in their own zone), cancelled ones included."""
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        if last_day < first_day or (last_day - first_day).days + 1 > MAX_SEARCH_DAYS:
            raise ValidationFailed({"to": N_("Search at most 62 days at a time.")})
        zone = ZoneInfo(await self._calendars.time_zone_of(viewer.user_id))
        start = datetime.combine(first_day, datetime.min.time(), zone)
        end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
        async with self._sessions.begin() as session:
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
            self._audit.add(
                session, viewer, "booking.list", "booking", [row.id for row in rows], "own agenda"
            )
        return await self._views(rows)

    async def feed(self, caseworker_id: str) -> bytes:
        """The caseworker's subscription feed: their live bookings from 30 days back."""
        since = self._clock() - timedelta(days=30)
        async with self._sessions.begin() as session:
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
            self._audit.add(
                session,
                Viewer(caseworker_id, "", "", Role.CASEWORKER, ""),
                "booking.feed",
                "booking",
                [row.id for row in rows],
                "calendar subscription",
            )
        views = await self._views(rows)
        zone_name = await self._calendars.time_zone_of(caseworker_id)
        person = await self._accounts.staff_member(caseworker_id)
        return calendar_feed_ics(
            f"Kohtaamo – {person.name}",
            zone_name,
            [self.invitation(view, for_caseworker=True) for view in views],
        )

    # ---- changing ----------------------------------------------------------------------------------

    async def cancel(
        self, access: Access, reason: str = "", booking_id: str | None = None
    ) -> BookingView:
        reason = reason.strip()
        if len(reason) > 1000:
            raise ValidationFailed(
                {"reason": N_("The message must be at most 1000 characters long.")}
            )
        async with self._sessions() as session:
            current = await self._authorised_row(session, access, booking_id)
        context = await self._context(
            await self._calendars.meeting_type(current.meeting_type_id),
            await self._accounts.staff_member(current.caseworker_id),
        )
        async with self._sessions.begin() as session:
            row = await self._authorised_row(session, access, current.id)
            if row.status != CONFIRMED:
                raise Conflict(N_("This booking has already been cancelled or has taken place."))
            if isinstance(access, ManageToken) and row.starts_at <= self._clock():
                raise Conflict(N_("A meeting that has already started cannot be cancelled here."))
            row.status = CANCELLED
            row.cancelled_by = "client" if isinstance(access, ManageToken) else "caseworker"
            row.cancel_reason = reason or None
            row.status_changed_at = self._clock()
            row.ical_sequence += 1
            view = context.present(row)
            token = access.value if isinstance(access, ManageToken) else None
            await self._announce(session, "cancelled", view, context.unit, token)
        return view

    async def reschedule(
        self, access: Access, new_start: datetime, booking_id: str | None = None
    ) -> BookingView:
        """Move the booking in one step: the client never holds none or two."""
        async with self._sessions() as session:
            current = await self._authorised_row(session, access, booking_id)
        if current.status != CONFIRMED or current.starts_at <= self._clock():
            raise Conflict(N_("Only a booking that has not yet started can be moved."))
        meeting_type = await self._calendars.meeting_type(current.meeting_type_id)
        rules = rules_of(meeting_type)
        start = new_start.astimezone(UTC)
        now = self._clock()
        window = (start - timedelta(days=1), start + timedelta(days=1))
        calendar_only = await self._calendars.availability([current.caseworker_id], *window)
        if start <= now or not is_bookable(calendar_only[current.caseworker_id], rules, start, now):
            raise ValidationFailed(
                {"start": N_("This time cannot be booked. Choose one of the free times.")}
            )
        others = await self._with_bookings(calendar_only, *window, ignore_booking=current.id)
        person = await self._accounts.staff_member(current.caseworker_id)
        if not is_bookable(others[current.caseworker_id], rules, start, now):
            raise SlotTaken(await self._alternatives(meeting_type, [person], start))
        blocked = buffered(start, start + rules.duration, rules)
        context = await self._context(meeting_type, person)
        try:
            async with self._sessions.begin() as session:
                row = await self._authorised_row(session, access, current.id)
                if row.status != CONFIRMED:
                    raise Conflict(N_("Only a booking that has not yet started can be moved."))
                row.starts_at, row.ends_at = start, start + rules.duration
                row.blocked_from, row.blocked_until = blocked.start, blocked.end
                if await self._overlaps(session, row):
                    raise SlotTaken([])
                row.ical_sequence += 1
                await session.flush()
                view = context.present(row)
                token = access.value if isinstance(access, ManageToken) else None
                await self._announce(session, "rescheduled", view, context.unit, token)
        except IntegrityError:
            raise SlotTaken(await self._alternatives(meeting_type, [person], start)) from None
        return view

    async def record_outcome(
        self, viewer: Viewer, booking_id: str, outcome: Literal["completed", "no_show"]
    ) -> BookingView:
        async with self._sessions.begin() as session:
            row = await self._authorised_row(session, viewer, booking_id)
            if viewer.role is not Role.CASEWORKER:
                raise Forbidden()
            if row.status == CANCELLED:
                raise Conflict(N_("This booking has been cancelled."))
            if row.starts_at > self._clock():
                raise Conflict(N_("The outcome can be recorded once the meeting has started."))
            row.status = COMPLETED if outcome == "completed" else NO_SHOW
            row.status_changed_at = self._clock()
        return await self._view(row)

    async def set_protected(self, viewer: Viewer, booking_id: str, protected: bool) -> BookingView:
        """Mark the client as protected (or not); only the booking's caseworker may."""
        async with self._sessions.begin() as session:
            row = await self._authorised_row(session, viewer, booking_id)
            if viewer.role is not Role.CASEWORKER:
                raise Forbidden()
            row.protected = protected
        return await self._view(row)

    # ---- presenting --------------------------------------------------------------------------------

    async def _view(self, row: Booking) -> BookingView:
        [view] = await self._views([row])
        return view

    async def _views(self, rows: Sequence[Booking]) -> list[BookingView]:
        """Views of many bookings with one lookup each for meeting types, people and zones."""
        caseworker_ids = sorted({row.caseworker_id for row in rows})
        meeting_types = await self._calendars.meeting_types_by_id(
            {row.meeting_type_id for row in rows}
        )
        people = {
            person.id: person for person in await self._accounts.staff_members(caseworker_ids)
        }
        zones = await self._calendars.time_zones_of(caseworker_ids)
        return [
            _present(
                row,
                meeting_types[row.meeting_type_id],
                people[row.caseworker_id],
                zones[row.caseworker_id].key,
            )
            for row in rows
        ]

    async def _context(self, meeting_type: MeetingTypeInfo, person: StaffMember) -> _Context:
        """What presenting and announcing a booking needs, read before its write transaction.

        On SQLite a second connection inside a write transaction would wait for that very
        transaction's lock, so nothing inside one may open another session.
        """
        zone = (await self._calendars.time_zones_of([person.id]))[person.id]
        unit = next(
            (unit for unit in await self._accounts.units() if unit.id == person.unit_id), None
        )
        return _Context(meeting_type, person, zone.key, unit)

    def manage_url(self, token: str) -> str:
        return f"{self._settings.base_url}/manage/{token}"

    def join_url(self, token: str) -> str:
        return f"{self._settings.base_url}/manage/{token}/join"

    def invitation(
        self, view: BookingView, *, manage_token: str | None = None, for_caseworker: bool = False
    ) -> Invitation:
        """The booking as a calendar entry; it holds nothing the client did not type themself."""
        language = view.language
        summary = f"{view.meeting_type.name_in(language)} – {view.caseworker.name}"
        if for_caseworker:
            summary = f"{view.meeting_type.name_in('fi')} – {view.client_name}"
        lines = []
        location = None
        if view.mode == "in_person":
            location = view.meeting_type.address
        if manage_token is not None:
            if view.mode == "video":
                lines.append(f"Video: {self.join_url(manage_token)}")
                location = self.join_url(manage_token)
            lines.append(f"Manage / Hallinnoi / Hantera: {self.manage_url(manage_token)}")
        elif for_caseworker:
            lines.append(f"{self._settings.base_url}/caseworker/bookings/{view.id}")
        return Invitation(
            uid=view.ical_uid,
            sequence=view.ical_sequence,
            start=view.start,
            end=view.end,
            zone_name=view.zone_name,
            summary=summary,
            location=location,
            description="\n".join(lines),
            organizer_name=view.caseworker.name,
            organizer_email=view.caseworker.email,
            attendee_name=view.client_name,
            attendee_email=view.client_email,
            status="CANCELLED" if view.status == CANCELLED else "CONFIRMED",
            created=view.created_at,
        )

    def invitation_ics(self, view: BookingView, manage_token: str | None = None) -> bytes:
        method: Literal["REQUEST", "CANCEL"] = "CANCEL" if view.status == CANCELLED else "REQUEST"
        return invitation_ics(self.invitation(view, manage_token=manage_token), method)

    # ---- for assessments/ (a client's results over time) ------------------------------------------

    async def bookings_of_same_client(self, viewer: Viewer, booking_id: str) -> list[str]:
        """Ids of this booking and the same client's earlier ones with the same caseworker,
        oldest first. Only the booking's own caseworker may ask; the client is matched by the
        keyed hash of their email or phone, never by name."""
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        async with self._sessions() as session:
            row = await self._authorised_row(session, viewer, booking_id)
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
