"""Key rotation: concern reports, their notes, file names and files moved to the newest data key.

Part of ``server.py reencrypt`` (and on its own, ``reencrypt-reports``). Values already under the
newest key are passed over, so it can run again after a stop; values under the concern reports'
former Fernet keys (``KOHTAAMO_REPORT_KEYS``) move to the data keys, after which that setting
can go. It also gives reports received before migration 0010 their keyed hashes.
"""

from __future__ import annotations

from sqlalchemy import select

from reports.models import ConcernReport, ReportAttachment, ReportEvent
from reports.records import ReportRecords
from reports.schemas import ConcernReportIn


async def reencrypt(records: ReportRecords) -> int:
    """Move every report, note, file name and file to the newest key; returns how many moved."""
    count = 0
    cipher = records.cipher
    async with records.sessions.begin() as session:
        for report in await session.scalars(select(ConcernReport)):
            if report.child_identity_hash is None:
                # Reports from before the person's-rights search (migration 0010) get their
                # hashes here: a migration holds no report keys to open them.
                answers = ConcernReportIn.model_validate_json(cipher.decrypt(report.content))
                for column, value in records.person_hashes(answers).items():
                    setattr(report, column, value)
            if not cipher.is_current(report.content):
                report.content = cipher.rotate(report.content)
                count += 1
        for attachment in await session.scalars(select(ReportAttachment)):
            if not cipher.is_current(attachment.filename):
                attachment.filename = cipher.rotate(attachment.filename)
                count += 1
            if await records.run(records.store.rotate, attachment.blob_id):
                count += 1
        for event in await session.scalars(select(ReportEvent)):
            if event.note is not None and not cipher.is_current(event.note):
                event.note = cipher.rotate(event.note)
                count += 1
    return count
