"""Concern reports: checking and storing a report, the intake queue, and key rotation.

A submission is one transaction: the reference number, the report, its attachments' rows and
the email receipt (outbox) are stored together or not at all. Attachment files are encrypted and
written before the transaction and removed again if it does not commit, so a crash can leave at
most an unreferenced encrypted file, never a report without its files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import TypeVar

from sqlalchemy import Select, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from audit.service import AuditLog
from core.db import Sessions, new_id, utcnow
from core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.settings import Settings
from notifications import outbox
from notifications.models import OutboxMessage
from reports import validators
from reports.crypto import AttachmentStore, ReportCipher
from reports.deadlines import (
    DEADLINE_NAMES,
    INVESTIGATION_DECISION,
    PROTECTION_ASSESSMENT,
    SERVICE_NEEDS_DECISION,
    Deadline,
    deadlines_for,
)
from reports.models import (
    DECIDED,
    INVESTIGATION_NOT_OPENED,
    INVESTIGATION_OPENED,
    PROTECTION_ASSESSED,
    RECEIVED,
    ConcernReport,
    ReportAttachment,
    ReportEvent,
    ReportSequence,
)
from reports.schemas import ConcernReportIn

T = TypeVar("T")

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Files may be added to a report through the API this long after it was sent.
ATTACHMENT_WINDOW = timedelta(minutes=30)
# Suspected violence, sexual abuse or honour-related abuse: first in the queue, and guardians
# must not be told before the authorities have acted.
URGENT_CATEGORIES = frozenset({"violence", "sexual_abuse", "honour_related"})
# Which step may follow which: a decision needs a protection assessment first.
NEXT_STATUSES = {
    RECEIVED: {PROTECTION_ASSESSED},
    PROTECTION_ASSESSED: set(DECIDED),
}
_MEDIA_TYPES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}

__all__ = ["DEADLINE_NAMES", "ConcernReportService", "Upload", "check_report"]


@dataclasses.dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class StagedFile:
    """A file uploaded on the report pages before the report is sent: already encrypted in the
    file store, and carried in the form as ``value`` (signed, bound to the submission)."""

    blob_id: str
    media_type: str
    size: int
    filename: str
    value: str


@dataclasses.dataclass(frozen=True, slots=True)
class Submitted:
    report_id: str
    reference: str
    # False when this was a repeat of a submission already stored.
    created: bool


@dataclasses.dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: str
    filename: str
    media_type: str
    size: int


@dataclasses.dataclass(frozen=True, slots=True)
class EventInfo:
    at: datetime
    user_id: str | None
    kind: str
    status: str | None
    assignee_id: str | None
    note: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ReportSummary:
    reference: str
    status: str
    reporter_kind: str
    categories: list[str]
    urgency: int
    received_at: datetime
    assignee_id: str | None
    child_name: str
    deadlines: list[tuple[Deadline, bool]]


@dataclasses.dataclass(frozen=True, slots=True)
class ReportDetail:
    summary: ReportSummary
    report: ConcernReportIn
    attachments: list[AttachmentInfo]
    events: list[EventInfo]
    protection_assessed_at: datetime | None
    protection_assessed_by: str | None
    decided_at: datetime | None


# ---- checking a report ------------------------------------------------------------------------


def check_report(
    report: ConcernReportIn, country: validators.Country, today: date
) -> ConcernReportIn:
    """The report with numbers normalised, or ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}

    def clean(field: str, check: Callable[[], str | None]) -> str | None:
        try:
            return check()
        except validators.InvalidValue as error:
            errors[field] = str(error)
            return None

    reporter = report.reporter
    phone = _blank_to_none(reporter.phone)
    email = _blank_to_none(reporter.email)
    if report.reporter_kind == "professional":
        # A mandated reporter is never anonymous.
        for field in ("name", "role", "organisation"):
            if not _blank_to_none(getattr(reporter, field)):
                errors[f"reporter.{field}"] = N_("This field is required.")
        if not phone and not email:
            errors["reporter.phone"] = N_("Give a phone number or an email address.")
    reporter = reporter.model_copy(
        update={
            "phone": clean(
                "reporter.phone", lambda: phone and validators.phone_number(phone, country)
            ),
            "email": clean("reporter.email", lambda: email and validators.email_address(email)),
        }
    )

    child = report.child
    identity = _blank_to_none(child.identity_number)
    if identity:
        checked = clean(
            "child.identity_number",
            lambda: validators.identity_number(identity, country, today).value,
        )
        child = child.model_copy(update={"identity_number": checked})
    elif child.date_of_birth is None:
        errors["child.identity_number"] = N_(
            "Give the personal identity number or the date of birth."
        )
    if child.date_of_birth is not None:
        clean(
            "child.date_of_birth",
            lambda: str(validators.not_in_future(child.date_of_birth, today)),  # type: ignore[arg-type]
        )

    guardians = []
    for index, guardian in enumerate(report.guardians):
        g_phone = _blank_to_none(guardian.phone)
        g_email = _blank_to_none(guardian.email)
        guardians.append(
            guardian.model_copy(
                update={
                    "phone": clean(
                        f"guardians.{index}.phone",
                        lambda g_phone=g_phone: (
                            g_phone and validators.phone_number(g_phone, country)
                        ),  # type: ignore[misc]
                    ),
                    "email": clean(
                        f"guardians.{index}.email",
                        lambda g_email=g_email: g_email and validators.email_address(g_email),  # type: ignore[misc]
                    ),
                }
            )
        )
        if guardian.interpreter_needed and not _blank_to_none(guardian.interpreter_language):
            errors[f"guardians.{index}.interpreter_language"] = N_("Say which language.")

    informed = report.informed
    if not (informed.guardians_told and informed.child_told) and not _blank_to_none(
        informed.why_not
    ):
        errors["informed.why_not"] = N_("Say why they have not been told.")

    if errors:
        raise ValidationFailed(errors)
    return report.model_copy(update={"reporter": reporter, "child": child, "guardians": guardians})


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def media_type_of(upload: Upload) -> str:
    """The file's type read from its first bytes; its name must agree."""
    data = upload.data
    if data.startswith(b"%PDF-"):
        media_type = "application/pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    else:
        raise validators.InvalidValue(N_("The file must be a PDF, JPEG or PNG file."))
    if PurePath(upload.filename).suffix.lower() not in _MEDIA_TYPES[media_type]:
        raise validators.InvalidValue(N_("The file's name does not match what the file contains."))
    return media_type


def check_uploads(uploads: Sequence[Upload]) -> list[str]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationFailed({"attachments": N_("Attach at most 5 files.")})
    errors: dict[str, str] = {}
    media_types: list[str] = []
    for index, upload in enumerate(uploads):
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            errors[f"attachments.{index}"] = N_("The file is larger than 10 MB.")
            continue
        try:
            media_types.append(media_type_of(upload))
        except validators.InvalidValue as error:
            errors[f"attachments.{index}"] = str(error)
    if errors:
        raise ValidationFailed(errors)
    return media_types


# ---- the email receipt ------------------------------------------------------------------------

RECEIPT_TEXTS = {
    "fi": (
        "Lastensuojeluilmoitus vastaanotettu: {reference}",
        "Lastensuojeluilmoituksesi on vastaanotettu.\n\nViitenumero: {reference}\n\n"
        "Jos lapsi on välittömässä vaarassa, soita 112.\n",
    ),
    "sv": (
        "Orosanmälan mottagen: {reference}",
        "Din orosanmälan har tagits emot.\n\nReferensnummer: {reference}\n\n"
        "Om barnet är i akut fara, ring 112.\n",
    ),
    "en": (
        "Concern report received: {reference}",
        "Your concern report has been received.\n\nReference: {reference}\n\n"
        "If the child is in immediate danger, call 112.\n",
    ),
}


def receipt_message(report_id: str, reference: str, email: str, language: str) -> OutboxMessage:
    """The receipt says the reference and nothing else about the report or the child."""
    subject, body = RECEIPT_TEXTS.get(language, RECEIPT_TEXTS["fi"])
    return OutboxMessage(
        idempotency_key=f"concern-report:{report_id}:receipt",
        kind="concern-report-receipt",
        channel="email",
        recipient=email,
        language=language,
        subject=subject.format(reference=reference),
        body_text=body.format(reference=reference),
    )


# ---- feedback to the mandated reporter ---------------------------------------------------------

# What the law lets the reporter be told: only whether an investigation (Finland: a
# service-needs assessment) was opened, not opened, or is already ongoing.
FEEDBACK_OUTCOMES = {
    "opened": (INVESTIGATION_OPENED,),
    "not_opened": (INVESTIGATION_NOT_OPENED,),
    "ongoing": DECIDED,
}
FEEDBACK_TEXTS = {
    "fi": {
        "subject": "Lastensuojeluilmoituksesi {reference}",
        "opened": "Ilmoituksesi {reference} perusteella on aloitettu palvelutarpeen arviointi.",
        "not_opened": "Ilmoituksesi {reference} perusteella ei ole aloitettu palvelutarpeen "
        "arviointia.",
        "ongoing": "Lapsen asia oli jo vireillä, kun ilmoituksesi {reference} saapui.",
    },
    "sv": {
        "subject": "Din orosanmälan {reference}",
        "opened": "En utredning har inletts med anledning av din anmälan {reference}.",
        "not_opened": "Ingen utredning har inletts med anledning av din anmälan {reference}.",
        "ongoing": "En utredning om barnet pågick redan när din anmälan {reference} kom in.",
    },
    "en": {
        "subject": "Your concern report {reference}",
        "opened": "An investigation has been opened following your report {reference}.",
        "not_opened": "No investigation has been opened following your report {reference}.",
        "ongoing": "An investigation was already ongoing when your report {reference} arrived.",
    },
}


def feedback_text(outcome: str, reference: str, language: str) -> tuple[str, str]:
    texts = FEEDBACK_TEXTS.get(language, FEEDBACK_TEXTS["fi"])
    return texts["subject"].format(reference=reference), texts[outcome].format(reference=reference)


# ---- the service ------------------------------------------------------------------------------


class ConcernReportService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        *,
        executor: Executor | None = None,
        staff_exists: Callable[[str], Awaitable[bool]] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self.cipher = ReportCipher(settings.report_keys)
        self.store = AttachmentStore(settings.file_store, self.cipher)
        self._executor = executor
        self._staff_exists = staff_exists
        self._clock = clock

    def today(self) -> date:
        return self._clock().astimezone(self._settings.zone).date()

    def receipt_token(self, reference: str) -> str:
        key = hashlib.sha256(b"concern report receipt\0" + self._settings.secret_key.encode())
        return hmac.new(key.digest(), reference.encode(), "sha256").hexdigest()[:32]

    def receipt_url(self, reference: str) -> str:
        return (
            f"{self._settings.base_url}/report-a-concern/receipt/{reference}"
            f"?token={self.receipt_token(reference)}"
        )

    def receipt_token_matches(self, reference: str, token: str) -> bool:
        return hmac.compare_digest(self.receipt_token(reference), token)

    def attachment_token(self, report_id: str) -> str:
        """What lets the sender of a report add files to it, for ATTACHMENT_WINDOW."""
        key = hashlib.sha256(b"concern report attachments\0" + self._settings.secret_key.encode())
        return hmac.new(key.digest(), report_id.encode(), "sha256").hexdigest()

    async def add_attachment(self, reference: str, token: str, upload: Upload) -> AttachmentInfo:
        """Add a file to a report just sent, with the token its submission was answered with."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConcernReport).where(ConcernReport.reference == reference)
            )
        if row is None or not hmac.compare_digest(self.attachment_token(row.id), token):
            raise NotAuthenticated()
        if self._clock() - row.received_at > ATTACHMENT_WINDOW:
            raise Conflict(N_("Files can no longer be added to this report."))
        try:
            media_type = media_type_of(upload)
        except validators.InvalidValue as error:
            raise ValidationFailed({"file": str(error)}) from None
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed({"file": N_("The file is larger than 10 MB.")})
        blob_id = new_id()
        await self._run(self._write_files, [blob_id], [upload.data])
        try:
            async with self._sessions.begin() as session:
                # The report's row lock orders concurrent uploads (SQLite: the write lock).
                await session.execute(
                    select(ConcernReport.id).where(ConcernReport.id == row.id).with_for_update()
                )
                count = len(
                    (
                        await session.scalars(
                            select(ReportAttachment.id).where(ReportAttachment.report_id == row.id)
                        )
                    ).all()
                )
                if count >= MAX_ATTACHMENTS:
                    raise ValidationFailed({"file": N_("Attach at most 5 files.")})
                attachment = ReportAttachment(
                    report_id=row.id,
                    position=count,
                    media_type=media_type,
                    size=len(upload.data),
                    filename=self.cipher.encrypt_text(PurePath(upload.filename).name[:200]),
                    blob_id=blob_id,
                )
                session.add(attachment)
                await session.flush()
        except BaseException:
            self._delete_files([blob_id])
            raise
        return self._attachment_info(attachment)

    # ---- submitting ---------------------------------------------------------------------------

    def _staged_signature(self, submission_id: str, fields: str) -> str:
        key = hashlib.sha256(b"concern report staged file\0" + self._settings.secret_key.encode())
        return hmac.new(key.digest(), f"{submission_id}|{fields}".encode(), "sha256").hexdigest()

    async def stage(self, submission_id: str, upload: Upload) -> StagedFile:
        """Check and store a file of a report not sent yet (the pages' attachments step)."""
        try:
            media_type = media_type_of(upload)
        except validators.InvalidValue as error:
            raise ValidationFailed({"file": str(error)}) from None
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed({"file": N_("The file is larger than 10 MB.")})
        blob_id = new_id()
        await self._run(self._write_files, [blob_id], [upload.data])
        filename = PurePath(upload.filename).name[:200]
        fields = f"{blob_id}|{media_type}|{len(upload.data)}|{filename}"
        value = f"{self._staged_signature(submission_id, fields)}|{fields}"
        return StagedFile(blob_id, media_type, len(upload.data), filename, value)

    def staged_file(self, submission_id: str, value: str) -> StagedFile | None:
        """A staged file from its form value, or None if the value was not made for this report."""
        signature, _, fields = value.partition("|")
        parts = fields.split("|", 3)
        if len(parts) != 4 or not hmac.compare_digest(
            signature, self._staged_signature(submission_id, fields)
        ):
            return None
        blob_id, media_type, size, filename = parts
        return StagedFile(blob_id, media_type, int(size), filename, value)

    async def submit(
        self,
        report: ConcernReportIn,
        uploads: Sequence[Upload] = (),
        staged: Sequence[StagedFile] = (),
    ) -> Submitted:
        """Store the report once: a repeat with the same submission id returns the first."""
        existing = await self._find_submission(report.submission_id)
        if existing is not None:
            return existing
        report = check_report(report, self._settings.jurisdiction, self.today())
        if len(uploads) + len(staged) > MAX_ATTACHMENTS:
            raise ValidationFailed({"attachments": N_("Attach at most 5 files.")})
        media_types = check_uploads(uploads)
        blob_ids = [new_id() for _ in uploads]
        await self._run(self._write_files, blob_ids, [upload.data for upload in uploads])
        try:
            return await self._store(report, uploads, media_types, blob_ids, staged)
        except IntegrityError:
            # Another request with the same submission id committed first (PostgreSQL; SQLite
            # writers are serialized and find it in _store).
            self._delete_files(blob_ids)
            existing = await self._find_submission(report.submission_id)
            if existing is None:
                raise
            return existing
        except BaseException:
            self._delete_files(blob_ids)
            raise

    async def _store(
        self,
        report: ConcernReportIn,
        uploads: Sequence[Upload],
        media_types: Sequence[str],
        blob_ids: Sequence[str],
        staged: Sequence[StagedFile] = (),
    ) -> Submitted:
        now = self._clock()
        received_on = now.astimezone(self._settings.zone).date()
        deadlines = deadlines_for(received_on, self._settings.jurisdiction)
        content = report.model_dump_json().encode()
        encrypted = await self._run(self.cipher.encrypt, content)
        async with self._sessions.begin() as session:
            repeated = await session.scalar(
                select(ConcernReport).where(ConcernReport.submission_id == report.submission_id)
            )
            if repeated is not None:
                self._delete_files(blob_ids)
                return Submitted(repeated.id, repeated.reference, created=False)
            number = await _next_number(session, received_on.year)
            row = ConcernReport(
                id=new_id(),
                reference=f"OR-{received_on.year}-{number:06d}",
                year=received_on.year,
                number=number,
                submission_id=report.submission_id,
                reporter_kind=report.reporter_kind,
                categories=",".join(sorted(set(report.concern.categories))),
                urgency=1 if URGENT_CATEGORIES & set(report.concern.categories) else 0,
                language=report.language,
                jurisdiction=self._settings.jurisdiction,
                content=encrypted,
                received_at=now,
                updated_at=now,
                protection_due=deadlines.protection_assessment.due,
                decision_due=deadlines.decision.due,
            )
            session.add(row)
            await session.flush()
            for position, (upload, media_type, blob_id) in enumerate(
                zip(uploads, media_types, blob_ids, strict=True)
            ):
                session.add(
                    ReportAttachment(
                        report_id=row.id,
                        position=position,
                        media_type=media_type,
                        size=len(upload.data),
                        filename=self.cipher.encrypt_text(PurePath(upload.filename).name[:200]),
                        blob_id=blob_id,
                    )
                )
            for position, file in enumerate(staged, start=len(uploads)):
                session.add(
                    ReportAttachment(
                        report_id=row.id,
                        position=position,
                        media_type=file.media_type,
                        size=file.size,
                        filename=self.cipher.encrypt_text(file.filename),
                        blob_id=file.blob_id,
                    )
                )
            if report.reporter.email:
                await outbox.add(
                    session,
                    [
                        receipt_message(
                            row.id, row.reference, report.reporter.email, report.language
                        )
                    ],
                )
        return Submitted(row.id, row.reference, created=True)

    async def _find_submission(self, submission_id: str) -> Submitted | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConcernReport).where(ConcernReport.submission_id == submission_id)
            )
        return None if row is None else Submitted(row.id, row.reference, created=False)

    def _write_files(self, blob_ids: Sequence[str], contents: Sequence[bytes]) -> None:
        for blob_id, data in zip(blob_ids, contents, strict=True):
            self.store.write(blob_id, data)

    def _delete_files(self, blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            self.store.delete(blob_id)

    async def _run(self, function: Callable[..., T], *arguments: object) -> T:
        # Encrypting megabytes is CPU work: it goes to the app's executor, off the event loop.
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, function, *arguments
        )

    # ---- intake -------------------------------------------------------------------------------

    async def list_reports(
        self, viewer: Viewer, *, status: str | None = None, overdue: bool | None = None
    ) -> list[ReportSummary]:
        """The queue: most urgent first, then oldest first. Every listed report is logged."""
        viewer = require_role(viewer, Role.INTAKE, Role.CASEWORKER)
        query = self._visible(viewer)
        if status is not None:
            query = query.where(ConcernReport.status == status)
        today = self.today()
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    query.order_by(ConcernReport.urgency.desc(), ConcernReport.received_at)
                )
            ).all()
            summaries = [self._summary(row, today) for row in rows]
            if overdue is not None:
                summaries = [
                    summary
                    for summary in summaries
                    if any(late for _, late in summary.deadlines) == overdue
                ]
            AuditLog.add(
                session,
                viewer,
                "concern_report.list",
                "concern_report",
                [summary.reference for summary in summaries],
                "intake queue",
            )
        return summaries

    async def get_report(self, viewer: Viewer, reference: str) -> ReportDetail:
        viewer = require_role(viewer, Role.INTAKE, Role.CASEWORKER)
        async with self._sessions.begin() as session:
            row = await self._load(session, viewer, reference)
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "intake"
            )
            return self._detail(row)

    async def update_report(
        self,
        viewer: Viewer,
        reference: str,
        *,
        assignee_id: str | None = None,
        status: str | None = None,
        note: str | None = None,
    ) -> ReportDetail:
        viewer = require_role(viewer, Role.INTAKE)
        if assignee_id is not None and (
            self._staff_exists is None or not await self._staff_exists(assignee_id)
        ):
            raise ValidationFailed({"assignee_id": N_("There is no such staff member.")})
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await self._load(session, viewer, reference)
            if assignee_id is not None and assignee_id != row.assignee_id:
                row.assignee_id = assignee_id
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=now,
                        user_id=viewer.user_id,
                        kind="assigned",
                        assignee_id=assignee_id,
                    )
                )
            if status is not None and status != row.status:
                if status not in NEXT_STATUSES.get(row.status, set()):
                    raise Conflict(
                        N_("The report cannot move to that status from its current one.")
                    )
                row.status = status
                if status == PROTECTION_ASSESSED:
                    row.protection_assessed_at = now
                    row.protection_assessed_by = viewer.user_id
                else:
                    row.decided_at = now
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=now,
                        user_id=viewer.user_id,
                        kind="status",
                        status=status,
                        note=self.cipher.encrypt_text(note) if note else None,
                    )
                )
            elif note:
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=now,
                        user_id=viewer.user_id,
                        kind="note",
                        note=self.cipher.encrypt_text(note),
                    )
                )
            row.updated_at = now
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "intake"
            )
            await session.flush()
            row = await self._load(session, viewer, reference)
            return self._detail(row)

    async def record_meeting(self, viewer: Viewer, reference: str, note: str) -> None:
        """Note on the report that intake booked a meeting with the family (the booking itself
        is the booking service's; the note says when and with whom, encrypted)."""
        viewer = require_role(viewer, Role.INTAKE)
        async with self._sessions.begin() as session:
            row = await self._load(session, viewer, reference)
            session.add(
                ReportEvent(
                    report_id=row.id,
                    at=self._clock(),
                    user_id=viewer.user_id,
                    kind="meeting",
                    note=self.cipher.encrypt_text(note),
                )
            )
            row.updated_at = self._clock()

    async def attachment(
        self, viewer: Viewer, reference: str, attachment_id: str
    ) -> tuple[AttachmentInfo, bytes]:
        viewer = require_role(viewer, Role.INTAKE, Role.CASEWORKER)
        async with self._sessions.begin() as session:
            row = await self._load(session, viewer, reference)
            found = next((a for a in row.attachments if a.id == attachment_id), None)
            if found is None:
                raise NotFound()
            AuditLog.add(
                session,
                viewer,
                "concern_report.attachment",
                "concern_report",
                [reference],
                "intake",
            )
            info = self._attachment_info(found)
        return info, await self._run(self.store.read, found.blob_id)

    def _visible(self, viewer: Viewer) -> Select[ConcernReport]:
        query = select(ConcernReport)
        if viewer.role == Role.CASEWORKER:
            # Caseworkers see only the reports assigned to them.
            query = query.where(ConcernReport.assignee_id == viewer.user_id)
        return query

    async def _load(self, session: AsyncSession, viewer: Viewer, reference: str) -> ConcernReport:
        row = await session.scalar(
            self._visible(viewer)
            .where(ConcernReport.reference == reference)
            .options(selectinload(ConcernReport.attachments), selectinload(ConcernReport.events))
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise NotFound()
        return row

    def _content(self, row: ConcernReport) -> ConcernReportIn:
        return ConcernReportIn.model_validate_json(self.cipher.decrypt(row.content))

    def _summary(
        self, row: ConcernReport, today: date, content: ConcernReportIn | None = None
    ) -> ReportSummary:
        content = content or self._content(row)
        decision_kind = (
            SERVICE_NEEDS_DECISION if row.jurisdiction == "fi" else INVESTIGATION_DECISION
        )
        pending: list[tuple[Deadline, bool]] = []
        # Only the steps still to take have a deadline that can be missed.
        if row.status == RECEIVED:
            protection = Deadline(PROTECTION_ASSESSMENT, row.protection_due)
            pending.append((protection, protection.overdue(today)))
        if row.status not in DECIDED:
            decision = Deadline(decision_kind, row.decision_due)
            pending.append((decision, decision.overdue(today)))
        return ReportSummary(
            reference=row.reference,
            status=row.status,
            reporter_kind=row.reporter_kind,
            categories=[c for c in row.categories.split(",") if c],
            urgency=row.urgency,
            received_at=row.received_at,
            assignee_id=row.assignee_id,
            child_name=content.child.name,
            deadlines=pending,
        )

    def _detail(self, row: ConcernReport) -> ReportDetail:
        content = self._content(row)
        return ReportDetail(
            summary=self._summary(row, self.today(), content),
            report=content,
            attachments=[self._attachment_info(a) for a in row.attachments],
            events=[
                EventInfo(
                    at=event.at,
                    user_id=event.user_id,
                    kind=event.kind,
                    status=event.status,
                    assignee_id=event.assignee_id,
                    note=self.cipher.decrypt_text(event.note) if event.note else None,
                )
                for event in row.events
            ],
            protection_assessed_at=row.protection_assessed_at,
            protection_assessed_by=row.protection_assessed_by,
            decided_at=row.decided_at,
        )

    def _attachment_info(self, row: ReportAttachment) -> AttachmentInfo:
        return AttachmentInfo(
            row.id, self.cipher.decrypt_text(row.filename), row.media_type, row.size
        )

    # ---- retention ----------------------------------------------------------------------------

    async def delete_expired(self) -> list[str]:
        """Delete reports that led to nothing once the retention period has passed since the
        decision; returns their references. Each deletion is written to the access log."""
        cutoff = self._clock() - timedelta(days=self._settings.report_retention_days)
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(ConcernReport)
                    .where(
                        ConcernReport.status == INVESTIGATION_NOT_OPENED,
                        ConcernReport.decided_at < cutoff,
                    )
                    .options(selectinload(ConcernReport.attachments))
                )
            ).all()
            if not rows:
                return []
            ids = [row.id for row in rows]
            blob_ids = [attachment.blob_id for row in rows for attachment in row.attachments]
            await session.execute(delete(ReportEvent).where(ReportEvent.report_id.in_(ids)))
            await session.execute(
                delete(ReportAttachment).where(ReportAttachment.report_id.in_(ids))
            )
            await session.execute(delete(ConcernReport).where(ConcernReport.id.in_(ids)))
            references = [row.reference for row in rows]
            AuditLog.add_system(
                session, "concern_report.deleted", "concern_report", references, "retention"
            )
        # The rows are gone first: a file left behind by a crash is unreadable without its row.
        await self._run(self._delete_files, blob_ids)
        return references

    # ---- feedback to the mandated reporter ---------------------------------------------------

    async def feedback(
        self, viewer: Viewer, reference: str, outcome: str, *, confirmed: bool
    ) -> tuple[str, str]:
        """The message for the mandated reporter; queued for sending only when ``confirmed``."""
        viewer = require_role(viewer, Role.INTAKE)
        async with self._sessions.begin() as session:
            row = await self._load(session, viewer, reference)
            content = self._content(row)
            email = content.reporter.email
            if row.reporter_kind != "professional" or not email:
                raise Conflict(N_("Only a professional who gave an email address gets feedback."))
            if row.status not in FEEDBACK_OUTCOMES[outcome]:
                raise Conflict(N_("Record the decision before sending feedback."))
            subject, text = feedback_text(outcome, row.reference, row.language)
            if confirmed:
                await outbox.add(
                    session,
                    [
                        OutboxMessage(
                            idempotency_key=f"concern-report:{row.id}:feedback",
                            kind="concern-report-feedback",
                            channel="email",
                            recipient=email,
                            language=row.language,
                            subject=subject,
                            body_text=text,
                        )
                    ],
                )
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=self._clock(),
                        user_id=viewer.user_id,
                        kind="feedback",
                        note=self.cipher.encrypt_text(text),
                    )
                )
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "feedback"
            )
        return subject, text

    # ---- files of reports never sent ---------------------------------------------------------

    async def delete_unsent_files(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Remove files uploaded on the report pages whose report was never sent.

        Run by the scheduler; a file younger than ``older_than`` may still be on its way.
        """
        async with self._sessions() as session:
            known = set(await session.scalars(select(ReportAttachment.blob_id)))
        cutoff = self._clock().timestamp() - older_than.total_seconds()
        return await self._run(self._delete_orphans, known, cutoff)

    def _delete_orphans(self, known: set[str], cutoff: float) -> int:
        orphans = [
            blob_id
            for blob_id in self.store.blob_ids()
            if blob_id not in known and self.store.modified_at(blob_id) < cutoff
        ]
        self._delete_files(orphans)
        return len(orphans)

    # ---- key rotation -------------------------------------------------------------------------

    async def reencrypt(self) -> int:
        """Encrypt every report, note, file name and file with the newest key; returns the count.

        Run after putting a new key first in ``KOHTAAMO_REPORT_KEYS``; once it has finished, the
        old keys can be removed. Safe to run again (it only re-encrypts).
        """
        count = 0
        async with self._sessions.begin() as session:
            for report in await session.scalars(select(ConcernReport)):
                report.content = self.cipher.rotate(report.content)
                count += 1
            for attachment in await session.scalars(select(ReportAttachment)):
                attachment.filename = self.cipher.rotate(attachment.filename)
                await self._run(self.store.rotate, attachment.blob_id)
                count += 1
            for event in await session.scalars(select(ReportEvent)):
                if event.note is not None:
                    event.note = self.cipher.rotate(event.note)
                    count += 1
        return count


async def _next_number(session: AsyncSession, year: int) -> int:
    """The next number of ``year``: one atomic upsert, so two reports never share one.

    On PostgreSQL the upsert locks the year's row until the transaction ends; on SQLite the
    writing transaction holds the database's write lock (core.db). A transaction that rolls
    back gives its number back.
    """
    connection = await session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ReportSequence)
        .values(year=year, last=1)
        .on_conflict_do_update(
            index_elements=[ReportSequence.year], set_={"last": ReportSequence.last + 1}
        )
        .returning(ReportSequence.last)
    )
    return int((await session.execute(statement)).scalar_one())
