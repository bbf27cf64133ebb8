"""The concern report API's bodies: the source of its shape checks and its OpenAPI schemas.

The shape is checked here; the rules that depend on the jurisdiction or the day (identity
numbers, phone numbers, dates not in the future, who must give contact details) are checked by
``reports.submission.check_report``, which the API and the pages share.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ReporterKind = Literal["professional", "private"]
Category = Literal[
    "violence",
    "sexual_abuse",
    "honour_related",
    "neglect",
    "guardian_substance_abuse",
    "guardian_mental_health",
    "child_substance_abuse",
    "child_behaviour",
    "school_absence",
    "other",
]
Status = Literal[
    "received",
    "protection_assessed",
    "investigation_opened",
    "investigation_not_opened",
    "forwarded",
]
ShortText = Field(default=None, max_length=200)
LongText = Field(default=None, max_length=10_000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReporterIn(Strict):
    name: str | None = ShortText
    role: str | None = ShortText
    organisation: str | None = ShortText
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)


class ChildIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    identity_number: str | None = Field(default=None, max_length=20)
    date_of_birth: date | None = None
    address: str | None = ShortText
    school: str | None = ShortText
    school_class: str | None = Field(default=None, max_length=40)
    siblings: str | None = Field(default=None, max_length=2000)


class GuardianIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    address: str | None = ShortText
    interpreter_needed: bool = False
    interpreter_language: str | None = Field(default=None, max_length=60)


class InformedIn(Strict):
    guardians_told: bool
    child_told: bool
    why_not: str | None = Field(default=None, max_length=2000)


class ConcernIn(Strict):
    categories: list[Category] = Field(min_length=1, max_length=10)
    description: str = Field(min_length=1, max_length=10_000)
    since: str | None = Field(default=None, max_length=500)
    why_now: str | None = Field(default=None, max_length=2000)


class ConcernReportIn(Strict):
    # Made by the reporter's browser or client once per report: sending again is harmless.
    submission_id: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    reporter_kind: ReporterKind
    language: Literal["fi", "sv", "en"] = "fi"
    reporter: ReporterIn = ReporterIn()
    child: ChildIn
    guardians: list[GuardianIn] = Field(default=[], max_length=4)
    informed: InformedIn
    child_whereabouts: str | None = Field(default=None, max_length=2000)
    concern: ConcernIn


class SubmittedOut(BaseModel):
    reference: str
    receipt_url: str
    # Bearer token for POST .../{reference}/attachments, for 30 minutes after sending.
    attachment_token: str


class ReportsQuery(Strict):
    status: Status | None = None
    overdue: bool | None = None


class DeadlineOut(BaseModel):
    kind: str
    due: date
    overdue: bool


class ReportSummaryOut(BaseModel):
    reference: str
    status: Status
    reporter_kind: ReporterKind
    categories: list[str]
    urgency: int
    received_at: AwareDatetime
    assignee_id: str | None
    child_name: str
    deadlines: list[DeadlineOut]


class ReportsOut(BaseModel):
    reports: list[ReportSummaryOut]


class AttachmentOut(BaseModel):
    id: str
    filename: str
    media_type: str
    size: int


class EventOut(BaseModel):
    at: AwareDatetime
    user_id: str | None
    kind: str
    status: str | None
    assignee_id: str | None
    note: str | None


class ReportOut(ReportSummaryOut):
    report: ConcernReportIn
    attachments: list[AttachmentOut]
    events: list[EventOut]
    protection_assessed_at: AwareDatetime | None
    protection_assessed_by: str | None
    decided_at: AwareDatetime | None


class ReportPatch(Strict):
    assignee_id: str | None = Field(default=None, max_length=64)
    status: Status | None = None
    note: str | None = Field(default=None, min_length=1, max_length=10_000)


FeedbackOutcome = Literal["opened", "not_opened", "ongoing"]


class FeedbackQuery(Strict):
    outcome: FeedbackOutcome


class FeedbackIn(Strict):
    outcome: FeedbackOutcome


class FeedbackOut(BaseModel):
    subject: str
    text: str
