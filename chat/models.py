"""The advice chat's configuration and its statistics. What is said in a chat is never stored:
it lives in memory while the chat does (chat/desk.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, new_id, utcnow


class ChatServiceRow(Base):
    """One public advice chat (family advice, adult social work…) of a unit."""

    __tablename__ = "chat_services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)
    # JSON {"fi": …, "sv": …, "en": …}
    names: Mapped[str] = mapped_column(Text)
    # JSON {"0": ["09:00", "15:00"], …}: Monday is 0; a missing day is closed. Public holidays
    # are closed whatever this says.
    hours: Mapped[str] = mapped_column(Text, default="{}")
    # JSON {"2026-12-24": ["09:00", "12:00"], "2026-12-16": null}: a day's own hours, or closed.
    # Wins over the weekly hours and the public holidays.
    hours_exceptions: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # Where to turn when the chat is closed: the unit's phone, shown with the crisis lines.
    phone: Mapped[str] = mapped_column(String(40), default="")
    # JSON {"fi": …, "sv": …, "en": …}: the service's own words on other help (a youth line, a
    # walk-in hour), shown with the phone and the crisis lines.
    other_help: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    # JSON [{"title": …, "text": …}]: answers the workers paste in and adapt.
    saved_answers: Mapped[str] = mapped_column(Text, default="[]")
    meeting_type_id: Mapped[str | None] = mapped_column(
        ForeignKey("meeting_types.id"), default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatStatistic(Base):
    """One chat that ended, counted: no words, no person, no worker."""

    __tablename__ = "chat_statistics"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("chat_services.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))
    # The hour it began (to the hour, so that a statistic cannot be matched to one chat).
    hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    waited_seconds: Mapped[int] = mapped_column(Integer)
    talked_seconds: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[bool] = mapped_column(Boolean, default=False)
    identified: Mapped[bool] = mapped_column(Boolean, default=False)
