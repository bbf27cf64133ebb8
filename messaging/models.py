"""Secure messages between an identified client and a unit: threads, their messages (with the
staff's internal notes among them) and attachments. Subjects, bodies, names and file names are
encrypted at rest (purpose ``messages``); the files themselves are in the file store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText

OPEN, CLOSED = "open", "closed"
CLIENT, STAFF, NOTE = "client", "staff", "note"


class MessageThread(Base):
    __tablename__ = "message_threads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    # The client: the keyed hash of their identity code (core/lookup.py), as identified.
    person_hash: Mapped[str] = mapped_column(String(64), index=True)
    person_name: Mapped[str] = mapped_column(EncryptedText("messages"), default="")
    # The identity code itself, for filing the thread in the client record system.
    person_code: Mapped[str] = mapped_column(EncryptedText("messages"), default="")
    subject: Mapped[str] = mapped_column(EncryptedText("messages"))
    # The caseworker the client addressed, if any, and the worker the unit assigned it to.
    caseworker_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_by: Mapped[str] = mapped_column(String(10))
    # The language the client last wrote in: their notices are in it ("" until they write).
    language: Mapped[str] = mapped_column(String(2), default="")
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The client's first message still without an answer (None: answered, or staff wrote last).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unread_by_client: Mapped[bool] = mapped_column(Boolean, default=False)
    unread_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)


class ThreadMessage(Base):
    __tablename__ = "thread_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    thread_id: Mapped[str] = mapped_column(ForeignKey("message_threads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # client, staff or note (staff only)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    body: Mapped[str] = mapped_column(EncryptedText("messages"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MessageAttachment(Base):
    __tablename__ = "message_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("thread_messages.id"), index=True)
    filename: Mapped[str] = mapped_column(EncryptedText("messages"))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    blob_id: Mapped[str] = mapped_column(String(36), unique=True)
