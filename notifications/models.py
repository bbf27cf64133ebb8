"""The outbox: every message a booking change owes someone, written in the change's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedBytes, EncryptedText

PENDING = "pending"
SENDING = "sending"  # claimed by a sender; back to pending if it stays so (the sender died)
SENT = "sent"
SENT_TO_LOG = "sent_to_log"
FAILED = "failed"
EXPIRED = "expired"  # a reminder whose meeting began before it could be sent
WITHDRAWN = "withdrawn"  # a reminder of a booking that was moved or cancelled


class OutboxMessage(Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "send_after"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # One message per key, ever: "booking:<id>:confirmation:<sequence>:email", ":reminder:1440:…".
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    booking_id: Mapped[str | None] = mapped_column(
        ForeignKey("bookings.id"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # email or sms
    recipient: Mapped[str] = mapped_column(EncryptedText("outbox"))
    # A keyed hash of the recipient (core/lookup.py), for the person's-rights search.
    recipient_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(EncryptedText("outbox"), default="")
    body_text: Mapped[str] = mapped_column(EncryptedText("outbox"))
    body_html: Mapped[str | None] = mapped_column(EncryptedText("outbox"), default=None)
    ics: Mapped[bytes | None] = mapped_column(EncryptedBytes("outbox"), default=None)
    ics_method: Mapped[str | None] = mapped_column(String(10), default=None)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not worth sending after this moment (a reminder once its meeting has begun).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
