"""Concern reports: the one service the routes, the pages and the scheduler call.

``ConcernReportService`` keeps the public face of the package and hands each job to its part:

- reports/submission.py — the public report: checking it, storing it once, its attachments;
- reports/intake.py — the queue, reading, assigning, statuses, notes, the family meeting;
- reports/feedback.py — feedback to the mandated reporter;
- reports/retention.py — deleting what may no longer be kept;
- reports/key_rotation.py — encrypting everything again with the newest key.

The parts share one ``ReportRecords`` (reports/records.py): the database, the cipher, the file
store and the clock. Messages to reporters go through a ``ReportListener``
(reports/listener.py), which notifications implements.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime, timedelta

from core.db import Sessions, utcnow
from core.lookup import PersonHasher
from core.principal import Viewer
from core.settings import Settings
from core.uploads import Upload
from reports import key_rotation
from reports.counts import ReportCounting, ReportCounts
from reports.feedback import ReporterFeedback
from reports.intake import ReportIntake
from reports.listener import ReportListener
from reports.person_data import PersonReport, PersonReports
from reports.records import AttachmentInfo, ReportDetail, ReportRecords, ReportSummary
from reports.retention import ReportRetention
from reports.schemas import ConcernReportIn
from reports.submission import ReportSubmission, StagedFile, Submitted


class ConcernReportService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        hasher: PersonHasher,
        *,
        executor: Executor | None = None,
        staff_exists: Callable[[str], Awaitable[bool]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        listener: ReportListener | None = None,
    ) -> None:
        self._clock = clock
        self._records = ReportRecords(
            sessions, settings, hasher, executor=executor, clock=self._now
        )
        self.cipher = self._records.cipher
        self.store = self._records.store
        self._submission = ReportSubmission(self._records, listener)
        self._intake = ReportIntake(self._records, staff_exists)
        self._feedback = ReporterFeedback(self._records, listener)
        self._retention = ReportRetention(self._records)
        self._person_reports = PersonReports(self._records)
        self._counting = ReportCounting(self._records)

    def _now(self) -> datetime:
        # The parts read the time through here, so replacing this service's clock (as tests
        # that travel in time do) moves all of them at once.
        return self._clock()

    def today(self) -> date:
        return self._records.today()

    # ---- the public report (reports/submission.py) --------------------------------------------

    def receipt_token(self, reference: str) -> str:
        return self._submission.receipt_token(reference)

    def receipt_url(self, reference: str) -> str:
        return self._submission.receipt_url(reference)

    def receipt_token_matches(self, reference: str, token: str) -> bool:
        return self._submission.receipt_token_matches(reference, token)

    def attachment_token(self, report_id: str) -> str:
        """What lets the sender of a report add files to it, for a while after sending it."""
        return self._submission.attachment_token(report_id)

    async def add_attachment(self, reference: str, token: str, upload: Upload) -> AttachmentInfo:
        """Add a file to a report just sent, with the token its submission was answered with."""
        return await self._submission.add_attachment(reference, token, upload)

    async def stage(self, submission_id: str, upload: Upload) -> StagedFile:
        """Check and store a file of a report not sent yet (the pages' attachments step)."""
        return await self._submission.stage(submission_id, upload)

    def staged_file(self, submission_id: str, value: str) -> StagedFile | None:
        """A staged file from its form value, or None if the value was not made for this report."""
        return self._submission.staged_file(submission_id, value)

    async def submit(
        self,
        report: ConcernReportIn,
        uploads: Sequence[Upload] = (),
        staged: Sequence[StagedFile] = (),
    ) -> Submitted:
        """Store the report once: a repeat with the same submission id returns the first."""
        return await self._submission.submit(report, uploads, staged)

    # ---- intake (reports/intake.py) -----------------------------------------------------------

    async def list_reports(
        self, viewer: Viewer, *, status: str | None = None, overdue: bool | None = None
    ) -> list[ReportSummary]:
        """The queue: most urgent first, then oldest first. Every listed report is logged."""
        return await self._intake.list_reports(viewer, status=status, overdue=overdue)

    async def get_report(self, viewer: Viewer, reference: str) -> ReportDetail:
        return await self._intake.get_report(viewer, reference)

    async def update_report(
        self,
        viewer: Viewer,
        reference: str,
        *,
        assignee_id: str | None = None,
        status: str | None = None,
        note: str | None = None,
    ) -> ReportDetail:
        return await self._intake.update_report(
            viewer, reference, assignee_id=assignee_id, status=status, note=note
        )

    async def record_meeting(self, viewer: Viewer, reference: str, note: str) -> None:
        """Note on the report that intake booked a meeting with the family."""
        await self._intake.record_meeting(viewer, reference, note)

    async def attachment(
        self, viewer: Viewer, reference: str, attachment_id: str
    ) -> tuple[AttachmentInfo, bytes]:
        return await self._intake.attachment(viewer, reference, attachment_id)

    # ---- feedback to the mandated reporter (reports/feedback.py) ------------------------------

    async def feedback(
        self, viewer: Viewer, reference: str, outcome: str, *, confirmed: bool
    ) -> tuple[str, str]:
        """The message for the mandated reporter; queued for sending only when ``confirmed``."""
        return await self._feedback.feedback(viewer, reference, outcome, confirmed=confirmed)

    # ---- retention (reports/retention.py) and key rotation (reports/key_rotation.py) ----------

    async def reports_of_person(
        self,
        viewer: Viewer,
        contact_hashes: Sequence[str],
        identity_hash: str | None,
        purpose: str,
    ) -> list[PersonReport]:
        return await self._person_reports.of_person(viewer, contact_hashes, identity_hash, purpose)

    async def counts(self, start: datetime, end: datetime) -> ReportCounts:
        """Numbers of the reports received in [start, end), for the statistics (figures/); the
        caller has checked the viewer may see them."""
        return await self._counting.received_between(start, end)

    async def delete_expired(self) -> list[str]:
        """Delete reports that led to nothing once the retention period has passed since the
        decision; returns their references. Each deletion is written to the access log."""
        return await self._retention.delete_expired()

    async def delete_unsent_files(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Remove files uploaded on the report pages whose report was never sent."""
        return await self._retention.delete_unsent_files(older_than)

    async def reencrypt(self) -> int:
        """Encrypt every report, note, file name and file with the newest key; returns the count.

        Run after putting a new key first in ``KOHTAAMO_REPORT_KEYS``; once it has finished, the
        old keys can be removed. Safe to run again (it only re-encrypts).
        """
        return await key_rotation.reencrypt(self._records)
