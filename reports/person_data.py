"""A person's concern reports for the person's-rights page, found by keyed hash (core/lookup.py).

The reports they sent (matched by their email or phone) are theirs to see in full: what they
wrote. A report about a child (matched by the child's identity code) is only listed: its reporter
may be kept confidential from the family and its content is disclosed by intake case by case
(the Child Welfare Act 25 §, and the client data act's limits on disclosing others' data), so the
export names the report and says where to ask. Reports are not erased from here: a report that led
to a case is the municipality's record, and one that led to nothing is deleted by retention.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, or_, select

from audit.service import AuditLog
from core.principal import Role, Viewer, require_role
from reports.models import ConcernReport
from reports.records import ReportRecords

SUBJECT = "concern_report"


@dataclasses.dataclass(frozen=True, slots=True)
class PersonReport:
    reference: str
    # "reporter": they sent it; "child": it is about them.
    role: Literal["reporter", "child"]
    received_at: datetime
    status: str
    # What they wrote, for a report they sent; None for a report about them.
    content: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        found["received_at"] = self.received_at.isoformat()
        return found


class PersonReports:
    def __init__(self, records: ReportRecords) -> None:
        self._records = records

    async def of_person(
        self,
        viewer: Viewer,
        contact_hashes: Sequence[str],
        identity_hash: str | None,
        purpose: str,
    ) -> list[PersonReport]:
        require_role(viewer, Role.ADMIN)
        conditions: list[ColumnElement[bool]] = []
        if contact_hashes:
            conditions += [
                ConcernReport.reporter_email_hash.in_(list(contact_hashes)),
                ConcernReport.reporter_phone_hash.in_(list(contact_hashes)),
            ]
        if identity_hash:
            conditions.append(ConcernReport.child_identity_hash == identity_hash)
        if not conditions:
            return []
        records = self._records
        async with records.sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(ConcernReport)
                    .where(or_(*conditions))
                    .order_by(ConcernReport.received_at, ConcernReport.id)
                )
            ).all()
            AuditLog.add(
                session, viewer, "person.read", SUBJECT, [r.reference for r in rows], purpose
            )
        found = []
        for row in rows:
            sent = row.reporter_email_hash in contact_hashes or (
                row.reporter_phone_hash in contact_hashes
            )
            content = records.content(row).model_dump(mode="json") if sent else None
            found.append(
                PersonReport(
                    row.reference,
                    "reporter" if sent else "child",
                    row.received_at,
                    row.status,
                    content,
                )
            )
        return found
