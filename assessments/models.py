"""Assessment results: stored with the booking, tied to the questionnaire version, never changed.

A correction is a new row that names the row it replaces, who made it and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedJSON, EncryptedText

FILLED_BY = ("client", "client_in_meeting", "caseworker")


class AssessmentResult(Base):
    __tablename__ = "assessment_results"
    __table_args__ = (Index("ix_assessment_results_booking", "booking_id", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"))
    template_id: Mapped[str] = mapped_column(String(40))
    template_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("assessment"))
    score: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("assessment"), default=None)
    # "client" (before the meeting), "client_in_meeting" or "caseworker" (on the client's behalf)
    filled_by: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Unique: a result is corrected once; the correction is then the one to correct.
    replaces_id: Mapped[str | None] = mapped_column(
        ForeignKey("assessment_results.id"), unique=True, default=None
    )
    # Set for the client's answers before the meeting, which are given once per booking and
    # questionnaire: the unique index holds even when two submissions race.
    once_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    correction_reason: Mapped[str | None] = mapped_column(EncryptedText("assessment"), default=None)
