"""The service information the admin has written, accessibility feedback, and lost-link requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText


class ServicePage(Base):
    """One page in one language as the admin wrote it; a page never saved shows its defaults."""

    __tablename__ = "service_pages"

    # "contact", "accessibility", "cookies" or "privacy.<processing>" (publicinfo/texts.py)
    page: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    # JSON {field: text}: the page's fields, plain text with blank lines between paragraphs.
    fields: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)


class AccessibilityFeedback(Base):
    """Feedback on the service's accessibility, answered by the admin within the legal time."""

    __tablename__ = "accessibility_feedback"
    __table_args__ = (Index("ix_accessibility_feedback_open", "answered_at", "received_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str] = mapped_column(String(2))
    # The page the feedback is about, as the sender gave it (optional).
    page: Mapped[str] = mapped_column(EncryptedText("publicinfo"), default="")
    message: Mapped[str] = mapped_column(EncryptedText("publicinfo"))
    name: Mapped[str] = mapped_column(EncryptedText("publicinfo"), default="")
    # An email address or a phone number, if the sender wants an answer.
    contact: Mapped[str] = mapped_column(EncryptedText("publicinfo"), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answered_by: Mapped[str | None] = mapped_column(String(36), default=None)


class LostLinkRequest(Base):
    """One "Did you lose your link?" request, kept a day to limit the requests per recipient.

    Only a keyed hash of the typed address or number (core/lookup.py), never the value.
    """

    __tablename__ = "lost_link_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient_hash: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
