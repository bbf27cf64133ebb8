"""The advice chats' desk for one instance, or for several that share Redis (``KOHTAAMO_REDIS_URL``).

Without Redis, ``LocalDesks`` seats every connection at this process's ``ChatDesk``.

With Redis, the desk runs on one instance at a time, its home (core/relay.py): queues, workers on
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

import asyncio
import dataclasses
import json
import logging
import secrets
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
from core.relay import Pipeline, Relay, RemoteLink
from core.websockets import Refusal

log = logging.getLogger("kohtaamo.chat.cluster")

HOME_KEY = "kohtaamo:chat:home"
DESK_KEY = "kohtaamo:chat:desk"
COUNTS_KEY = "kohtaamo:chat:counts"
# A conversation left unchanged this long is gone from Redis even if nobody forgot it.
CHAT_SECONDS = 4 * 3600
# The desk's own state holds the day's blocks.
DESK_SECONDS = 24 * 3600
# How long an edge waits for the home's first word on a new connection.
ANSWER_SECONDS = 5.0
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


class Seat(Protocol):
    """One WebSocket's place at the desk, wherever the desk runs."""

    def handle(self, message: Any, raw: str, services: Sequence[ServiceInfo]) -> None:
        """Act on a checked message (``raw``: its text, for relaying; ``services``: the chats
        a worker may be on duty for, read by the connection's instance for ``duty``)."""

    def disconnected(self) -> None: ...


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

    def handle(self, message: Any, raw: str, services: Sequence[ServiceInfo]) -> None:
        self.desk.person_message(self.conversation, message)

    def disconnected(self) -> None:
        self.desk.person_disconnected(self.conversation, self.link)


@dataclasses.dataclass(eq=False)
class WorkerSeat:
    desk: ChatDesk
    worker: Worker
    link: Link

    def handle(self, message: Any, raw: str, services: Sequence[ServiceInfo]) -> None:
        self.desk.worker_message(self.worker, message, services)

    def disconnected(self) -> None:
        self.desk.worker_disconnected(self.worker, self.link)


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


@dataclasses.dataclass(eq=False)
class EdgeSeat:
    """On an edge: a local WebSocket whose desk runs on another instance."""

    desks: RedisDesks
    connection: str
    home: str
    link: Link
    answered: bool = False

    def handle(self, message: Any, raw: str, services: Sequence[ServiceInfo]) -> None:
        relayed: dict[str, Any] = {"op": "message", "conn": self.connection, "raw": raw}
        if services:
            relayed["services"] = [service_state(s) for s in services]
        self.desks.relay.tell(self.home, relayed)

    def disconnected(self) -> None:
        if self.desks.edges.pop(self.connection, None) is not None:
            self.desks.relay.tell(self.home, {"op": "gone", "conn": self.connection})


@dataclasses.dataclass(eq=False)
class _Relayed:
    """On the home: an edge's connection and its seat."""

    seat: PersonSeat | WorkerSeat
    link: RemoteLink


class RedisDesks:
    """The desk shared by the instances that use one Redis (see the module's docstring)."""

    def __init__(self, desk: ChatDesk, redis: Redis, cipher: DataCipher, **relay: Any) -> None:
        self.desk = desk
        self._cipher = cipher
        self.relay = Relay(
            redis, self._dispatch, name="chat desk", lost=self._lost, dead=self._dead, **relay
        )
        self.relay.peers = self._peers
        desk.watch(self._changed)
        self.edges: dict[str, EdgeSeat] = {}  # connections here whose desk is elsewhere
        self._relayed: dict[str, _Relayed] = {}  # connections elsewhere whose desk is here
        self._claiming: asyncio.Future[str | None] | None = None
        self._dirty: set[str] = set()
        self._desk_dirty = False
        self._save_queued = False
        self._saved_seq: dict[str, int] = {}  # each saved conversation's newest saved line

    async def start(self) -> None:
        await self.relay.start()

    @property
    def is_home(self) -> bool:
        return HOME_KEY in self.relay.claims

    # ---- entering ------------------------------------------------------------------------------

    async def person(self, entry: PersonEntry, link: Link) -> Seat:
        home = await self._home()
        if home == self.relay.node:
            return _seat_person(self.desk, entry, link)
        return self._edge(home, link, {"op": "person", "entry": entry.to_json()})

    async def worker(self, entry: WorkerEntry, link: Link) -> Seat:
        home = await self._home()
        if home == self.relay.node:
            return _seat_worker(self.desk, entry, link)
        return self._edge(home, link, {"op": "worker", "entry": dataclasses.asdict(entry)})

    def _edge(self, home: str, link: Link, enter: dict[str, Any]) -> EdgeSeat:
        edge = EdgeSeat(self, secrets.token_urlsafe(12), home, link)
        self.edges[edge.connection] = edge
        self.relay.tell(home, enter | {"conn": edge.connection, "edge": self.relay.node})
        asyncio.get_running_loop().call_later(ANSWER_SECONDS, self._unanswered, edge)
        return edge

    def _unanswered(self, edge: EdgeSeat) -> None:
        if not edge.answered and edge.connection in self.edges:
            log.warning("the chat desk's instance %s did not answer", edge.home)
            edge.link.close(Close.RESTARTING, "desk is moving")

    async def _home(self) -> str:
        """The instance the desk runs on: this one if it was free (carrying on from the saved
        state). Claims under way are shared, so that the desk is restored before anyone sits."""
        if self.is_home:
            return self.relay.node
        if self._claiming is not None:
            home = await asyncio.shield(self._claiming)
        else:
            claiming = self._claiming = asyncio.get_running_loop().create_future()
            home = None
            try:
                home, fresh = await self.relay.claim(HOME_KEY)
                if fresh:
                    await self._restore()
            finally:
                claiming.set_result(home)
                self._claiming = None
        if home is None:
            raise Refusal(Close.RESTARTING, "desk is moving")
        return home

    async def counts(self) -> dict[str, tuple[int, int]]:
        if self.is_home:
            return _counts(self.desk)
        saved = await self.relay.redis.get(COUNTS_KEY)
        if saved is None:
            return {}
        return {service: (duty, waiting) for service, (duty, waiting) in json.loads(saved).items()}

    # ---- saving and restoring ------------------------------------------------------------------

    def _changed(self, chat_id: str | None) -> None:
        if chat_id is None:
            self._desk_dirty = True
        else:
            self._dirty.add(chat_id)
        if not self._save_queued:
            self._save_queued = True
            self.relay.write(self._save)

    def _save(self, pipe: Pipeline) -> None:
        self._save_queued = False
        dirty, self._dirty = self._dirty, set()
        desk_dirty, self._desk_dirty = self._desk_dirty, False
        if not self.is_home:
            return
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

    async def _restore(self) -> None:
        try:
            await self._restore_saved()
        except Exception:
            # A state this instance cannot read (Redis failing, a data key it lacks): the desk
            # starts empty rather than not at all; pages begin new chats.
            log.exception("could not carry on with the saved chat desk")

    async def _restore_saved(self) -> None:
        redis = self.relay.redis
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

    # ---- messages between instances -----------------------------------------------------------

    async def _dispatch(self, message: dict[str, Any]) -> None:
        match message.get("op"):
            case "person" | "worker" as kind:
                self._relayed_enter(kind, message)
            case "message":
                self._relayed_message(message)
            case "gone":
                relayed = self._relayed.pop(message["conn"], None)
                if relayed is not None:
                    relayed.seat.disconnected()
            case "send" | "close" | "abort" as op:
                edge = self.edges.get(message["conn"])
                if edge is None:
                    return
                edge.answered = True
                if op == "send":
                    edge.link.send(message["message"])
                elif op == "close":
                    edge.link.close(message["code"], message["reason"])
                else:
                    edge.link.close(Close.SERVER_ERROR, "dropped")

    def _relayed_enter(self, kind: str, message: dict[str, Any]) -> None:
        link = RemoteLink(self.relay, message["edge"], message["conn"])
        if not self.is_home:
            link.close(Close.RESTARTING, "desk is moving")
            return
        seat: PersonSeat | WorkerSeat
        try:
            if kind == "person":
                seat = _seat_person(self.desk, PersonEntry.from_json(message["entry"]), link)
            else:
                seat = _seat_worker(self.desk, WorkerEntry(**message["entry"]), link)
        except Refusal as refusal:
            link.close(refusal.code, refusal.reason)
            return
        self._relayed[link.connection] = _Relayed(seat, link)

    def _relayed_message(self, message: dict[str, Any]) -> None:
        relayed = self._relayed.get(message["conn"])
        if relayed is None:
            return
        raw = message["raw"]
        try:
            if isinstance(relayed.seat, PersonSeat):
                relayed.seat.handle(parse_person(raw), raw, ())
            else:
                services = [service_of(s) for s in message.get("services", ())]
                relayed.seat.handle(parse_worker(raw), raw, services)
        except Refusal as refusal:
            relayed.link.close(refusal.code, refusal.reason)
        except Exception:
            log.exception("relayed chat message failed")
            relayed.link.close(Close.SERVER_ERROR, "server error")
        else:
            return
        del self._relayed[message["conn"]]
        relayed.seat.disconnected()

    # ---- liveness and stopping -----------------------------------------------------------------

    def _peers(self) -> set[str]:
        return {e.home for e in self.edges.values()} | {r.link.edge for r in self._relayed.values()}

    def _lost(self, key: str) -> None:
        """Another instance took the desk over while this one stalled: its pages reconnect."""
        self.desk.close_all(Close.RESTARTING, "desk moved")
        self.desk.drop()
        self._relayed.clear()

    def _dead(self, nodes: set[str]) -> None:
        for edge in list(self.edges.values()):
            if edge.home in nodes:
                edge.link.close(Close.RESTARTING, "instance gone")
        for connection, relayed in list(self._relayed.items()):
            if relayed.link.edge in nodes:
                del self._relayed[connection]
                relayed.seat.disconnected()

    async def close_all(self, code: int, reason: str) -> None:
        for edge in list(self.edges.values()):
            edge.link.close(code, reason)
        self.desk.close_all(code, reason)

    async def stop(self) -> None:
        """Save and let go, so that the next instance carries on at once."""
        await self.desk.flush()
        if self.is_home:
            self._changed(None)
        await self.relay.drain()
        await self.relay.stop()
