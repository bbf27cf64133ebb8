"""Stored concern reports, encrypted at rest, as the parts of the report service share them.

``ReportRecords`` holds what submission, intake, feedback and retention all need: the database,
the cipher and the file store, the clock, loading a report as a viewer may see it, and turning
its encrypted row into the values the pages and the API show (``ReportSummary``,
``ReportDetail``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.data_keys import cipher_for
from core.db import Sessions
from core.errors import NotFound
from core.lookup import PersonHasher
from core.principal import Role, Viewer
from core.settings import Settings
from reports.crypto import AttachmentStore, ReportCipher
from reports.deadlines import (
    INVESTIGATION_DECISION,
    PROTECTION_ASSESSMENT,
    SERVICE_NEEDS_DECISION,
    Deadline,
)
from reports.models import DECIDED, RECEIVED, ConcernReport, ReportAttachment
from reports.schemas import ConcernReportIn

T = TypeVar("T")


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


class ReportRecords:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        hasher: PersonHasher,
        *,
        executor: Executor | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.hasher = hasher
        self.cipher = ReportCipher(cipher_for(settings), settings.report_keys)
        self.store = AttachmentStore(settings.file_store, self.cipher)
        self.clock = clock
        self._executor = executor

    def person_hashes(self, report: ConcernReportIn) -> dict[str, str | None]:
        """The keyed hashes a report is found by in the person's-rights search."""
        return {
            "reporter_email_hash": self.hasher.email(report.reporter.email),
            "reporter_phone_hash": self.hasher.phone(report.reporter.phone),
            "child_identity_hash": self.hasher.identity_code(report.child.identity_number),
        }

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()

    # ---- files, off the event loop ------------------------------------------------------------

    async def run(self, function: Callable[..., T], *arguments: object) -> T:
        # Encrypting megabytes is CPU work: it goes to the app's executor, off the event loop.
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, function, *arguments
        )

    def write_files(self, blob_ids: Sequence[str], contents: Sequence[bytes]) -> None:
        for blob_id, data in zip(blob_ids, contents, strict=True):
            self.store.write(blob_id, data)

    def delete_files(self, blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            self.store.delete(blob_id)

    # ---- reading a report ---------------------------------------------------------------------

    def visible(self, viewer: Viewer) -> Select[ConcernReport]:
        query = select(ConcernReport)
        if viewer.role == Role.CASEWORKER:
            # Caseworkers see only the reports assigned to them.
            query = query.where(ConcernReport.assignee_id == viewer.user_id)
        return query

    async def load(self, session: AsyncSession, viewer: Viewer, reference: str) -> ConcernReport:
        row = await session.scalar(
            self.visible(viewer)
            .where(ConcernReport.reference == reference)
            .options(selectinload(ConcernReport.attachments), selectinload(ConcernReport.events))
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise NotFound()
        return row

    def content(self, row: ConcernReport) -> ConcernReportIn:
        return ConcernReportIn.model_validate_json(self.cipher.decrypt(row.content))

    def summary(
        self, row: ConcernReport, today: date, content: ConcernReportIn | None = None
    ) -> ReportSummary:
        content = content or self.content(row)
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

    def detail(self, row: ConcernReport) -> ReportDetail:
        content = self.content(row)
        return ReportDetail(
            summary=self.summary(row, self.today(), content),
            report=content,
            attachments=[self.attachment_info(a) for a in row.attachments],
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

    def attachment_info(self, row: ReportAttachment) -> AttachmentInfo:
        return AttachmentInfo(
            row.id, self.cipher.decrypt_text(row.filename), row.media_type, row.size
        )
