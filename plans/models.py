"""Wellbeing plans made together: a plan per client and unit, and its versions. Each save is a
new version (nothing is overwritten); the client accepts one version. The goals and actions are
encrypted at rest (purpose ``plans``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow
from core.encrypted_columns import EncryptedText


class WellbeingPlan(Base):
    __tablename__ = "wellbeing_plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_hash: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The booking the plan was begun in (None once retention has removed that booking).
    booking_id: Mapped[str | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanVersion(Base):
    __tablename__ = "wellbeing_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("wellbeing_plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # JSON: [{"goal": "…", "actions": [{"what": "…", "who": "…", "by": "YYYY-MM-DD"}]}]
    goals: Mapped[str] = mapped_column(EncryptedText("plans"))
    author_kind: Mapped[str] = mapped_column(String(10))  # caseworker or client
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
