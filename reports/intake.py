"""The intake of concern reports: the queue, reading a report, assigning it, moving its status,
notes, the meeting booked with the family, and its files.

Every read is written to the access log (audit) in the same transaction, so no one reads a
report without a trace. Intake sees every report; a caseworker only those assigned to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from audit.service import AuditLog
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from reports.models import (
    DECIDED,
    PROTECTION_ASSESSED,
    RECEIVED,
    ConcernReport,
    ReportEvent,
)
from reports.records import AttachmentInfo, ReportDetail, ReportRecords, ReportSummary

# Which step may follow which: a decision needs a protection assessment first.
NEXT_STATUSES = {
    RECEIVED: {PROTECTION_ASSESSED},
    PROTECTION_ASSESSED: set(DECIDED),
}


class ReportIntake:
    def __init__(
        self, records: ReportRecords, staff_exists: Callable[[str], Awaitable[bool]] | None
    ) -> None:
        self._records = records
        self._staff_exists = staff_exists

    async def list_reports(
        self, viewer: Viewer, *, status: str | None = None, overdue: bool | None = None
    ) -> list[ReportSummary]:
        """The queue: most urgent first, then oldest first. Every listed report is logged."""
        viewer = require_role(viewer, Role.INTAKE, Role.CASEWORKER)
        records = self._records
        query = records.visible(viewer)
        if status is not None:
            query = query.where(ConcernReport.status == status)
        today = records.today()
        async with records.sessions.begin() as session:
            rows = (
                await session.scalars(
                    query.order_by(ConcernReport.urgency.desc(), ConcernReport.received_at)
                )
            ).all()
            summaries = [records.summary(row, today) for row in rows]
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
        async with self._records.sessions.begin() as session:
            row = await self._records.load(session, viewer, reference)
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "intake"
            )
            return self._records.detail(row)

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
        records = self._records
        now = records.clock()
        async with records.sessions.begin() as session:
            row = await records.load(session, viewer, reference)
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
                        note=records.cipher.encrypt_text(note) if note else None,
                    )
                )
            elif note:
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=now,
                        user_id=viewer.user_id,
                        kind="note",
                        note=records.cipher.encrypt_text(note),
                    )
                )
            row.updated_at = now
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "intake"
            )
            await session.flush()
            row = await records.load(session, viewer, reference)
            return records.detail(row)

    async def record_meeting(self, viewer: Viewer, reference: str, note: str) -> None:
        """Note on the report that intake booked a meeting with the family (the booking itself
        is the booking service's; the note says when and with whom, encrypted)."""
        viewer = require_role(viewer, Role.INTAKE)
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.load(session, viewer, reference)
            session.add(
                ReportEvent(
                    report_id=row.id,
                    at=records.clock(),
                    user_id=viewer.user_id,
                    kind="meeting",
                    note=records.cipher.encrypt_text(note),
                )
            )
            row.updated_at = records.clock()

    async def attachment(
        self, viewer: Viewer, reference: str, attachment_id: str
    ) -> tuple[AttachmentInfo, bytes]:
        viewer = require_role(viewer, Role.INTAKE, Role.CASEWORKER)
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.load(session, viewer, reference)
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
            info = records.attachment_info(found)
        return info, await records.run(records.store.read, found.blob_id)
