"""A room's seats and the connections in them (video/rooms.py runs the room)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from video.live_state import LiveAssessment, LivePlan
from video.service import Meeting


class Link(Protocol):
    """One participant's live connection, as the room sees it."""

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; never blocks."""

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then close with ``code``."""

    def abort(self) -> None:
        """Drop the connection at once, without a close frame."""


@dataclasses.dataclass(eq=False)
class Participant:
    id: str
    meeting_id: str
    seat: str
    role: str
    name: str
    resume_hash: str
    admitted: bool
    link: Link | None
    media: dict[str, bool] = dataclasses.field(
        default_factory=lambda: {"audio": True, "video": True, "screen": False}
    )
    device_check: dict[str, Any] | None = None
    admitted_at: float | None = None
    # An identified client's identity as the host sees it (video.service.Admission.identity).
    identity: dict[str, Any] | None = None
    away: asyncio.TimerHandle | None = None
    # The signaling protocol version of the page (1: peer-to-peer only).
    protocol: int = 2

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "name": self.name,
            "media": dict(self.media),
            "device_check": self.device_check,
            "identity": self.identity,
        }

    def snapshot(self) -> dict[str, Any]:
        """What another instance needs to give this seat back (video/cluster.py)."""
        in_room = None if self.admitted_at is None else time.monotonic() - self.admitted_at
        return {
            **self.public(),
            "seat": self.seat,
            "resume_hash": self.resume_hash,
            "admitted": self.admitted,
            "connected": self.link is not None,
            "in_room_seconds": in_room,
            "protocol": self.protocol,
        }

    @classmethod
    def restored(cls, meeting_id: str, saved: Mapping[str, Any]) -> Participant:
        """A seat from its snapshot, without a connection: its owner comes back with a resume."""
        in_room = saved.get("in_room_seconds")
        return cls(
            id=saved["id"],
            meeting_id=meeting_id,
            seat=saved["seat"],
            role=saved["role"],
            name=saved["name"],
            resume_hash=saved["resume_hash"],
            admitted=saved["admitted"],
            link=None,
            media=dict(saved["media"]),
            device_check=saved.get("device_check"),
            admitted_at=None if in_room is None else time.monotonic() - in_room,
            identity=saved.get("identity"),
            protocol=saved.get("protocol", 2),
        )

    def send(self, message: dict[str, Any]) -> None:
        if self.link is not None:
            self.link.send(message)


class Room:
    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.participants: dict[str, Participant] = {}
        self.closing: asyncio.TimerHandle | None = None
        self.assessment: LiveAssessment | None = None
        self.plan: LivePlan | None = None
        # "mesh": browser to browser; "sfu": everyone through Janus, for the rest of the meeting.
        self.path = "mesh"

    @property
    def host(self) -> Participant | None:
        return next((p for p in self.participants.values() if p.role == "host"), None)

    def admitted(self, *, besides: Participant | None = None) -> list[Participant]:
        return [p for p in self.participants.values() if p.admitted and p is not besides]

    def waiting(self) -> list[Participant]:
        return [p for p in self.participants.values() if not p.admitted and p.link is not None]

    def snapshot(self) -> dict[str, Any]:
        return {
            "participants": [p.snapshot() for p in self.participants.values()],
            "assessment": None if self.assessment is None else self.assessment.snapshot(),
            "plan": None if self.plan is None else self.plan.snapshot(),
            "path": self.path,
        }

    def respondent(self) -> Participant | None:
        """The client, who answers a live assessment, if admitted."""
        return next(
            (p for p in self.participants.values() if p.seat == "client" and p.admitted), None
        )

    def assessment_audience(self) -> list[Participant]:
        """Who sees a live assessment or plan: the host and the client, not the other guests."""
        return [p for p in self.admitted() if p.role == "host" or p.seat == "client"]

    def connection(self, participant_id: str) -> Link | None:
        participant = self.participants.get(participant_id)
        return participant.link if participant else None


def error_message(
    code: str, detail: str, fields: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``error`` message a room sends the one participant it concerns."""
    message: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if fields:
        message["fields"] = dict(fields)
    return message


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
