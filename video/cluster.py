"""Meeting rooms for one instance, or for several that share Redis (``KOHTAAMO_REDIS_URL``).

Without Redis, ``LocalRooms`` seats every connection in this process's ``RoomRegistry``.

With Redis, each open room lives on one instance at a time, its *home*: the first instance a
participant reaches claims the room (``SET NX`` with a short expiry that the home keeps
renewing) and runs it in its own registry, exactly as a single instance does. A participant
whose WebSocket lands on another instance, an *edge*, is relayed: the edge checks the frames
(shape, size, rate) and publishes them on the home's channel, and the home publishes what the
room sends back on the edge's channel. Redis pub/sub keeps the order of what one connection
publishes, and each instance publishes through one writer, so messages arrive in order.

After each change the home saves the room (seats, resume token hashes, admissions, a live
assessment's answers; never chat or media) under a key that expires when the room closes. When
the home dies, its claim expires within ``NODE_TTL_SECONDS``; edges notice the home is gone and
tell their participants to reconnect (4503); the participants' resume tokens then seat them again
on whichever instance claims the room next, which restores it from the saved state, so nobody
waits in the lobby again. A stopped instance releases its rooms at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from video.participants import Link, Participant
from video.rooms import RoomRegistry, Waiting
from video.service import Admission, Meeting
from video.signaling import Close, Refusal, RoomMessage, parse_message

log = logging.getLogger("kohtaamo.video.cluster")

NODE_TTL_SECONDS = 6.0
# How long an edge waits for the home's first word on a new connection before giving up on it.
ANSWER_SECONDS = 5.0
# A saved room outlives its closing time by this much (a late resume is refused by the window).
STATE_MARGIN_SECONDS = 3600
ENDED_SECONDS = 86400
# The longest a stopping instance waits for each of its Redis tasks to let go.
STOP_SECONDS = 5.0
# Renew a claim only if it is still ours; release it likewise.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Seat(Protocol):
    """One WebSocket's place in its room, wherever the room runs."""

    def handle(self, message: RoomMessage, raw: str) -> None:
        """Act on a checked message (``raw`` is its text, for relaying)."""

    def disconnected(self) -> None:
        """The WebSocket ended."""


class Rooms(Protocol):
    async def enter(self, admission: Admission, link: Link, resume: str | None) -> Seat: ...

    async def lobby(self, meeting_ids: Iterable[str]) -> dict[str, list[Waiting]]:
        """Who waits in each meeting's lobby right now."""

    async def close_all(self, code: int, reason: str) -> None:
        """Tell every connection here to reconnect elsewhere."""

    async def stop(self) -> None:
        """Finish what is under way and let go of everything held."""


@dataclasses.dataclass(eq=False)
class LocalSeat:
    registry: RoomRegistry
    participant: Participant
    link: Link

    def handle(self, message: RoomMessage, raw: str) -> None:
        self.registry.handle(self.participant, message)

    def disconnected(self) -> None:
        self.registry.disconnected(self.participant, self.link)


class LocalRooms:
    """One instance: every room in this process."""

    def __init__(self, registry: RoomRegistry) -> None:
        self.registry = registry

    async def enter(self, admission: Admission, link: Link, resume: str | None) -> Seat:
        return LocalSeat(self.registry, self.registry.enter(admission, link, resume), link)

    async def lobby(self, meeting_ids: Iterable[str]) -> dict[str, list[Waiting]]:
        return self.registry.waiting(meeting_ids)

    async def close_all(self, code: int, reason: str) -> None:
        await self.registry.close_all(code, reason)

    async def stop(self) -> None:
        await self.registry.flush()


# ---- several instances -------------------------------------------------------------------------


def _node_key(node: str) -> str:
    return f"kohtaamo:node:{node}"


def _home_key(meeting_id: str) -> str:
    return f"kohtaamo:room:{meeting_id}:home"


def _state_key(meeting_id: str) -> str:
    return f"kohtaamo:room:{meeting_id}:state"


def _ended_key(meeting_id: str) -> str:
    return f"kohtaamo:room:{meeting_id}:ended"


def _channel(node: str) -> str:
    return f"kohtaamo:node:{node}:inbox"


def admission_to_json(admission: Admission) -> dict[str, Any]:
    meeting = dataclasses.asdict(admission.meeting)
    for name, value in meeting.items():
        if isinstance(value, datetime):
            meeting[name] = value.isoformat()
    return {
        "meeting": meeting,
        "role": admission.role,
        "name": admission.name,
        "seat": admission.seat,
        "identity": admission.identity,
        "protocol": admission.protocol,
    }


def admission_from_json(data: dict[str, Any]) -> Admission:
    fields = dict(data["meeting"])
    for field in dataclasses.fields(Meeting):
        if field.name.endswith("_at"):
            fields[field.name] = datetime.fromisoformat(fields[field.name])
    return Admission(
        meeting=Meeting(**fields),
        role=data["role"],
        name=data["name"],
        seat=data["seat"],
        identity=data.get("identity"),
        protocol=data.get("protocol", 2),
    )


class RemoteLink:
    """On the home: a participant connected to an edge, reached through the edge's channel."""

    def __init__(self, rooms: RedisRooms, edge: str, connection: str) -> None:
        self._rooms = rooms
        self.edge = edge
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        self._rooms.tell(self.edge, {"op": "send", "conn": self.connection, "message": message})

    def close(self, code: int, reason: str) -> None:
        self._rooms.tell(
            self.edge, {"op": "close", "conn": self.connection, "code": code, "reason": reason}
        )

    def abort(self) -> None:
        self._rooms.tell(self.edge, {"op": "abort", "conn": self.connection})


@dataclasses.dataclass(eq=False)
class EdgeSeat:
    """On an edge: a local WebSocket whose room lives on another instance."""

    rooms: RedisRooms
    connection: str
    home: str
    meeting_id: str
    link: Link
    answered: bool = False

    def handle(self, message: RoomMessage, raw: str) -> None:
        self.rooms.tell(self.home, {"op": "message", "conn": self.connection, "raw": raw})

    def disconnected(self) -> None:
        if self.rooms.forget_edge(self.connection):
            self.rooms.tell(self.home, {"op": "gone", "conn": self.connection})


@dataclasses.dataclass(eq=False)
class _Relayed:
    """On the home: an edge's connection and the seat it holds."""

    participant: Participant
    link: RemoteLink


class RedisRooms:
    """Rooms shared by the instances that use one Redis (see the module's docstring)."""

    def __init__(
        self,
        registry: RoomRegistry,
        redis: Redis,
        *,
        node_ttl_seconds: float = NODE_TTL_SECONDS,
    ) -> None:
        self.registry = registry
        self.node = secrets.token_hex(8)
        self._redis = redis
        self._ttl_ms = int(node_ttl_seconds * 1000)
        self._beat = node_ttl_seconds / 3
        registry.watch(self._changed)
        self._homes: set[str] = set()  # rooms this instance runs
        # Claims under way here, so that one claim restores a room before anyone enters it.
        self._claiming: dict[str, asyncio.Future[str | None]] = {}
        self._edges: dict[str, EdgeSeat] = {}  # connections here whose room is elsewhere
        self._relayed: dict[str, _Relayed] = {}  # connections elsewhere whose room is here
        self._outgoing: asyncio.Queue[tuple[str, str] | str] = asyncio.Queue()
        self._unsaved: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []  # the keep-alive comes last
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)

    # ---- lifetime --------------------------------------------------------------------------------

    async def start(self) -> None:
        await self._redis.set(_node_key(self.node), "1", px=self._ttl_ms)
        await self._pubsub.subscribe(_channel(self.node))
        loop = asyncio.get_running_loop()
        for work, name in (
            (self._listen(), "listen"),
            (self._write(), "write"),
            (self._keep_alive(), "keep-alive"),
        ):
            self._tasks.append(loop.create_task(work, name=f"kohtaamo-rooms-{name}"))
        log.info("rooms shared through Redis as instance %s", self.node)

    async def close_all(self, code: int, reason: str) -> None:
        for edge in list(self._edges.values()):
            edge.link.close(code, reason)
        await self.registry.close_all(code, reason)

    async def stop(self) -> None:
        """Save and release every room run here, so that the next instance takes over at once."""
        await self.registry.flush()
        keep_alive = self._tasks.pop()
        keep_alive.cancel()
        await self._drain()
        with contextlib.suppress(RedisError):
            async with self._redis.pipeline(transaction=False) as pipe:
                for meeting_id in self._homes:
                    pipe.eval(_RELEASE, 1, _home_key(meeting_id), self.node)
                pipe.delete(_node_key(self.node))
                await pipe.execute()
        self._homes.clear()
        for task in self._tasks:
            task.cancel()
        # Bounded: a read of the subscription that does not give way to the cancellation ends
        # when the subscription is closed.
        await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
        with contextlib.suppress(RedisError, TimeoutError):
            async with asyncio.timeout(STOP_SECONDS):
                await self._pubsub.aclose()
        await asyncio.wait(self._tasks, timeout=STOP_SECONDS)

    async def _drain(self) -> None:
        """Until what was queued for Redis has been written."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._outgoing.join()

    # ---- entering ------------------------------------------------------------------------------

    async def enter(self, admission: Admission, link: Link, resume: str | None) -> Seat:
        meeting_id = admission.meeting.id
        if await self._redis.exists(_ended_key(meeting_id)):
            raise Refusal(Close.ENDED, "ended")
        home = await self._claim(admission.meeting)
        if home == self.node:
            return LocalSeat(self.registry, self.registry.enter(admission, link, resume), link)
        edge = EdgeSeat(self, secrets.token_urlsafe(12), home, meeting_id, link)
        self._edges[edge.connection] = edge
        self.tell(
            home,
            {
                "op": "enter",
                "conn": edge.connection,
                "edge": self.node,
                "admission": admission_to_json(admission),
                "resume": resume,
            },
        )
        asyncio.get_running_loop().call_later(ANSWER_SECONDS, self._unanswered, edge)
        return edge

    async def _claim(self, meeting: Meeting) -> str:
        """The instance the room runs on: this one if the room is free (restored from its saved
        state when another instance ran it before)."""
        if meeting.id in self._homes:
            return self.node
        pending = self._claiming.get(meeting.id)
        if pending is not None:
            home = await asyncio.shield(pending)
        else:
            pending = self._claiming[meeting.id] = asyncio.get_running_loop().create_future()
            home = None
            try:
                home = await self._claim_now(meeting)
            finally:
                pending.set_result(home)
                del self._claiming[meeting.id]
        if home is None:
            raise Refusal(Close.RESTARTING, "room is moving")
        return home

    async def _claim_now(self, meeting: Meeting) -> str | None:
        for _ in range(3):
            if await self._redis.set(_home_key(meeting.id), self.node, nx=True, px=self._ttl_ms):
                saved = await self._redis.get(_state_key(meeting.id))
                if saved is not None:
                    self.registry.restore(meeting, json.loads(saved))
                self._homes.add(meeting.id)
                return self.node
            home = await self._redis.get(_home_key(meeting.id))
            if home is not None:
                return str(home)
        return None

    def _unanswered(self, edge: EdgeSeat) -> None:
        if not edge.answered and edge.connection in self._edges:
            log.warning("instance %s did not answer for meeting %s", edge.home, edge.meeting_id)
            edge.link.close(Close.RESTARTING, "room is moving")

    def forget_edge(self, connection: str) -> bool:
        return self._edges.pop(connection, None) is not None

    # ---- reading the lobby -----------------------------------------------------------------------

    async def lobby(self, meeting_ids: Iterable[str]) -> dict[str, list[Waiting]]:
        wanted = list(meeting_ids)
        found = self.registry.waiting(m for m in wanted if m in self._homes)
        elsewhere = [m for m in wanted if m not in self._homes]
        if not elsewhere:
            return found
        saved = await self._redis.mget([_state_key(m) for m in elsewhere])
        for meeting_id, state in zip(elsewhere, saved, strict=True):
            if state is None:
                continue
            waiting = [
                Waiting(p["id"], p["role"], p["name"])
                for p in json.loads(state)["participants"]
                if not p["admitted"] and p["connected"]
            ]
            if waiting:
                found[meeting_id] = waiting
        return found

    # ---- messages between instances -----------------------------------------------------------

    def tell(self, node: str, message: dict[str, Any]) -> None:
        self._outgoing.put_nowait((_channel(node), json.dumps(message, separators=(",", ":"))))

    def _changed(self, meeting_id: str) -> None:
        if meeting_id not in self._unsaved:
            self._unsaved.add(meeting_id)
            self._outgoing.put_nowait(meeting_id)

    async def _write(self) -> None:
        """The one writer: publishes and saves in the order they were queued, in batches."""
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < 256:
                batch.append(self._outgoing.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for item in batch:
                        if isinstance(item, tuple):
                            pipe.publish(*item)
                        else:
                            self._save(pipe, item)
                    await pipe.execute()
            except Exception:
                log.exception("could not write %d items to Redis", len(batch))
                await asyncio.sleep(0.5)
            finally:
                for _ in batch:
                    self._outgoing.task_done()

    def _save(self, pipe: Any, meeting_id: str) -> None:
        self._unsaved.discard(meeting_id)
        if self.registry.has_ended(meeting_id):
            pipe.set(_ended_key(meeting_id), "1", ex=ENDED_SECONDS)
        if meeting_id not in self._homes:
            return
        room = self.registry.room(meeting_id)
        if room is None:
            # Everyone left or the room closed: nothing to take over.
            pipe.delete(_state_key(meeting_id))
            pipe.eval(_RELEASE, 1, _home_key(meeting_id), self.node)
            self._homes.discard(meeting_id)
            return
        lifetime = (room.meeting.closes_at - datetime.now(UTC)).total_seconds()
        pipe.set(
            _state_key(meeting_id),
            json.dumps(room.snapshot(), separators=(",", ":")),
            ex=max(60, int(lifetime) + STATE_MARGIN_SECONDS),
        )

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        await self._dispatch(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Redis subscription failed; subscribing again")
            # listen() also ends without an error once unsubscribed: never spin on it.
            await asyncio.sleep(0.5)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        match message.get("op"):
            case "enter":
                await self._relayed_enter(message)
            case "message":
                self._relayed_message(message["conn"], message["raw"])
            case "gone":
                relayed = self._relayed.pop(message["conn"], None)
                if relayed is not None:
                    self.registry.disconnected(relayed.participant, relayed.link)
            case "send" | "close" | "abort" as op:
                edge = self._edges.get(message["conn"])
                if edge is None:
                    return
                edge.answered = True
                if op == "send":
                    edge.link.send(message["message"])
                elif op == "close":
                    edge.link.close(message["code"], message["reason"])
                else:
                    edge.link.abort()

    async def _relayed_enter(self, message: dict[str, Any]) -> None:
        admission = admission_from_json(message["admission"])
        link = RemoteLink(self, message["edge"], message["conn"])
        meeting_id = admission.meeting.id
        claiming = self._claiming.get(meeting_id)
        if claiming is not None:  # this instance is just now restoring the room
            await asyncio.shield(claiming)
        if meeting_id not in self._homes:
            link.close(Close.RESTARTING, "room is moving")
            return
        try:
            participant = self.registry.enter(admission, link, message["resume"])
        except Refusal as refusal:
            link.close(refusal.code, refusal.reason)
            return
        self._relayed[link.connection] = _Relayed(participant, link)

    def _relayed_message(self, connection: str, raw: str) -> None:
        relayed = self._relayed.get(connection)
        if relayed is None:
            return
        try:
            self.registry.handle(relayed.participant, parse_message(raw))
        except Refusal as refusal:
            relayed.link.close(refusal.code, refusal.reason)
        except Exception:
            log.exception("relayed meeting message failed")
            relayed.link.close(Close.SERVER_ERROR, "server error")
        else:
            return
        del self._relayed[connection]
        self.registry.disconnected(relayed.participant, relayed.link)

    # ---- liveness ------------------------------------------------------------------------------

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._beat)
            try:
                await self._renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not renew this instance's rooms in Redis")

    async def _renew(self) -> None:
        """Renew this instance's claims, and let go of connections tied to a dead instance."""
        homes = list(self._homes)
        others = sorted(
            {edge.home for edge in self._edges.values()}
            | {relayed.link.edge for relayed in self._relayed.values()}
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(_node_key(self.node), "1", px=self._ttl_ms)
            for meeting_id in homes:
                pipe.eval(_RENEW, 1, _home_key(meeting_id), self.node, self._ttl_ms)
            for node in others:
                pipe.exists(_node_key(node))
            answers = await pipe.execute()
        renewed = answers[1 : 1 + len(homes)]
        alive = dict(zip(others, answers[1 + len(homes) :], strict=True))
        for meeting_id, kept in zip(homes, renewed, strict=True):
            if not kept and meeting_id in self._homes:
                # Another instance took the room over (this one stalled past its claim).
                log.warning("room %s moved to another instance", meeting_id)
                self._homes.discard(meeting_id)
                self.registry.abandon(meeting_id, Close.RESTARTING, "room moved")
        for edge in list(self._edges.values()):
            if not alive.get(edge.home, True):
                edge.link.close(Close.RESTARTING, "instance gone")
        for connection, relayed in list(self._relayed.items()):
            if not alive.get(relayed.link.edge, True):
                del self._relayed[connection]
                self.registry.disconnected(relayed.participant, relayed.link)
