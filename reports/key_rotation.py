"""Key rotation: encrypting every stored concern report again with the newest key.

Run after putting a new key first in ``KOHTAAMO_REPORT_KEYS`` (``server.py`` command
``reencrypt-reports``); once it has finished, the old keys can be removed.
"""

from __future__ import annotations

from sqlalchemy import select

from reports.models import ConcernReport, ReportAttachment, ReportEvent
from reports.records import ReportRecords
from reports.schemas import ConcernReportIn


async def reencrypt(records: ReportRecords) -> int:
    """Encrypt every report, note, file name and file with the newest key; returns the count.

    Safe to run again (it only re-encrypts).
    """
    count = 0
    cipher = records.cipher
    async with records.sessions.begin() as session:
        for report in await session.scalars(select(ConcernReport)):
            report.content = cipher.rotate(report.content)
            if report.child_identity_hash is None:
                # Reports from before the person's-rights search (migration 0010) get their
                # hashes here: only the report keys open them.
                answers = ConcernReportIn.model_validate_json(cipher.decrypt(report.content))
                for column, value in records.person_hashes(answers).items():
                    setattr(report, column, value)
            count += 1
        for attachment in await session.scalars(select(ReportAttachment)):
            attachment.filename = cipher.rotate(attachment.filename)
            await records.run(records.store.rotate, attachment.blob_id)
            count += 1
        for event in await session.scalars(select(ReportEvent)):
            if event.note is not None:
                event.note = cipher.rotate(event.note)
                count += 1
    return count
