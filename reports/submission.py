"""The public concern report: checking it, storing it once, and its attachments.

A submission is one transaction: the reference number, the report, its attachments' rows and
the email receipt (written by the report listener, see reports/listener.py) are stored together
or not at all. Attachment files are encrypted and written before the transaction and removed
again if it does not commit, so a crash can leave at most an unreferenced encrypted file, never
a report without its files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import validators
from core.db import new_id
from core.errors import Conflict, NotAuthenticated, ValidationFailed
from core.i18n import N_
from core.uploads import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, Upload, check_uploads, media_type_of
from reports.deadlines import deadlines_for
from reports.listener import ReceiptRequested, ReportListener
from reports.models import ConcernReport, ReportAttachment, ReportSequence
from reports.records import AttachmentInfo, ReportRecords
from reports.schemas import ConcernReportIn

# Files may be added to a report through the API this long after it was sent.
ATTACHMENT_WINDOW = timedelta(minutes=30)
# Suspected violence, sexual abuse or honour-related abuse: first in the queue, and guardians
# must not be told before the authorities have acted.
URGENT_CATEGORIES = frozenset({"violence", "sexual_abuse", "honour_related"})


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


# ---- the submission ---------------------------------------------------------------------------


class ReportSubmission:
    """What the public may do: send a report once, add files to it, and see its receipt."""

    def __init__(self, records: ReportRecords, listener: ReportListener | None) -> None:
        self._records = records
        self._listener = listener

    def receipt_token(self, reference: str) -> str:
        key = hashlib.sha256(
            b"concern report receipt\0" + self._records.settings.secret_key.encode()
        )
        return hmac.new(key.digest(), reference.encode(), "sha256").hexdigest()[:32]

    def receipt_url(self, reference: str) -> str:
        return (
            f"{self._records.settings.base_url}/report-a-concern/receipt/{reference}"
            f"?token={self.receipt_token(reference)}"
        )

    def receipt_token_matches(self, reference: str, token: str) -> bool:
        return hmac.compare_digest(self.receipt_token(reference), token)

    def attachment_token(self, report_id: str) -> str:
        """What lets the sender of a report add files to it, for ATTACHMENT_WINDOW."""
        key = hashlib.sha256(
            b"concern report attachments\0" + self._records.settings.secret_key.encode()
        )
        return hmac.new(key.digest(), report_id.encode(), "sha256").hexdigest()

    async def add_attachment(self, reference: str, token: str, upload: Upload) -> AttachmentInfo:
        """Add a file to a report just sent, with the token its submission was answered with."""
        records = self._records
        async with records.sessions() as session:
            row = await session.scalar(
                select(ConcernReport).where(ConcernReport.reference == reference)
            )
        if row is None or not hmac.compare_digest(self.attachment_token(row.id), token):
            raise NotAuthenticated()
        if records.clock() - row.received_at > ATTACHMENT_WINDOW:
            raise Conflict(N_("Files can no longer be added to this report."))
        try:
            media_type = media_type_of(upload)
        except validators.InvalidValue as error:
            raise ValidationFailed({"file": str(error)}) from None
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed({"file": N_("The file is larger than 10 MB.")})
        blob_id = new_id()
        await records.run(records.write_files, [blob_id], [upload.data])
        try:
            async with records.sessions.begin() as session:
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
                    filename=records.cipher.encrypt_text(PurePath(upload.filename).name[:200]),
                    blob_id=blob_id,
                )
                session.add(attachment)
                await session.flush()
        except BaseException:
            records.delete_files([blob_id])
            raise
        return records.attachment_info(attachment)

    # ---- files staged on the report pages -----------------------------------------------------

    def _staged_signature(self, submission_id: str, fields: str) -> str:
        key = hashlib.sha256(
            b"concern report staged file\0" + self._records.settings.secret_key.encode()
        )
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
        await self._records.run(self._records.write_files, [blob_id], [upload.data])
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

    # ---- submitting ---------------------------------------------------------------------------

    async def submit(
        self,
        report: ConcernReportIn,
        uploads: Sequence[Upload] = (),
        staged: Sequence[StagedFile] = (),
    ) -> Submitted:
        """Store the report once: a repeat with the same submission id returns the first."""
        records = self._records
        existing = await self._find_submission(report.submission_id)
        if existing is not None:
            return existing
        report = check_report(report, records.settings.jurisdiction, records.today())
        if len(uploads) + len(staged) > MAX_ATTACHMENTS:
            raise ValidationFailed({"attachments": N_("Attach at most 5 files.")})
        media_types = check_uploads(uploads)
        blob_ids = [new_id() for _ in uploads]
        await records.run(records.write_files, blob_ids, [upload.data for upload in uploads])
        try:
            return await self._store(report, uploads, media_types, blob_ids, staged)
        except IntegrityError:
            # Another request with the same submission id committed first (PostgreSQL; SQLite
            # writers are serialized and find it in _store).
            records.delete_files(blob_ids)
            existing = await self._find_submission(report.submission_id)
            if existing is None:
                raise
            return existing
        except BaseException:
            records.delete_files(blob_ids)
            raise

    async def _store(
        self,
        report: ConcernReportIn,
        uploads: Sequence[Upload],
        media_types: Sequence[str],
        blob_ids: Sequence[str],
        staged: Sequence[StagedFile] = (),
    ) -> Submitted:
        records = self._records
        settings = records.settings
        now = records.clock()
        received_on = now.astimezone(settings.zone).date()
        deadlines = deadlines_for(received_on, settings.jurisdiction)
        content = report.model_dump_json().encode()
        encrypted = await records.run(records.cipher.encrypt, content)
        async with records.sessions.begin() as session:
            repeated = await session.scalar(
                select(ConcernReport).where(ConcernReport.submission_id == report.submission_id)
            )
            if repeated is not None:
                records.delete_files(blob_ids)
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
                jurisdiction=settings.jurisdiction,
                content=encrypted,
                received_at=now,
                updated_at=now,
                protection_due=deadlines.protection_assessment.due,
                decision_due=deadlines.decision.due,
                **records.person_hashes(report),
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
                        filename=records.cipher.encrypt_text(PurePath(upload.filename).name[:200]),
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
                        filename=records.cipher.encrypt_text(file.filename),
                        blob_id=file.blob_id,
                    )
                )
            if report.reporter.email and self._listener is not None:
                await self._listener.receipt_requested(
                    session,
                    ReceiptRequested(row.id, row.reference, report.reporter.email, report.language),
                )
        return Submitted(row.id, row.reference, created=True)

    async def _find_submission(self, submission_id: str) -> Submitted | None:
        async with self._records.sessions() as session:
            row = await session.scalar(
                select(ConcernReport).where(ConcernReport.submission_id == submission_id)
            )
        return None if row is None else Submitted(row.id, row.reference, created=False)


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
