"""What the concern reports owe their reporters by message, told to whoever sends messages.

Reports sit below notifications (docs/architecture.md), so they cannot write a message
themselves. They call a listener instead, inside the report's own transaction: what the listener
writes commits or rolls back with the report, so no report goes without its receipt and no
receipt is stored twice. Notifications implements the listener and sets it under
``reports.keys.report_listener_key`` before the reports service starts.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclasses.dataclass(frozen=True, slots=True)
class ReceiptRequested:
    """A report was stored whose reporter gave an email address; the receipt may name only the
    reference, nothing about the report or the child."""

    report_id: str
    reference: str
    email: str
    language: str


@dataclasses.dataclass(frozen=True, slots=True)
class FeedbackConfirmed:
    """Intake confirmed the feedback to the mandated reporter; ``subject`` and ``text`` are the
    very words intake previewed and the report's history keeps."""

    report_id: str
    email: str
    language: str
    subject: str
    text: str


class ReportListener(Protocol):
    async def receipt_requested(self, session: AsyncSession, receipt: ReceiptRequested) -> None:
        """Called inside the submission's transaction."""

    async def feedback_confirmed(self, session: AsyncSession, feedback: FeedbackConfirmed) -> None:
        """Called inside the transaction that records the feedback on the report."""
