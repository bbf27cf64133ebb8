"""How long concern reports and their files are kept.

A report that led to nothing (investigation not opened) is deleted once the retention period
(``KOHTAAMO_REPORT_RETENTION_DAYS``) has passed since the decision, each deletion written to the
access log; files uploaded on the report pages for a report never sent are swept after a day.
The leader instance runs both on a schedule (notifications/routes.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from audit.service import AuditLog
from reports.models import INVESTIGATION_NOT_OPENED, ConcernReport, ReportAttachment, ReportEvent
from reports.records import ReportRecords


class ReportRetention:
    def __init__(self, records: ReportRecords) -> None:
        self._records = records

    async def delete_expired(self) -> list[str]:
        """Delete reports that led to nothing once the retention period has passed since the
        decision; returns their references. Each deletion is written to the access log."""
        records = self._records
        cutoff = records.clock() - timedelta(days=records.settings.report_retention_days)
        async with records.sessions.begin() as session:
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
        await records.run(records.delete_files, blob_ids)
        return references

    async def delete_unsent_files(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Remove files uploaded on the report pages whose report was never sent.

        Run by the scheduler; a file younger than ``older_than`` may still be on its way.
        """
        records = self._records
        async with records.sessions() as session:
            known = set(await session.scalars(select(ReportAttachment.blob_id)))
        cutoff = records.clock().timestamp() - older_than.total_seconds()
        return await records.run(self._delete_orphans, known, cutoff)

    def _delete_orphans(self, known: set[str], cutoff: float) -> int:
        store = self._records.store
        orphans = [
            blob_id
            for blob_id in store.blob_ids()
            if blob_id not in known and store.modified_at(blob_id) < cutoff
        ]
        self._records.delete_files(orphans)
        return len(orphans)
