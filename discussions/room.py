"""One live room of a group discussion as the rooms keep it (discussions/rooms.py): its
members, what was said with each message's state, and who is muted or removed. In memory only;
each part turns into plain JSON for a snapshot."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from datetime import datetime
from typing import Any, Protocol

from discussions.types import RoomInfo

# What a room remembers at most; the oldest go first.
MAX_MESSAGES = 1000
PARTICIPANT, HOST, MODERATOR = "participant", "host", "moderator"
APPROVED, HELD, REJECTED, HIDDEN = "approved", "held", "rejected", "hidden"


class Link(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One connection's hello as the route resolved it: the session as the service has it now,
    the browser (a keyed hash of its cookie) and, for a logged-in staff member, who they are."""

    info: RoomInfo
    nickname: str | None
    resume: str | None
    seen: int
    browser: str
    staff_id: str | None = None
    staff_name: str = ""

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "info": self.info.as_json()}

    @classmethod
    def of_json(cls, saved: dict[str, Any]) -> Entry:
        return cls(**saved | {"info": RoomInfo.of_json(saved["info"])})


@dataclasses.dataclass(frozen=True, slots=True)
class Seat:
    """Where a connection sits: its session and its member."""

    session_id: str
    member_id: str


@dataclasses.dataclass(eq=False)
class Member:
    id: str
    nickname: str
    role: str
    staff_id: str | None
    resume_hash: str
    browser: str
    muted: bool = False
    link: Link | None = None
    away: asyncio.TimerHandle | None = None

    @property
    def is_staff(self) -> bool:
        return self.role != PARTICIPANT

    def send(self, message: dict[str, Any]) -> None:
        if self.link is not None:
            self.link.send(message)

    def state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nickname": self.nickname,
            "role": self.role,
            "staff_id": self.staff_id,
            "resume_hash": self.resume_hash,
            "browser": self.browser,
            "muted": self.muted,
        }


@dataclasses.dataclass(eq=False)
class Said:
    seq: int
    mark: int  # the room's change count at this message's last change
    member_id: str
    nickname: str
    role: str
    text: str
    at: datetime
    state: str

    def frame(self, member: Member) -> dict[str, Any]:
        frame = {
            "type": "message",
            "seq": self.seq,
            "mark": self.mark,
            "nickname": self.nickname,
            "role": self.role,
            "text": self.text,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "state": self.state,
            "mine": self.member_id == member.id,
        }
        if member.is_staff:
            frame["member"] = self.member_id
        return frame

    def for_member(self, member: Member) -> dict[str, Any] | None:
        """What ``member`` is told of this message now: staff, everything; a participant, what
        is approved and their own held or rejected ones, and that a message was hidden."""
        if member.is_staff or self.state == APPROVED:
            return self.frame(member)
        if self.state == HIDDEN:
            return {"type": "hidden", "seq": self.seq, "mark": self.mark}
        return self.frame(member) if self.member_id == member.id else None

    def state_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "at": self.at.isoformat()}


@dataclasses.dataclass(eq=False)
class Room:
    info: RoomInfo
    members: dict[str, Member] = dataclasses.field(default_factory=dict)
    messages: collections.deque[Said] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=MAX_MESSAGES)
    )
    seq: int = 0
    mark: int = 0
    muted: set[str] = dataclasses.field(default_factory=set)  # browsers
    removed: set[str] = dataclasses.field(default_factory=set)  # browsers
    timer: asyncio.TimerHandle | None = None

    def participants(self) -> int:
        return sum(1 for member in self.members.values() if not member.is_staff)

    def message(self, seq: int) -> Said | None:
        return next((said for said in self.messages if said.seq == seq), None)
