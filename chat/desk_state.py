"""The desk's state as plain JSON, so that another instance can carry on with it (chat/cluster.py):
the desk's own part (services, queues, workers on duty, blocks, handling times) and each
conversation's (its people, its place in the story, its lines). No connection is kept: whoever
was connected reconnects and resumes.

The desk's clocks are monotonic, which means nothing in another process: times go out as wall
clock seconds and come back as this process's monotonic seconds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chat.parties import Conversation, Line, Worker
from chat.types import ServiceInfo

State = dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ChatIdentity:
    """An identified person as a chat carries them (core.principal.IdentifiedClient)."""

    identity_hash: str
    name: str
    identity_code: str


def to_wall(monotonic: float | None) -> float | None:
    if monotonic is None:
        return None
    return time.time() - (time.monotonic() - monotonic)


def to_monotonic(wall: float | None) -> float | None:
    if wall is None:
        return None
    return time.monotonic() - (time.time() - wall)


def service_state(service: ServiceInfo) -> State:
    return dataclasses.asdict(service)


def service_of(state: State) -> ServiceInfo:
    return ServiceInfo(**state)


def conversation_state(conversation: Conversation) -> State:
    """Everything but the lines and the connection."""
    identity = conversation.identity
    worker = conversation.worker
    return {
        "id": conversation.id,
        "service": service_state(conversation.service),
        "language": conversation.language,
        "resume_hash": conversation.resume_hash,
        "session_hash": conversation.session_hash,
        "identity": None
        if identity is None
        else [identity.identity_hash, identity.name, identity.identity_code],
        "started_at": conversation.started_at.isoformat(),
        "seq": conversation.seq,
        "worker": worker.user_id if worker else None,
        "queued_at": to_wall(conversation.queued_at),
        "first_queued_at": to_wall(conversation.first_queued_at),
        "answered_at": to_wall(conversation.answered_at),
        "transferred": conversation.transferred,
        "ended": conversation.ended,
        "notes": conversation.notes,
    }


def conversation_of(state: State, lines: Iterable[State]) -> Conversation:
    identity = state["identity"]
    conversation = Conversation(
        id=state["id"],
        service=service_of(state["service"]),
        language=state["language"],
        resume_hash=state["resume_hash"],
        session_hash=state["session_hash"],
        identity=None if identity is None else ChatIdentity(*identity),
        link=None,
        started_at=datetime.fromisoformat(state["started_at"]),
        seq=state["seq"],
        queued_at=to_monotonic(state["queued_at"]),
        first_queued_at=to_monotonic(state["first_queued_at"]),
        answered_at=to_monotonic(state["answered_at"]),
        transferred=state["transferred"],
        ended=state["ended"],
        notes=list(state["notes"]),
    )
    conversation.lines.extend(line_of(line) for line in lines)
    return conversation


def line_state(line: Line) -> State:
    return {
        "seq": line.seq,
        "author": line.author,
        "name": line.name,
        "text": line.text,
        "at": line.at.isoformat(),
    }


def line_of(state: State) -> Line:
    return Line(
        state["seq"], state["author"], state["name"], state["text"],
        datetime.fromisoformat(state["at"]),
    )  # fmt: skip


def worker_state(worker: Worker) -> State:
    return {
        "user_id": worker.user_id,
        "name": worker.name,
        "unit_id": worker.unit_id,
        "services": sorted(worker.services),
        "chats": list(worker.chats),
    }


def worker_of(state: State, chats: Mapping[str, Conversation]) -> Worker:
    worker = Worker(state["user_id"], state["name"], state["unit_id"], None)
    worker.services = set(state["services"])
    for chat_id in state["chats"]:
        conversation = chats.get(chat_id)
        if conversation is not None:
            worker.chats[chat_id] = conversation
            conversation.worker = worker
    return worker
