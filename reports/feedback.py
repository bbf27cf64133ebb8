"""Feedback to the mandated reporter about what came of their report.

Intake previews the message, then confirms it. The words are composed here, not by the package
that sends them, because intake must see them before they go and the report's history keeps
them (encrypted). Confirming hands them to the report listener inside the transaction that
records them, and the listener's idempotency keeps a second confirmation from sending twice.
"""

from __future__ import annotations

from audit.service import AuditLog
from core.errors import Conflict
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from reports.listener import FeedbackConfirmed, ReportListener
from reports.models import DECIDED, INVESTIGATION_NOT_OPENED, INVESTIGATION_OPENED, ReportEvent
from reports.records import ReportRecords

# What the law lets the reporter be told: only whether an investigation (Finland: a
# service-needs assessment) was opened, not opened, or is already ongoing.
FEEDBACK_OUTCOMES = {
    "opened": (INVESTIGATION_OPENED,),
    "not_opened": (INVESTIGATION_NOT_OPENED,),
    "ongoing": DECIDED,
}
FEEDBACK_TEXTS = {
    "fi": {
        "subject": "Lastensuojeluilmoituksesi {reference}",
        "opened": "Ilmoituksesi {reference} perusteella on aloitettu palvelutarpeen arviointi.",
        "not_opened": "Ilmoituksesi {reference} perusteella ei ole aloitettu palvelutarpeen "
        "arviointia.",
        "ongoing": "Lapsen asia oli jo vireillä, kun ilmoituksesi {reference} saapui.",
    },
    "sv": {
        "subject": "Din orosanmälan {reference}",
        "opened": "En utredning har inletts med anledning av din anmälan {reference}.",
        "not_opened": "Ingen utredning har inletts med anledning av din anmälan {reference}.",
        "ongoing": "En utredning om barnet pågick redan när din anmälan {reference} kom in.",
    },
    "en": {
        "subject": "Your concern report {reference}",
        "opened": "An investigation has been opened following your report {reference}.",
        "not_opened": "No investigation has been opened following your report {reference}.",
        "ongoing": "An investigation was already ongoing when your report {reference} arrived.",
    },
}


def feedback_text(outcome: str, reference: str, language: str) -> tuple[str, str]:
    texts = FEEDBACK_TEXTS.get(language, FEEDBACK_TEXTS["fi"])
    return texts["subject"].format(reference=reference), texts[outcome].format(reference=reference)


class ReporterFeedback:
    def __init__(self, records: ReportRecords, listener: ReportListener | None) -> None:
        self._records = records
        self._listener = listener

    async def feedback(
        self, viewer: Viewer, reference: str, outcome: str, *, confirmed: bool
    ) -> tuple[str, str]:
        """The message for the mandated reporter; queued for sending only when ``confirmed``."""
        viewer = require_role(viewer, Role.INTAKE)
        records = self._records
        async with records.sessions.begin() as session:
            row = await records.load(session, viewer, reference)
            content = records.content(row)
            email = content.reporter.email
            if row.reporter_kind != "professional" or not email:
                raise Conflict(N_("Only a professional who gave an email address gets feedback."))
            if row.status not in FEEDBACK_OUTCOMES[outcome]:
                raise Conflict(N_("Record the decision before sending feedback."))
            subject, text = feedback_text(outcome, row.reference, row.language)
            if confirmed:
                if self._listener is not None:
                    await self._listener.feedback_confirmed(
                        session, FeedbackConfirmed(row.id, email, row.language, subject, text)
                    )
                session.add(
                    ReportEvent(
                        report_id=row.id,
                        at=records.clock(),
                        user_id=viewer.user_id,
                        kind="feedback",
                        note=records.cipher.encrypt_text(text),
                    )
                )
            AuditLog.add(
                session, viewer, "concern_report.read", "concern_report", [reference], "feedback"
            )
        return subject, text
