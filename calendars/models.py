"""A caseworker's calendar: their time zone and weekly working hours.

The rest of the calendar (date overrides, absences, imported busy times, meeting types)
comes with the booking work; see README "Not done yet".
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_id


class CaseworkerCalendar(Base):
    __tablename__ = "caseworker_calendars"

    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")


class WorkingHours(Base):
    """One opening interval on a weekday, in the caseworker's own wall-clock time."""

    __tablename__ = "working_hours"
    __table_args__ = (UniqueConstraint("caseworker_id", "weekday", "starts_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday is 0, as in datetime.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
