"""The advice chat's lasting side: its services (names, hours, where to turn when closed) and
the statistics of ended chats, and the staff's actions in the access log. What is said in a chat
is not here: it lives in memory while the chat does (chat/desk.py)."""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audit.service import AuditLog
from chat.hours import Hours, hours_of, parse_exceptions, parse_hours
from chat.models import ChatServiceRow, ChatStatistic
from chat.types import TOPICS, ServiceInfo
from core.db import Sessions, new_id, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.settings import Settings
from reports.deadlines import WorkingCalendar, working_calendar

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,58}[a-z0-9]")
SMALL_CELL = 5  # counts under this are shown as "< 5"


MAX_SAVED_ANSWERS = 30
MAX_OTHER_HELP = 500


@dataclasses.dataclass(frozen=True, slots=True)
class SavedAnswer:
    title: str
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceView:
    info: ServiceInfo
    hours: Hours
    phone: str
    active: bool
    saved_answers: tuple[SavedAnswer, ...] = ()
    # The service's own words on where else to turn, by language (may be empty).
    other_help: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def other_help_in(self, language: str) -> str:
        return self.other_help.get(language) or self.other_help.get("fi") or ""


@dataclasses.dataclass(frozen=True, slots=True)
class TopicCount:
    service_id: str
    topic: str
    chats: int | None  # None: fewer than five, not shown
    median_wait_seconds: int | None


class ChatServices:
    def __init__(
        self,
        sessions: Sessions,
        audit: AuditLog,
        calendar: WorkingCalendar,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._calendar = calendar
        self._zone = zone
        self._clock = clock

    @classmethod
    def for_settings(cls, sessions: Sessions, settings: Settings) -> ChatServices:
        """Hours in the municipality's zone, closed on its country's public holidays."""
        calendar = working_calendar("se" if settings.jurisdiction == "se" else "fi")
        return cls(sessions, AuditLog(sessions), calendar, settings.zone)

    # ---- the services --------------------------------------------------------------------------

    async def services(self) -> list[ServiceView]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(select(ChatServiceRow).order_by(ChatServiceRow.slug))
            ).all()
        return [_view(row) for row in rows]

    async def by_slug(self, slug: str) -> ServiceView:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ChatServiceRow).where(ChatServiceRow.slug == slug[:60])
            )
        if row is None or not row.active:
            raise NotFound()
        return _view(row)

    def is_open(self, service: ServiceView) -> bool:
        return service.active and service.hours.is_open(self._clock(), self._zone, self._calendar)

    def today(self) -> date:
        """Today in the municipality's zone."""
        return self._clock().astimezone(self._zone).date()

    def next_opening(self, service: ServiceView) -> datetime | None:
        return service.hours.next_opening(self._clock(), self._zone, self._calendar)

    async def ensure_service(self, fields: Mapping[str, Any]) -> str:
        """The service with ``fields["slug"]``, made from ``fields`` if missing (the demo)."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(ChatServiceRow.id).where(ChatServiceRow.slug == fields["slug"])
            )
        if found is not None:
            return str(found)
        return (await self._save(fields, None, None)).info.id

    async def save_service(
        self, viewer: Viewer, fields: Mapping[str, Any], service_id: str | None = None
    ) -> ServiceView:
        """Create a service, or change one (admins only)."""
        require_role(viewer, Role.ADMIN)
        return await self._save(fields, service_id, viewer)

    async def _save(
        self, fields: Mapping[str, Any], service_id: str | None, viewer: Viewer | None
    ) -> ServiceView:
        errors: dict[str, str] = {}
        slug = str(fields.get("slug", "")).strip().lower()
        if not SLUG.fullmatch(slug):
            errors["slug"] = N_("Use 3–60 lower-case letters, digits and dashes.")
        names = {
            lang: str(fields.get("names", {}).get(lang, "")).strip() for lang in ("fi", "sv", "en")
        }
        for lang, name in names.items():
            if not name or len(name) > 100:
                errors[f"names.{lang}"] = N_(
                    "Give the name in this language (up to 100 characters)."
                )
        capacity = fields.get("capacity", 3)
        if not isinstance(capacity, int) or not 1 <= capacity <= 10:
            errors["capacity"] = N_("Enter a number from 1 to 10.")
        try:
            weekly = parse_hours(fields.get("hours") or {}).weekly
        except ValidationFailed as invalid:
            errors |= invalid.fields
            weekly = {}
        try:
            exceptions = parse_exceptions(fields.get("exceptions") or [])
        except ValidationFailed as invalid:
            errors |= invalid.fields
            exceptions = {}
        hours = Hours(weekly, exceptions)
        other_help = _other_help(fields.get("other_help") or {}, errors)
        saved = _saved_answers(fields.get("saved_answers") or [], errors)
        if errors:
            raise ValidationFailed(errors)
        async with self._sessions.begin() as session:
            row = (
                await session.get(ChatServiceRow, service_id)
                if service_id
                else ChatServiceRow(id=new_id())
            )
            if row is None:
                raise NotFound()
            row.slug = slug
            row.names = json.dumps(names, ensure_ascii=False)
            row.hours = hours.as_json()
            row.hours_exceptions = hours.exceptions_json()
            row.phone = str(fields.get("phone", ""))[:40]
            row.other_help = json.dumps(other_help, ensure_ascii=False)
            row.capacity = capacity
            row.saved_answers = json.dumps(
                [dataclasses.asdict(answer) for answer in saved], ensure_ascii=False
            )
            row.unit_id = fields.get("unit_id") or None
            row.meeting_type_id = fields.get("meeting_type_id") or None
            row.active = bool(fields.get("active", True))
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise ValidationFailed({"slug": N_("Another chat has this address.")}) from None
            self._audit.add(
                session, viewer, "chat.service", "chat_service", [row.id], "administration"
            )
            return _view(row)

    # ---- what the desk writes (chat.types.ChatRecords) ------------------------------------------

    async def chat_ended(
        self,
        service_id: str,
        topic: str,
        started_at: datetime,
        waited_seconds: int,
        talked_seconds: int,
        transferred: bool,
        identified: bool,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                ChatStatistic(
                    service_id=service_id,
                    topic=topic if topic in TOPICS else "other",
                    hour=started_at.replace(minute=0, second=0, microsecond=0),
                    waited_seconds=waited_seconds,
                    talked_seconds=talked_seconds,
                    transferred=transferred,
                    identified=identified,
                )
            )

    async def staff_action(self, user_id: str, action: str, chat_id: str) -> None:
        """Taking, transferring, ending, blocking: who did it, to which chat (an id that leads
        nowhere once the chat is over), never what was said."""
        async with self._sessions.begin() as session:
            self._audit.add_by(session, user_id, action, "chat", [chat_id], "advice chat")

    # ---- statistics ----------------------------------------------------------------------------

    async def month(self, viewer: Viewer, first_day: datetime) -> list[TopicCount]:
        """Chats of one month by service and topic; fewer than five shown as "< 5"."""
        require_role(viewer, Role.ADMIN)
        start = first_day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        ChatStatistic.service_id, ChatStatistic.topic, ChatStatistic.waited_seconds
                    )
                    .where(ChatStatistic.hour >= start, ChatStatistic.hour < end)
                    .order_by(ChatStatistic.service_id, ChatStatistic.topic)
                )
            ).all()
        grouped: dict[tuple[str, str], list[int]] = {}
        for service_id, topic, waited in rows:
            grouped.setdefault((service_id, topic), []).append(waited)
        return [
            TopicCount(
                service_id,
                topic,
                len(waits) if len(waits) >= SMALL_CELL else None,
                round(statistics.median(waits)) if len(waits) >= SMALL_CELL else None,
            )
            for (service_id, topic), waits in grouped.items()
        ]


def _view(row: ChatServiceRow) -> ServiceView:
    return ServiceView(
        info=ServiceInfo(
            id=row.id,
            slug=row.slug,
            names=json.loads(row.names),
            unit_id=row.unit_id,
            capacity=row.capacity,
            meeting_type_id=row.meeting_type_id,
        ),
        hours=hours_of(row.hours, row.hours_exceptions),
        phone=row.phone,
        other_help=json.loads(row.other_help or "{}"),
        active=row.active,
        saved_answers=tuple(
            SavedAnswer(**entry) for entry in json.loads(row.saved_answers or "[]")
        ),
    )


def _other_help(raw: Any, errors: dict[str, str]) -> dict[str, str]:
    """The service's words on other help, by language: optional, up to 500 characters each."""
    if not isinstance(raw, dict):
        errors["other_help"] = N_("Give the text by language.")
        return {}
    found: dict[str, str] = {}
    for language in ("fi", "sv", "en"):
        text = str(raw.get(language) or "").strip()
        if len(text) > MAX_OTHER_HELP:
            errors[f"other_help.{language}"] = N_("Keep it under 500 characters.")
        elif text:
            found[language] = text
    return found


def _saved_answers(raw: Any, errors: dict[str, str]) -> list[SavedAnswer]:
    """Saved answers as given, or field errors ``saved_answers.<i>``."""
    answers: list[SavedAnswer] = []
    if not isinstance(raw, list) or len(raw) > MAX_SAVED_ANSWERS:
        errors["saved_answers"] = N_("Give at most 30 saved answers.")
        return answers
    for i, entry in enumerate(raw):
        title = str(entry.get("title", "")).strip() if isinstance(entry, dict) else ""
        text = str(entry.get("text", "")).strip() if isinstance(entry, dict) else ""
        if not title or len(title) > 80 or not text or len(text) > 2000:
            errors[f"saved_answers.{i}"] = N_(
                "A saved answer needs a title (up to 80 characters) and a text (up to 2000)."
            )
            continue
        answers.append(SavedAnswer(title, text))
    return answers
