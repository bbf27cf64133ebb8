"""The person's rights from one place: everything the service holds about one person, found by
their email, phone or identity code, and erased on request where the law allows.

An admin answers a request under the GDPR (article 15, access; article 17, erasure) and the
Finnish client data act (who has read my data). The identifiers are never searched as such: each
is turned into its keyed hash (core/lookup.py) and every package finds its own rows by the
hashes, through its service. A similar name never matches; only the same address, number or
code does. Each package logs what it showed as read, under the purpose given here, so the
export itself appears in the access log, as does each erasure with its reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from accounts.service import AccountService
from assessments.service import AssessmentService, ResultView
from audit.service import AccessRecord, AuditLog
from booking.service import BookingService
from booking.types import BookingView
from core import validators
from core.db import utcnow
from core.errors import ValidationFailed
from core.i18n import N_
from core.lookup import PersonHasher
from core.principal import Role, Viewer, require_role
from notifications.person_data import MessageRecord, PersonMessages
from publicinfo.feedback import AccessibilityFeedbackQueue, FeedbackView
from reports.person_data import PersonReport
from reports.service import ConcernReportService
from video.service import EventView, MeetingService

SEARCH_PURPOSE = "personal data request"
EXPORT_PURPOSE = "access request export"
MAX_REASON = 80  # the access log's purpose column
MAX_IDENTIFIER = 320


@dataclasses.dataclass(frozen=True, slots=True)
class PersonQuery:
    """Whom to find: any of the three, as typed."""

    email: str = ""
    phone: str = ""
    identity_code: str = ""

    def checked(self) -> PersonQuery:
        errors: dict[str, str] = {}
        email, phone, code = (self.email.strip(), self.phone.strip(), self.identity_code.strip())
        if not (email or phone or code):
            errors["email"] = N_("Give an email address, a phone number or an identity code.")
        for name, value in (("email", email), ("phone", phone), ("identity_code", code)):
            if len(value) > MAX_IDENTIFIER:
                errors[name] = N_("This is too long.")
        if email and "email" not in errors:
            try:
                validators.email_address(email)
            except validators.InvalidValue as error:
                errors["email"] = str(error)
        if phone and "phone" not in errors and sum(c.isdigit() for c in phone) < 5:
            errors["phone"] = N_("Enter a phone number, like 040 123 4567.")
        if errors:
            raise ValidationFailed(errors)
        return PersonQuery(email, phone, code)


@dataclasses.dataclass(frozen=True, slots=True)
class ClientHeld:
    threads: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    documents: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    consents: list[dict[str, Any]] = dataclasses.field(default_factory=list)


class ClientRecords(Protocol):
    async def held(
        self,
        viewer: Viewer,
        identity_hash: str,
        bookings: Sequence[BookingView],
        purpose: str,
    ) -> ClientHeld:
        """What the identified client's own features hold about the person (read, logged)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Read:
    """One access-log entry about the person's data, with the reader's name."""

    record: AccessRecord
    reader: str


@dataclasses.dataclass(frozen=True, slots=True)
class PersonalData:
    query: PersonQuery
    found_at: datetime
    bookings: list[BookingView]
    assessments: list[ResultView]
    meeting_events: list[tuple[str, EventView]]
    messages: list[MessageRecord]
    reports: list[PersonReport]
    reads: list[Read]
    # What identification's features hold (by identity code only): message threads with
    # units, documents shared with the person, and their consent log.
    threads: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    documents: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    consents: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Accessibility feedback whose contact is the email or phone searched.
    feedback: list[FeedbackView] = dataclasses.field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.bookings
            or self.messages
            or self.reports
            or self.threads
            or self.documents
            or self.feedback
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "searched_by": {k: v for k, v in dataclasses.asdict(self.query).items() if v},
            "found_at": self.found_at.isoformat(),
            "bookings": [_booking_json(view) for view in self.bookings],
            "assessments": [result.as_json() for result in self.assessments],
            "meeting_events": [
                {
                    "booking_id": booking_id,
                    "kind": event.kind,
                    "at": event.at.isoformat(),
                    "seconds": event.seconds,
                }
                for booking_id, event in self.meeting_events
            ],
            "messages": [message.as_json() for message in self.messages],
            "concern_reports": [report.as_json() for report in self.reports],
            "message_threads": self.threads,
            "shared_documents": self.documents,
            "consents": self.consents,
            "accessibility_feedback": [
                {
                    "received_at": item.received_at.isoformat(),
                    "page": item.page,
                    "message": item.message,
                    "name": item.name,
                    "contact": item.contact,
                    "answered_at": item.answered_at.isoformat() if item.answered_at else None,
                }
                for item in self.feedback
            ],
            "access_log": [
                {
                    "at": read.record.at.isoformat(),
                    "reader": read.reader,
                    "action": read.record.action,
                    "item": f"{read.record.subject_type} {read.record.subject_id}",
                    "purpose": read.record.purpose,
                }
                for read in self.reads
            ],
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Erasure:
    bookings: int
    messages: int
    # What stays, and why (shown to the admin): upcoming meetings and concern reports.
    kept_upcoming_bookings: int
    kept_reports: int
    feedback: int = 0


class PersonalDataService:
    def __init__(
        self,
        hasher: PersonHasher,
        accounts: AccountService,
        audit: AuditLog,
        bookings: BookingService,
        assessments: AssessmentService,
        meetings: MeetingService,
        messages: PersonMessages,
        reports: ConcernReportService,
        client_records: ClientRecords | None = None,
        clock: Callable[[], datetime] = utcnow,
        feedback: AccessibilityFeedbackQueue | None = None,
    ) -> None:
        self._hasher = hasher
        self._accounts = accounts
        self._audit = audit
        self._bookings = bookings
        self._assessments = assessments
        self._meetings = meetings
        self._messages = messages
        self._reports = reports
        self._client_records = client_records
        self._clock = clock
        self._feedback = feedback

    async def find(
        self, viewer: Viewer, query: PersonQuery, *, purpose: str = SEARCH_PURPOSE
    ) -> PersonalData:
        require_role(viewer, Role.ADMIN)
        query = query.checked()
        contacts = self._contact_hashes(query)
        identity = self._hasher.identity_code(query.identity_code)
        bookings = await self._bookings.bookings_of_person(
            viewer, [*contacts, *([identity] if identity else [])], purpose
        )
        booking_ids = [view.id for view in bookings]
        assessments = await self._assessments.results_of_bookings(viewer, booking_ids, purpose)
        events = await self._meetings.client_events_of_meetings(viewer, booking_ids, purpose)
        messages = await self._messages.of_person(viewer, contacts, booking_ids, purpose)
        reports = await self._reports.reports_of_person(viewer, contacts, identity, purpose)
        held = ClientHeld()
        if identity and self._client_records is not None:
            held = await self._client_records.held(viewer, identity, bookings, purpose)
        feedback: list[FeedbackView] = []
        if self._feedback is not None and (query.email or query.phone):
            feedback = await self._feedback.of_person(viewer, query.email, query.phone, purpose)
        reads = await self._reads(
            viewer,
            {
                "booking": booking_ids,
                "assessment_result": [result.id for result in assessments],
                "outbox_message": [message.id for message in messages],
                "concern_report": [report.reference for report in reports],
                "message_thread": [thread["id"] for thread in held.threads],
                "shared_document": [document["id"] for document in held.documents],
                "accessibility_feedback": [item.id for item in feedback],
            },
        )
        return PersonalData(
            query,
            self._clock(),
            bookings,
            assessments,
            events,
            messages,
            reports,
            reads,
            held.threads,
            held.documents,
            held.consents,
            feedback,
        )

    async def export(self, viewer: Viewer, query: PersonQuery) -> PersonalData:
        """What ``find`` finds, read for handing over: logged as an access request's export."""
        return await self.find(viewer, query, purpose=EXPORT_PURPOSE)

    async def erase(self, viewer: Viewer, query: PersonQuery, reason: str) -> Erasure:
        """Erase the person's past bookings (with what refers to them) and the content of the
        messages sent to them. Upcoming meetings and concern reports stay (docs/privacy.md)."""
        require_role(viewer, Role.ADMIN)
        reason = " ".join(reason.split())
        errors: dict[str, str] = {}
        if not reason:
            errors["reason"] = N_("Say why the data is erased (for example the request's date).")
        elif len(reason) > MAX_REASON:
            errors["reason"] = N_("Keep the reason to 80 characters.")
        try:
            query = query.checked()
        except ValidationFailed as error:
            errors = {**error.fields, **errors}
        if errors:
            raise ValidationFailed(errors)
        found = await self.find(viewer, query, purpose=f"erasure: {reason}"[:MAX_REASON])
        erased = await self._bookings.erase_bookings(
            viewer, [view.id for view in found.bookings], reason
        )
        messages = await self._messages.erase(viewer, self._contact_hashes(query), reason)
        feedback = 0
        if self._feedback is not None and (query.email or query.phone):
            feedback = await self._feedback.erase_of_person(
                viewer, query.email, query.phone, reason
            )
        return Erasure(
            bookings=len(erased.erased),
            messages=messages,
            kept_upcoming_bookings=len(erased.kept_upcoming),
            kept_reports=len(found.reports),
            feedback=feedback,
        )

    def _contact_hashes(self, query: PersonQuery) -> list[str]:
        hashes = (self._hasher.email(query.email), self._hasher.phone(query.phone))
        return [value for value in hashes if value]

    async def _reads(self, viewer: Viewer, subjects: dict[str, list[str]]) -> list[Read]:
        records = await self._audit.reads_of(viewer, subjects)
        names = {
            person.id: person.name
            for person in await self._accounts.staff_members(
                sorted({r.user_id for r in records if r.user_id})
            )
        }
        return [
            Read(record, names.get(record.user_id or "", record.actor_kind)) for record in records
        ]


def _booking_json(view: BookingView) -> dict[str, Any]:
    return {
        "id": view.id,
        "status": view.status,
        "start": view.start.isoformat(),
        "end": view.end.isoformat(),
        "time_zone": view.zone_name,
        "caseworker": view.caseworker.name,
        "meeting_type": view.meeting_type.name_in(view.language),
        "mode": view.mode,
        "language": view.language,
        "name": view.client_name,
        "email": view.client_email,
        "phone": view.client_phone,
        "answers": view.answers,
        "cancelled_by": view.cancelled_by,
        "cancel_reason": view.cancel_reason,
        "created_at": view.created_at.isoformat(),
    }
