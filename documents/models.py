"""Documents a caseworker shares with the client after a meeting: a summary written in the
service, or an uploaded PDF. Titles, summaries and file names are encrypted at rest (purpose
``documents``); the files are in the file store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText

SUMMARY, FILE = "summary", "file"


class SharedDocument(Base):
    __tablename__ = "shared_documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), index=True)
    # Whose it is: the keyed hash of the identity code the booking belongs to.
    person_hash: Mapped[str] = mapped_column(String(64), index=True)
    shared_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(EncryptedText("documents"))
    body: Mapped[str] = mapped_column(EncryptedText("documents"), default="")
    filename: Mapped[str] = mapped_column(EncryptedText("documents"), default="")
    media_type: Mapped[str] = mapped_column(String(40), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    blob_id: Mapped[str | None] = mapped_column(String(36), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the client first and last opened it: the caseworker sees that it was read.
    first_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
