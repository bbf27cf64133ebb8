"""Bookings: who meets whom, when, how; deleted only by retention (booking/retention.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedJSON, EncryptedText

CONFIRMED = "confirmed"
CANCELLED = "cancelled"
COMPLETED = "completed"
NO_SHOW = "no_show"
STATUSES = (CONFIRMED, CANCELLED, COMPLETED, NO_SHOW)


class Booking(Base):
    """A booked meeting.

    ``blocked_from``/``blocked_until`` is the meeting with the meeting type's buffers: what the
    booking keeps the caseworker from. On PostgreSQL an exclusion constraint (see migration 0002)
    forbids two non-cancelled bookings of one caseworker whose blocked ranges overlap.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_caseworker_blocked", "caseworker_id", "blocked_until"),
        Index("ix_bookings_client_key", "client_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    meeting_type_id: Mapped[str] = mapped_column(ForeignKey("meeting_types.id"))
    # Set when the client asked for "first available in the unit" and was assigned.
    assigned_from_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_from: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=CONFIRMED)
    mode: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    client_name: Mapped[str] = mapped_column(EncryptedText("booking"))
    client_email: Mapped[str | None] = mapped_column(EncryptedText("booking"), default=None)
    client_phone: Mapped[str | None] = mapped_column(EncryptedText("booking"), default=None)
    # Keyed hash of the client's email or phone: finds a client's bookings without a client table.
    client_key: Mapped[str] = mapped_column(String(64))
    # Keyed hashes (core/lookup.py): the person's-rights search finds a client's bookings by them.
    client_email_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    client_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # Whom the booking belongs to, when it was made identified (encrypted, and a keyed hash).
    client_identity_code: Mapped[str | None] = mapped_column(EncryptedText("booking"), default=None)
    client_identity_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("booking"), default=dict)
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # RFC 5545: the UID stays, the SEQUENCE rises with every change the client is sent.
    ical_uid: Mapped[str] = mapped_column(String(120), unique=True)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_by: Mapped[str | None] = mapped_column(String(20), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(EncryptedText("booking"), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BookingSubmission(Base):
    """A booking made from a check-answers form, remembered for a few minutes by the form's
    one-time value, so that a repeat of the same form on any instance, or after a restart,
    shows the same confirmation instead of booking again or refusing (booking/confirmations.py).

    ``key`` is a hash of the browser's CSRF cookie, the one-time value and what was booked; the
    manage token is kept (encrypted) only to send the repeat to the same confirmation page.
    """

    __tablename__ = "booking_submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), index=True)
    manage_token: Mapped[str] = mapped_column(EncryptedText("booking"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
