"""Making a booking: the request checked, a caseworker chosen (the fairest, for a unit), the row
stored unless another booking won the time, and the change announced.

The no-double-booking rule is held by the database where it can hold it: on PostgreSQL an
exclusion constraint over each caseworker's buffered ranges (migration 0002); on SQLite every
transaction holds the write lock from its start (core.db), so the overlap re-check below and the
insert cannot interleave with another booking.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import StaffMember
from availability.slots import buffered, is_bookable
from booking.client_checks import check_answers, check_client
from booking.confirmations import CONFIRMATION_MEMORY_SECONDS
from booking.models import CANCELLED, CONFIRMED, Booking, BookingSubmission
from booking.records import CASEWORKER_LOCK, BookingRecords, ChangeContext
from booking.slot_search import SlotSearch, rules_of
from booking.types import BookingCreated, BookingRequest, ClientDetails, SlotTaken
from calendars.meeting_types import MeetingTypeInfo
from core.crypto import token_hash
from core.db import new_id
from core.errors import ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.settings import Settings


class NewBookings:
    def __init__(self, records: BookingRecords, slots: SlotSearch, settings: Settings) -> None:
        self._records = records
        self._slots = slots
        self._settings = settings

    async def book(
        self, request: BookingRequest, *, submission: str | None = None
    ) -> BookingCreated:
        """Book, or with ``submission``, give the booking a form already made under it."""
        if submission is None:
            return await self._book(request, None)
        made = await self._submitted(submission)
        if made is not None:
            return made
        try:
            return await self._book(request, submission)
        except (SlotTaken, ValidationFailed):
            # A repeat that lost to the first send (on another instance, say) finds its booking
            # now: the time or the client's limit is taken by it.
            made = await self._submitted(submission)
            if made is None:
                raise
            return made

    async def _submitted(self, submission: str) -> BookingCreated | None:
        async with self._records.sessions() as session:
            found = (
                await session.execute(
                    select(BookingSubmission.manage_token, Booking)
                    .join(Booking, Booking.id == BookingSubmission.booking_id)
                    .where(
                        BookingSubmission.key == submission,
                        BookingSubmission.expires_at > self._records.clock(),
                    )
                )
            ).first()
        if found is None:
            return None
        token, row = found
        return BookingCreated(await self._records.view(row), token)

    async def _book(self, request: BookingRequest, submission: str | None) -> BookingCreated:
        meeting_type, people = await self._slots.caseworkers_offering(
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
            answers = check_answers(meeting_type, request.answers)
        except ValidationFailed as error:
            fields.update(error.fields)
        start = request.start.astimezone(UTC)
        now = self._records.clock()
        if start <= now:
            fields["start"] = N_("Choose a time in the future.")
        if fields:
            raise ValidationFailed(fields)

        rules = rules_of(meeting_type)
        window = (start - timedelta(days=1), start + timedelta(days=1))
        calendar_only = await self._records.calendars.availability(
            [person.id for person in people], *window
        )
        if not any(
            is_bookable(availability, rules, start, now) for availability in calendar_only.values()
        ):
            raise ValidationFailed(
                {"start": N_("This time cannot be booked. Choose one of the free times.")}
            )
        if request.unit_id is None:
            # One caseworker: the overlap check in the booking's transaction decides, and
            # reading their bookings first would only ask the same question once more.
            candidates = list(people)
        else:
            with_bookings = await self._slots.with_bookings(calendar_only, *window)
            candidates = [
                person
                for person in people
                if is_bookable(with_bookings[person.id], rules, start, now)
            ]
            if not candidates:
                raise SlotTaken(await self._slots.alternatives(meeting_type, people, start))
            candidates = await self._fairest_first(candidates, start)

        client_key = self._records.client_key(client)
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
                client_email_hash=self._records.hasher.email(client.email),
                client_phone_hash=self._records.hasher.phone(client.phone),
                client_identity_code=request.identity_code,
                client_identity_hash=self._records.hasher.identity_code(request.identity_code),
                answers=answers,
                manage_token_hash=token_hash(token),
                ical_uid=f"{uuid.uuid4()}@kohtaamo",
                status=CONFIRMED,
                status_changed_at=now,
            )
            blocked = buffered(row.starts_at, row.ends_at, rules)
            row.blocked_from, row.blocked_until = blocked.start, blocked.end
            context = await self._records.context(
                meeting_type, person, calendar_only[person.id].zone
            )
            if await self._insert(row, context, token, submission):
                return BookingCreated(context.present(row), token)
        raise SlotTaken(await self._slots.alternatives(meeting_type, people, start))

    async def has_live_booking(self, client_email: str) -> bool:
        """Whether someone with this email holds a confirmed booking (the demo's idempotency)."""
        client_key = self._records.client_key(ClientDetails(name="", email=client_email.strip()))
        async with self._records.sessions() as session:
            found = await session.scalar(
                select(Booking.id)
                .where(Booking.client_key == client_key, Booking.status == CONFIRMED)
                .limit(1)
            )
        return found is not None

    async def _insert(
        self, row: Booking, context: ChangeContext, token: str, submission: str | None
    ) -> bool:
        """Store the booking unless it overlaps a live one; False when another booking won
        (or, with ``submission``, another send of the same form)."""
        try:
            async with self._records.sessions.begin() as session:
                await self._lock_client_and_caseworker(session, row)
                await self._check_client_limit(session, row.client_key, context.meeting_type)
                if await self._records.overlaps(session, row, locked=True):
                    return False
                session.add(row)
                await session.flush()
                if submission is not None:
                    await self._remember(session, submission, row, token)
                await self._records.announce(
                    session, "created", context.present(row), context.unit, token
                )
        except IntegrityError:
            # PostgreSQL's exclusion constraint: a concurrent booking committed first.
            return False
        return True

    async def _remember(
        self, session: AsyncSession, submission: str, row: Booking, token: str
    ) -> None:
        """Keep the form's booking for a repeat; the key is the table's primary key, so of two
        sends racing on two instances only one commits."""
        now = self._records.clock()
        # Forgotten ones go here rather than in a job: a few rows, each a few minutes old.
        await session.execute(delete(BookingSubmission).where(BookingSubmission.expires_at <= now))
        session.add(
            BookingSubmission(
                key=submission,
                booking_id=row.id,
                manage_token=token,
                expires_at=now + timedelta(seconds=CONFIRMATION_MEMORY_SECONDS),
            )
        )
        await session.flush()

    async def _lock_client_and_caseworker(self, session: AsyncSession, row: Booking) -> None:
        # Two concurrent bookings by one client must not both pass the per-client limit, and the
        # caseworker's lock queues the overlap check (BookingRecords.overlaps); one round trip
        # takes both, always the client's first. SQLite's write lock already does both.
        if not self._settings.is_sqlite:
            await session.execute(
                text(f"SELECT pg_advisory_xact_lock(hashtext(:key)), {CASEWORKER_LOCK}"),
                {"key": row.client_key, "caseworker": row.caseworker_id},
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
                Booking.ends_at > self._records.clock(),
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

    async def _fairest_first(
        self, people: Sequence[StaffMember], start: datetime
    ) -> list[StaffMember]:
        """Unit bookings go to whoever has the fewest bookings in that week (Monday to Sunday)."""
        zone = self._settings.zone
        local = start.astimezone(zone)
        monday = datetime.combine(
            local.date() - timedelta(days=local.weekday()), datetime.min.time(), zone
        )
        async with self._records.sessions() as session:
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
