"""The people of an advice chat as the desk keeps them: the person's conversation (its lines,
bounded, in memory only) and the worker with the chats they hold."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import time
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chat.types import ServiceInfo
from core.principal import IdentifiedClient

MAX_LINES = 500


class Link(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    seq: int
    author: str  # person, worker or system
    name: str
    text: str
    at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "from": self.author,
            "name": self.name,
            "text": self.text,
            "at": self.at.isoformat().replace("+00:00", "Z"),
        }


@dataclasses.dataclass(eq=False)
class Conversation:
    id: str
    service: ServiceInfo
    language: str
    resume_hash: str
    session_hash: str
    # The person, if they chose to chat identified: the worker sees the name.
    identity: IdentifiedClient | None
    link: Link | None
    started_at: datetime
    lines: collections.deque[Line] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=MAX_LINES)
    )
    seq: int = 0
    worker: Worker | None = None
    queued_at: float | None = None  # monotonic; None before the first message or once taken
    first_queued_at: float | None = None
    answered_at: float | None = None
    transferred: bool = False
    ended: str | None = None
    # What workers wrote to each other when handing it over; never shown to the person.
    notes: list[str] = dataclasses.field(default_factory=list)
    away: asyncio.TimerHandle | None = None
    # The place and wait estimate the person was last told, while queued.
    told: tuple[int, int | None] | None = None

    def add(self, author: str, name: str, text: str, at: datetime) -> Line:
        self.seq += 1
        line = Line(self.seq, author, name, text, at)
        self.lines.append(line)
        return line

    def lines_after(self, seq: int) -> list[dict[str, Any]]:
        return [line.public() for line in self.lines if line.seq > seq]

    def for_worker(self) -> dict[str, Any]:
        return {
            "type": "chat",
            "chat": self.id,
            "service": self.service.id,
            "identified_as": self.identity.name if self.identity else None,
            "language": self.language,
            "lines": self.lines_after(0),
            "notes": list(self.notes),
            "person_connected": self.link is not None,
            "ended": self.ended,
        }

    def send(self, message: dict[str, Any]) -> None:
        if self.link is not None:
            self.link.send(message)

    def waited_and_talked(self) -> tuple[int, int] | None:
        """Whole seconds waited in queues and talked with a worker; None if never written to."""
        if self.first_queued_at is None:
            return None
        now = time.monotonic()
        waited = (self.answered_at or now) - self.first_queued_at
        talked = now - self.answered_at if self.answered_at is not None else 0.0
        return round(waited), round(talked)

    def to_worker(self, message: dict[str, Any]) -> None:
        """Tell the worker holding this chat, if any, about it."""
        if self.worker is not None:
            self.worker.send(message | {"chat": self.id})

    def welcome(self, resume: str | None, seen: int) -> dict[str, Any]:
        """What the person's page is told on (re)connecting: the chat's state and the lines
        after ``seen``; ``resume`` is a new chat's token (None when resumed)."""
        worker = self.worker
        if self.ended:
            state = "ended"
        elif worker is not None:
            state = "chatting"
        else:
            state = "queued" if self.queued_at is not None else "new"
        return {
            "type": "welcome",
            "v": 1,
            "resume": resume,
            "chat": self.id,
            "service": self.service.slug,
            "state": state,
            "worker": worker.shown_name if worker else None,
            "lines": self.lines_after(seen),
        }

    def transcript(self, zone: ZoneInfo) -> str:
        """The lines as the person keeps them: time, who, words."""
        person = self.identity.name if self.identity else ""
        return "\n\n".join(
            f"{line.at.astimezone(zone).strftime('%d.%m.%Y %H.%M')} "
            f"{person if line.author == 'person' else line.name}\n{line.text}"
            for line in self.lines
        )


@dataclasses.dataclass(eq=False)
class Worker:
    user_id: str
    name: str
    unit_id: str | None
    link: Link | None
    services: set[str] = dataclasses.field(default_factory=set)
    chats: dict[str, Conversation] = dataclasses.field(default_factory=dict)
    away: asyncio.TimerHandle | None = None

    @property
    def shown_name(self) -> str:
        """What the person sees: the first name only."""
        return self.name.split(" ")[0] if self.name else ""

    def send(self, message: dict[str, Any]) -> None:
        if self.link is not None:
            self.link.send(message)
