"""The identified client's own pages: their bookings across units, their messages (messaging/)
and who has read their data.

Every method takes the identified person (``Person``: the keyed hash of their identity code,
from their identified session) and returns only what is theirs: bookings that belong to them
(made identified, or given their identity code by the caseworker), and the staff entries of the
access log about those bookings. The client data act (703/2023) gives the client the right to
know who has read their data; a read by the client themself is not shown as one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from accounts.organisation import UnitInfo
from accounts.service import AccountService
from assessments.service import AssessmentService, ResultView
from assessments.templates import Template
from audit.service import AuditLog
from booking.models import CONFIRMED
from booking.person_data import OwnBooking
from booking.service import BookingService
from booking.types import BookingView
from core.db import utcnow
from core.errors import NotFound
from core.principal import Role
from documents.service import DocumentService
from messaging.service import MessagingService


@dataclasses.dataclass(frozen=True, slots=True)
class Person:
    """Who is on their own pages: strong identification's keyed hash of the identity code."""

    identity_hash: str
    name: str
    identity_code: str


@dataclasses.dataclass(frozen=True, slots=True)
class Overview:
    upcoming: list[OwnBooking]
    past: list[OwnBooking]


@dataclasses.dataclass(frozen=True, slots=True)
class AnsweredQuestionnaire:
    """One questionnaire the person has filled, each time they filled it, oldest first."""

    template: Template
    results: list[tuple[BookingView, ResultView]]


@dataclasses.dataclass(frozen=True, slots=True)
class StaffRead:
    """One read of the person's data, as the client sees it: when, what, by whom (role, unit)."""

    at: datetime
    action: str
    subject_type: str
    subject_id: str
    role: Role | None
    unit: UnitInfo | None


class MyPagesService:
    def __init__(
        self,
        bookings: BookingService,
        audit: AuditLog,
        accounts: AccountService,
        messages: MessagingService,
        documents: DocumentService,
        assessments: AssessmentService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._bookings = bookings
        self._audit = audit
        self._accounts = accounts
        self._messages = messages
        self._documents = documents
        self._assessments = assessments
        self._clock = clock

    async def overview(self, person: Person) -> Overview:
        own = await self._bookings.own_bookings(person.identity_hash)
        now = self._clock()

        def upcoming(item: OwnBooking) -> bool:
            return item.booking.status == CONFIRMED and item.booking.end > now

        return Overview(
            upcoming=sorted((b for b in own if upcoming(b)), key=lambda b: b.booking.start),
            past=[b for b in own if not upcoming(b)],
        )

    async def questionnaires(self, person: Person) -> list[AnsweredQuestionnaire]:
        """What the person has answered (before meetings, in them, or their caseworker for them),
        questionnaire by questionnaire, in the order of their meetings."""
        bookings = {
            item.booking.id: item.booking
            for item in await self._bookings.own_bookings(person.identity_hash)
        }
        by_template: dict[str, list[tuple[BookingView, ResultView]]] = {}
        for result in await self._assessments.own_results(list(bookings)):
            by_template.setdefault(result.template_id, []).append(
                (bookings[result.booking_id], result)
            )
        found = []
        for template_id, results in by_template.items():
            try:
                template = self._assessments.template(template_id)
            except NotFound:
                continue  # a questionnaire no longer offered: its answers are in the export
            results.sort(key=lambda pair: (pair[0].start, pair[1].submitted_at))
            found.append(AnsweredQuestionnaire(template, results))
        return found

    async def unread_messages(self, person: Person) -> int:
        return await self._messages.unread_count(person)

    async def reads(self, person: Person) -> list[StaffRead]:
        """Every staff read of the person's bookings, messages and documents, newest first."""
        own = await self._bookings.own_bookings(person.identity_hash)
        booking_ids = [item.booking.id for item in own]
        records = await self._audit.staff_reads_of(
            {
                "booking": booking_ids,
                "assessment_result": await self._assessments.result_ids_of_bookings(booking_ids),
                "message_thread": await self._messages.thread_ids(person),
                "shared_document": await self._documents.document_ids(person),
            }
        )
        staff = {
            member.id: member
            for member in await self._accounts.staff_members(
                sorted({record.user_id for record in records if record.user_id})
            )
        }
        units = {unit.id: unit for unit in await self._accounts.organisation.units()}
        reads = []
        for record in reversed(records):
            member = staff.get(record.user_id or "")
            unit = units.get(member.unit_id or "") if member is not None else None
            role = member.role if member is not None else None
            reads.append(
                StaffRead(
                    record.at, record.action, record.subject_type, record.subject_id, role, unit
                )
            )
        return reads
