"""Consents an identified client gives and withdraws: each giving is a row that keeps the exact
words the client agreed to and when; withdrawing stamps it. Nothing is deleted, so the log of a
person's consents is complete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_person_kind", "person_hash", "kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_hash: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(EncryptedText("consents"), default="")
    kind: Mapped[str] = mapped_column(String(40))
    # Whom the data may be shown to: a unit of this service.
    recipient_unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    # The words the client saw and agreed to, in the language they read them in.
    text: Mapped[str] = mapped_column(EncryptedText("consents"))
    language: Mapped[str] = mapped_column(String(2))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
