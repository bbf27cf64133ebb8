"""Turning what concern reports owe their reporters into outbox messages.

``ConcernReportNotifier`` is the reports service's listener (reports/listener.py). It is called
inside the report's transaction, so a message exists exactly when the report or the feedback
does; the idempotency keys (one receipt and one feedback per report) keep a repeat from storing
a second message.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from core.lookup import PersonHasher
from notifications import outbox
from notifications.models import OutboxMessage
from reports.listener import FeedbackConfirmed, ReceiptRequested

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


def receipt_message(receipt: ReceiptRequested) -> OutboxMessage:
    """The receipt says the reference and nothing else about the report or the child."""
    subject, body = RECEIPT_TEXTS.get(receipt.language, RECEIPT_TEXTS["fi"])
    return OutboxMessage(
        idempotency_key=f"concern-report:{receipt.report_id}:receipt",
        kind="concern-report-receipt",
        channel="email",
        recipient=receipt.email,
        language=receipt.language,
        subject=subject.format(reference=receipt.reference),
        body_text=body.format(reference=receipt.reference),
    )


def feedback_message(feedback: FeedbackConfirmed) -> OutboxMessage:
    """The feedback in the words intake confirmed (composed by reports/feedback.py)."""
    return OutboxMessage(
        idempotency_key=f"concern-report:{feedback.report_id}:feedback",
        kind="concern-report-feedback",
        channel="email",
        recipient=feedback.email,
        language=feedback.language,
        subject=feedback.subject,
        body_text=feedback.text,
    )


class ConcernReportNotifier:
    """The concern reports service's listener: the reporter's receipt and feedback by email."""

    def __init__(self, hasher: Callable[[], PersonHasher]) -> None:
        # Asked for at each message: the hasher is loaded when the app starts, after this is made.
        self._hasher = hasher

    async def receipt_requested(self, session: AsyncSession, receipt: ReceiptRequested) -> None:
        await outbox.add(session, [receipt_message(receipt)], self._hasher())

    async def feedback_confirmed(self, session: AsyncSession, feedback: FeedbackConfirmed) -> None:
        await outbox.add(session, [feedback_message(feedback)], self._hasher())
