"""What the server keeps of a video meeting: guest invitations and events, never media or chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText


class MeetingGuest(Base):
    """An extra participant the caseworker invited (an interpreter, another professional).

    The link's token is stored only as a hash. It can be used once: the first connection claims
    it, and from then on the guest comes back with the room's resume token.
    """

    __tablename__ = "meeting_guests"
    __table_args__ = (Index("ix_meeting_guests_booking", "booking_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"))
    display_name: Mapped[str] = mapped_column(EncryptedText("meeting"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class MeetingEvent(Base):
    """Metadata of a meeting: who (by role) joined, was admitted, left, and when."""

    __tablename__ = "meeting_events"
    __table_args__ = (Index("ix_meeting_events_booking_at", "booking_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"))
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10))
    # The room's id for the participant: links a join to its leave, names no one.
    participant_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # For "left": how long the participant was in the room, in whole seconds.
    seconds: Mapped[int | None] = mapped_column(Integer, default=None)
