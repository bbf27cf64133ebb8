"""Group discussions: the scheduled sessions (what, when, who hosts, how many may join). What is
said in a session is never stored: it lives in memory while the session does
(discussions/rooms.py). There is no table of messages, and there must never be one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow


class GroupSession(Base):
    """One expert-led discussion of a unit at a set time, in one language."""

    __tablename__ = "group_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    topic: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2))
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # JSON list of the user ids of the staff who moderate beside the host.
    moderators: Mapped[str] = mapped_column(Text, default="[]")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Participants at most (the host and moderators not counted).
    capacity: Mapped[int] = mapped_column(Integer)
    # Each participant's message waits for the host's or a moderator's approval.
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the host writes afterwards for everyone: public once published.
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
