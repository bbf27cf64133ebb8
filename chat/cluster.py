"""The advice chats' desk for one instance, or for several that share Redis (``KOHTAAMO_REDIS_URL``).

Without Redis, ``LocalDesks`` seats every connection at this process's ``ChatDesk``.

With Redis, the desk runs on one instance at a time, its home (core/homes.py): queues, workers on
duty and conversations must be one whole for "take the next chat" to mean anything. Connections
that land on another instance are relayed there: the edge checks each frame (shape, size, rate)
and passes it on; the home answers through the edge.

After each change the home saves what changed: the desk's own state (queues, workers on duty,
blocks) and each changed conversation, its lines appended to a list capped at the desk's bound.
A conversation's state and lines are encrypted with the service's data key, expire after
``CHAT_SECONDS`` without a change, and are deleted as soon as the chat is forgotten. When the
home stops it saves, lets go and tells every page to reconnect (4503); when it dies, its claim
expires and the edges tell their pages the same. The first page to come back makes its instance
the new home, which carries on from the saved state: people resume their chats with the lines
they missed, workers find their duty and chats, the queue keeps its order.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from chat.desk import ChatDesk
from chat.desk_state import (
    ChatIdentity,
    conversation_of,
    conversation_state,
    line_state,
    service_of,
    service_state,
)
from chat.parties import MAX_LINES, Conversation, Link, Worker
from chat.protocol import Close, parse_person, parse_worker
from chat.types import ServiceInfo
from core.crypto import DataCipher
from core.homes import Seat, SharedHome
from core.relay import Pipeline

log = logging.getLogger("kohtaamo.chat.cluster")

HOME_KEY = "kohtaamo:chat:home"
DESK_KEY = "kohtaamo:chat:desk"
COUNTS_KEY = "kohtaamo:chat:counts"
# A conversation left unchanged this long is gone from Redis even if nobody forgot it.
CHAT_SECONDS = 4 * 3600
# The desk's own state holds the day's blocks.
DESK_SECONDS = 24 * 3600
PURPOSE = "chat"


def _chat_key(chat_id: str) -> str:
    return f"kohtaamo:chat:c:{chat_id}"


def _lines_key(chat_id: str) -> str:
    return f"kohtaamo:chat:c:{chat_id}:lines"


@dataclasses.dataclass(frozen=True, slots=True)
class PersonEntry:
    """What the person's instance knows when they connect: checked there, acted on at home."""

    service: ServiceInfo
    resume: str | None
    seen: int
    session_hash: str
    language: str
    identity: ChatIdentity | None
    open_now: bool

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"service": service_state(self.service)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonEntry:
        identity = data["identity"]
        return cls(
            **data
            | {
                "service": service_of(data["service"]),
                "identity": None if identity is None else ChatIdentity(**identity),
            }
        )


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerEntry:
    user_id: str
    name: str
    unit_id: str | None


class Desks(Protocol):
    async def person(self, entry: PersonEntry, link: Link) -> Seat: ...

    async def worker(self, entry: WorkerEntry, link: Link) -> Seat: ...

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Each service's workers on duty and people waiting."""

    async def close_all(self, code: int, reason: str) -> None: ...

    async def stop(self) -> None: ...


# ---- one instance ------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class PersonSeat:
    desk: ChatDesk
    conversation: Conversation
    link: Link

    def handle(self, message: Any, raw: str, extra: dict[str, Any]) -> None:
        self.desk.person_message(self.conversation, message)

    def disconnected(self) -> None:
        self.desk.person_disconnected(self.conversation, self.link)


@dataclasses.dataclass(eq=False)
class WorkerSeat:
    desk: ChatDesk
    worker: Worker
    link: Link

    def handle(self, message: Any, raw: str, extra: dict[str, Any]) -> None:
        services = [service_of(service) for service in extra.get("services", ())]
        self.desk.worker_message(self.worker, message, services)

    def disconnected(self) -> None:
        self.desk.worker_disconnected(self.worker, self.link)


def duty_extra(services: Sequence[ServiceInfo]) -> dict[str, Any]:
    """What a worker's instance looked up for ``duty``: the chats of the worker's unit."""
    return {"services": [service_state(service) for service in services]}


def _seat_person(desk: ChatDesk, entry: PersonEntry, link: Link) -> PersonSeat:
    conversation = desk.person_enter(
        entry.service,
        link,
        resume=entry.resume,
        seen=entry.seen,
        session_hash=entry.session_hash,
        language=entry.language,
        identity=entry.identity,
        open_now=entry.open_now,
    )
    return PersonSeat(desk, conversation, link)


def _seat_worker(desk: ChatDesk, entry: WorkerEntry, link: Link) -> WorkerSeat:
    return WorkerSeat(desk, desk.worker_enter(entry.user_id, entry.name, entry.unit_id, link), link)


def _counts(desk: ChatDesk) -> dict[str, tuple[int, int]]:
    return {
        service["id"]: (desk.on_duty(service["id"]), desk.waiting(service["id"]))
        for service in desk.export()["services"]
    }


class LocalDesks:
    """One instance: the desk in this process."""

    def __init__(self, desk: ChatDesk) -> None:
        self.desk = desk

    async def person(self, entry: PersonEntry, link: Link) -> Seat:
        return _seat_person(self.desk, entry, link)

    async def worker(self, entry: WorkerEntry, link: Link) -> Seat:
        return _seat_worker(self.desk, entry, link)

    async def counts(self) -> dict[str, tuple[int, int]]:
        return _counts(self.desk)

    async def close_all(self, code: int, reason: str) -> None:
        self.desk.close_all(code, reason)

    async def stop(self) -> None:
        await self.desk.flush()


# ---- several instances -------------------------------------------------------------------------


class DeskResident:
    """The desk as its home runs it (core/homes.py): seats from JSON, and what to save."""

    def __init__(self, desk: ChatDesk, cipher: DataCipher) -> None:
        self.desk = desk
        self._cipher = cipher
        self.dirty: set[str] = set()
        self.desk_dirty = False
        self._saved_seq: dict[str, int] = {}  # each saved conversation's newest saved line

    def seat(self, kind: str, entry: dict[str, Any], link: Link) -> Seat:
        if kind == "person":
            return _seat_person(self.desk, PersonEntry.from_json(entry), link)
        return _seat_worker(self.desk, WorkerEntry(**entry), link)

    def parse(self, seat: Seat, raw: str) -> Any:
        return parse_person(raw) if isinstance(seat, PersonSeat) else parse_worker(raw)

    def drop(self) -> None:
        self.desk.close_all(Close.RESTARTING, "desk moved")
        self.desk.drop()

    def command(self, payload: dict[str, Any]) -> None:
        """The desk takes no commands from other instances."""

    def save(self, pipe: Pipeline) -> None:
        dirty, self.dirty = self.dirty, set()
        desk_dirty, self.desk_dirty = self.desk_dirty, False
        for chat_id in dirty:
            conversation = self.desk.conversation(chat_id)
            if conversation is None:
                pipe.delete(_chat_key(chat_id), _lines_key(chat_id))
                self._saved_seq.pop(chat_id, None)
            else:
                self._save_conversation(pipe, conversation)
        if desk_dirty:
            pipe.set(DESK_KEY, json.dumps(self.desk.export()), ex=DESK_SECONDS)
            pipe.set(COUNTS_KEY, json.dumps(_counts(self.desk)))

    def _save_conversation(self, pipe: Pipeline, conversation: Conversation) -> None:
        state = json.dumps(conversation_state(conversation))
        pipe.set(
            _chat_key(conversation.id),
            self._cipher.encrypt_text(PURPOSE, state),
            ex=CHAT_SECONDS,
        )
        saved = self._saved_seq.get(conversation.id, 0)
        new = [line for line in conversation.lines if line.seq > saved]
        lines = _lines_key(conversation.id)
        if new:
            pipe.rpush(
                lines,
                *(self._cipher.encrypt_text(PURPOSE, json.dumps(line_state(n))) for n in new),
            )
            pipe.ltrim(lines, -MAX_LINES, -1)
            self._saved_seq[conversation.id] = new[-1].seq
        pipe.expire(lines, CHAT_SECONDS)

    async def restore(self, redis: Redis) -> None:
        saved = await redis.get(DESK_KEY)
        if saved is None:
            return
        state = json.loads(saved)
        async with redis.pipeline(transaction=False) as pipe:
            for chat_id in state["chats"]:
                pipe.get(_chat_key(chat_id))
                pipe.lrange(_lines_key(chat_id), 0, -1)
            found = await pipe.execute()
        chats = []
        for chat, lines in zip(found[::2], found[1::2], strict=True):
            if chat is None:
                continue  # expired
            conversation = conversation_of(
                json.loads(self._cipher.decrypt_text(PURPOSE, chat)),
                [json.loads(self._cipher.decrypt_text(PURPOSE, line)) for line in lines],
            )
            self._saved_seq[conversation.id] = conversation.seq
            chats.append(conversation)
        self.desk.restore(state, chats)
        log.info("the chat desk carries on here with %d chats", len(chats))


class RedisDesks:
    """The desk shared by the instances that use one Redis (see the module's docstring)."""

    def __init__(self, desk: ChatDesk, redis: Redis, cipher: DataCipher) -> None:
        self.desk = desk
        self.resident = DeskResident(desk, cipher)
        self.home = SharedHome(self.resident, redis, key=HOME_KEY, name="chat desk")
        desk.watch(self._changed)

    async def start(self) -> None:
        await self.home.start()

    def _changed(self, chat_id: str | None) -> None:
        if chat_id is None:
            self.resident.desk_dirty = True
        else:
            self.resident.dirty.add(chat_id)
        self.home.changed()

    async def person(self, entry: PersonEntry, link: Link) -> Seat:
        return await self.home.enter("person", entry.to_json(), link)

    async def worker(self, entry: WorkerEntry, link: Link) -> Seat:
        return await self.home.enter("worker", dataclasses.asdict(entry), link)

    async def counts(self) -> dict[str, tuple[int, int]]:
        if self.home.is_home:
            return _counts(self.desk)
        saved = await self.home.relay.redis.get(COUNTS_KEY)
        if saved is None:
            return {}
        return {service: (duty, waiting) for service, (duty, waiting) in json.loads(saved).items()}

    async def close_all(self, code: int, reason: str) -> None:
        self.home.close_edges(code, reason)
        self.desk.close_all(code, reason)

    async def stop(self) -> None:
        await self.desk.flush()
        await self.home.stop()
