"""The access log: who read which client's data, when and for what task."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow


class AccessLogEntry(Base):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_subject", "subject_type", "subject_id"),
        Index("ix_access_log_user_at", "user_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Who read when no staff member did: "client" (with the manage link) or "system".
    actor_kind: Mapped[str] = mapped_column(String(20), default="staff")
    action: Mapped[str] = mapped_column(String(40))  # e.g. "booking.read", "booking.list"
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(80))
