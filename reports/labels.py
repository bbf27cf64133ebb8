"""What the concern report pages call a concern's categories and a report's statuses.

Shared by the public report pages (reports/report_pages.py) and the intake pages
(reports/intake_pages.py); the texts are msgids, translated when a page is rendered.
"""

from __future__ import annotations

from core.i18n import N_

CATEGORIES = {
    "violence": N_("Violence or threat of violence"),
    "sexual_abuse": N_("Sexual abuse"),
    "honour_related": N_("Honour-related violence or oppression"),
    "neglect": N_("Neglect of care"),
    "guardian_substance_abuse": N_("A guardian's alcohol or drug use"),
    "guardian_mental_health": N_("A guardian's mental health"),
    "child_substance_abuse": N_("The child's alcohol or drug use"),
    "child_behaviour": N_("The child's behaviour or crime"),
    "school_absence": N_("Absence from school"),
    "other": N_("Something else"),
}
STATUS_NAMES = {
    "received": N_("Received"),
    "protection_assessed": N_("Protection assessed"),
    "investigation_opened": N_("Investigation opened"),
    "investigation_not_opened": N_("Investigation not opened"),
    "forwarded": N_("Forwarded to another municipality"),
}
