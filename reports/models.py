"""Concern reports: the report, its attachments, its intake history and the reference counter.

What identifies or describes the child, the family or the reporter is kept only encrypted
(``content``: the answers as JSON, encrypted with reports.crypto). In clear are only what the
intake queue sorts and filters by: reference, status, dates, deadlines, categories.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, new_id, utcnow

RECEIVED = "received"
PROTECTION_ASSESSED = "protection_assessed"
INVESTIGATION_OPENED = "investigation_opened"
INVESTIGATION_NOT_OPENED = "investigation_not_opened"
FORWARDED = "forwarded"
STATUSES = (
    RECEIVED,
    PROTECTION_ASSESSED,
    INVESTIGATION_OPENED,
    INVESTIGATION_NOT_OPENED,
    FORWARDED,
)
DECIDED = (INVESTIGATION_OPENED, INVESTIGATION_NOT_OPENED, FORWARDED)


class ReportSequence(Base):
    """The last reference number given in a year; incremented under a row lock."""

    __tablename__ = "concern_report_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ConcernReport(Base):
    __tablename__ = "concern_reports"
    __table_args__ = (
        Index("ix_concern_reports_queue", "status", "urgency", "received_at"),
        UniqueConstraint("year", "number", name="uq_concern_reports_year_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # OR-2026-000123
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    # Chosen by the reporter's browser or client: a repeated submission finds the first one.
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    reporter_kind: Mapped[str] = mapped_column(String(20))  # professional or private
    categories: Mapped[str] = mapped_column(String(200), default="")  # comma-separated codes
    urgency: Mapped[int] = mapped_column(Integer, default=0)  # higher is more urgent
    language: Mapped[str] = mapped_column(String(2))
    jurisdiction: Mapped[str] = mapped_column(String(2))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted JSON of the answers
    # Keyed hashes (core/lookup.py): the person's-rights search finds a reporter's reports and
    # the reports about a child by them.
    reporter_email_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    reporter_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    child_identity_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    status: Mapped[str] = mapped_column(String(30), default=RECEIVED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    protection_due: Mapped[date] = mapped_column(Date)
    decision_due: Mapped[date] = mapped_column(Date)
    protection_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    protection_assessed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", order_by="ReportAttachment.position"
    )
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.at"
    )


class ReportAttachment(Base):
    __tablename__ = "concern_report_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(ForeignKey("concern_reports.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(40))  # from the content, not the name
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted: names can tell a lot
    blob_id: Mapped[str] = mapped_column(String(36), unique=True)  # the encrypted file's name

    report: Mapped[ConcernReport] = relationship(back_populates="attachments")


class ReportEvent(Base):
    """What intake did: assignment, status changes, notes (text encrypted)."""

    __tablename__ = "concern_report_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    report_id: Mapped[str] = mapped_column(ForeignKey("concern_reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))  # assigned, status, note
    status: Mapped[str | None] = mapped_column(String(30), default=None)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    report: Mapped[ConcernReport] = relationship(back_populates="events")
