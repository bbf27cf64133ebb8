"""A caseworker's calendar: zone, working hours, date overrides, absences, imported busy times,
and the meeting types a unit or caseworker offers."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow


class CaseworkerCalendar(Base):
    __tablename__ = "caseworker_calendars"

    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    # Languages the caseworker can hold a meeting in, e.g. "fi,sv".
    languages: Mapped[str] = mapped_column(String(40), default="fi", server_default="fi")
    # The private subscription feed: only a hash of its secret token is kept.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class WorkingHours(Base):
    """One opening interval on a weekday, in the caseworker's own wall-clock time."""

    __tablename__ = "working_hours"
    __table_args__ = (UniqueConstraint("caseworker_id", "weekday", "starts_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday is 0, as in datetime.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class DateOverride(Base):
    """A day whose opening differs from the weekly hours.

    All rows of one caseworker and day together replace that day's weekly hours; a row without
    times closes the day.
    """

    __tablename__ = "date_overrides"
    __table_args__ = (Index("ix_date_overrides_caseworker_day", "caseworker_id", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time | None] = mapped_column(Time, default=None)
    ends_at: Mapped[time | None] = mapped_column(Time, default=None)


class Absence(Base):
    """Time the caseworker cannot be booked: vacation, sick leave, training."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_caseworker_ends", "caseworker_id", "ends_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarImport(Base):
    """A source of busy times: an uploaded .ics file or an .ics address fetched on a schedule."""

    __tablename__ = "calendar_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    source_url: Mapped[str | None] = mapped_column(Text, default=None)
    busy_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BusyTime(Base):
    """One busy stretch from an import; only the times are kept, never what the event was."""

    __tablename__ = "busy_times"
    __table_args__ = (Index("ix_busy_times_caseworker_ends", "caseworker_id", "ends_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    import_id: Mapped[str] = mapped_column(
        ForeignKey("calendar_imports.id", ondelete="CASCADE"), index=True
    )
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MeetingType(Base):
    """A kind of meeting a unit (for all its caseworkers) or one caseworker offers."""

    __tablename__ = "meeting_types"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True, default=None)
    caseworker_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=42)
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=15)
    modes: Mapped[str] = mapped_column(String(60), default="video")  # comma-separated
    address: Mapped[str] = mapped_column(Text, default="")
    asks_pre_meeting_form: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"id": "topic", "kind": "text" | "yes_no", "label": {"fi": …, "sv": …, "en": …}}]
    pre_meeting_questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_active_bookings_per_client: Mapped[int] = mapped_column(Integer, default=1)
    # Minutes before the meeting to remind the client; empty: the service's default reminders.
    reminder_minutes: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    # The questionnaire (assessments/templates) the client is asked to fill before the meeting.
    assessment_template_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The client must identify strongly (identification/) to join the video meeting.
    requires_identification: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # A network meeting (several professionals): the room goes through the SFU from the start.
    network_meeting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
