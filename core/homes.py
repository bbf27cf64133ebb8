"""Something that lives in one process's memory, shared by the instances that use one Redis: it
runs on one of them at a time, its *home*, and the others relay their WebSockets to it.

The advice chats' desk and the group discussions' rooms are such *residents*: queues, duty and
rooms must be one whole for their rules to mean anything, so they are not split between
instances. The first instance a connection reaches while no instance runs the resident claims
it (core/relay.py: a key with a short expiry that the home keeps renewing) and carries on from
the state the previous home saved. A connection that lands elsewhere, on an *edge*, is checked
there (shape, size, rate) and passed on frame by frame; the home answers through the edge.

After each change the home saves what changed (the resident knows what). When it stops, it
saves, lets go and tells every page to reconnect (4503); when it dies, its claim expires and the
edges tell their pages the same. The first page back makes its instance the new home.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from typing import Any, Protocol

from redis.asyncio import Redis

from core.relay import Pipeline, Relay, RemoteLink
from core.websockets import Refusal

log = logging.getLogger("kohtaamo.homes")

RESTARTING = 4503
SERVER_ERROR = 1011
# How long an edge waits for the home's first word on a new connection.
ANSWER_SECONDS = 5.0


class Link(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class Seat(Protocol):
    """One WebSocket's place with the resident, wherever the resident runs."""

    def handle(self, message: Any, raw: str, extra: dict[str, Any]) -> None:
        """Act on a checked message (``raw``: its text, for relaying; ``extra``: what the
        connection's instance looked up for it, as JSON)."""

    def disconnected(self) -> None: ...


class Resident(Protocol):
    """What a home runs, as the relaying needs it."""

    def seat(self, kind: str, entry: dict[str, Any], link: Link) -> Seat:
        """A connection of ``kind`` enters with ``entry`` (JSON); ``Refusal`` if it may not."""

    def parse(self, seat: Seat, raw: str) -> Any:
        """A relayed frame as the seat's messages (checked again: ``Refusal`` if bad)."""

    def save(self, pipe: Pipeline) -> None:
        """Write what changed since the last save."""

    async def restore(self, redis: Redis) -> None:
        """Carry on from what the previous home saved."""

    def drop(self) -> None:
        """Another instance took over: tell this one's connections to reconnect, forget."""

    def command(self, payload: dict[str, Any]) -> None:
        """Act on a change made elsewhere (a session edited on another instance's page)."""


@dataclasses.dataclass(eq=False)
class EdgeSeat:
    """On an edge: a local WebSocket whose resident runs on another instance."""

    home: SharedHome
    connection: str
    home_node: str
    link: Link
    answered: bool = False

    def handle(self, message: Any, raw: str, extra: dict[str, Any]) -> None:
        self.home.relay.tell(
            self.home_node, {"op": "message", "conn": self.connection, "raw": raw, "extra": extra}
        )

    def disconnected(self) -> None:
        if self.home.edges.pop(self.connection, None) is not None:
            self.home.relay.tell(self.home_node, {"op": "gone", "conn": self.connection})


@dataclasses.dataclass(eq=False)
class _Relayed:
    """On the home: an edge's connection and its seat."""

    seat: Seat
    link: RemoteLink


class SharedHome:
    """A resident shared by the instances of one Redis (see the module's docstring)."""

    def __init__(self, resident: Resident, redis: Redis, *, key: str, name: str) -> None:
        self.resident = resident
        self.key = key
        self.relay = Relay(redis, self._dispatch, name=name, lost=self._lost, dead=self._dead)
        self.relay.peers = self._peers
        self.edges: dict[str, EdgeSeat] = {}  # connections here whose resident is elsewhere
        self._relayed: dict[str, _Relayed] = {}  # connections elsewhere whose resident is here
        self._claiming: asyncio.Future[str | None] | None = None
        self._save_queued = False

    async def start(self) -> None:
        await self.relay.start()

    @property
    def is_home(self) -> bool:
        return self.key in self.relay.claims

    # ---- entering ------------------------------------------------------------------------------

    async def enter(self, kind: str, entry: dict[str, Any], link: Link) -> Seat:
        home = await self._home()
        if home == self.relay.node:
            return self.resident.seat(kind, entry, link)
        edge = EdgeSeat(self, secrets.token_urlsafe(12), home, link)
        self.edges[edge.connection] = edge
        self.relay.tell(
            home,
            {"op": "enter", "kind": kind, "entry": entry, "conn": edge.connection,
             "edge": self.relay.node},
        )  # fmt: skip
        asyncio.get_running_loop().call_later(ANSWER_SECONDS, self._unanswered, edge)
        return edge

    def _unanswered(self, edge: EdgeSeat) -> None:
        if not edge.answered and edge.connection in self.edges:
            log.warning("instance %s did not answer for %s", edge.home_node, self.key)
            edge.link.close(RESTARTING, "moving")

    async def _home(self) -> str:
        """The instance the resident runs on: this one if it was free (carrying on from the
        saved state). Claims under way are shared, so that the state is restored first."""
        if self.is_home:
            return self.relay.node
        if self._claiming is not None:
            home = await asyncio.shield(self._claiming)
        else:
            claiming = self._claiming = asyncio.get_running_loop().create_future()
            home = None
            try:
                home, fresh = await self.relay.claim(self.key)
                if fresh:
                    await self._restore()
            finally:
                claiming.set_result(home)
                self._claiming = None
        if home is None:
            raise Refusal(RESTARTING, "moving")
        return home

    async def _restore(self) -> None:
        try:
            await self.resident.restore(self.relay.redis)
        except Exception:
            # A state this instance cannot read (Redis failing, a data key it lacks): start
            # empty rather than not at all.
            log.exception("could not carry on with the saved state of %s", self.key)

    async def command(self, payload: dict[str, Any]) -> None:
        """Have the resident act on ``payload`` where it runs; nowhere if no instance runs it
        (then it has nothing live that the change could concern)."""
        if self.is_home:
            self.resident.command(payload)
            return
        holder = await self.relay.redis.get(self.key)
        if holder is not None:
            self.relay.tell(str(holder), {"op": "command", "payload": payload})

    # ---- saving --------------------------------------------------------------------------------

    def changed(self) -> None:
        """Something changed: save it, once, in order with the messages being sent."""
        if not self._save_queued:
            self._save_queued = True
            self.relay.write(self._save)

    def _save(self, pipe: Pipeline) -> None:
        self._save_queued = False
        if self.is_home:
            self.resident.save(pipe)

    # ---- messages between instances -----------------------------------------------------------

    async def _dispatch(self, message: dict[str, Any]) -> None:
        match message.get("op"):
            case "enter":
                self._relayed_enter(message)
            case "message":
                self._relayed_message(message)
            case "command":
                if self.is_home:
                    self.resident.command(message["payload"])
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
                    edge.link.close(SERVER_ERROR, "dropped")

    def _relayed_enter(self, message: dict[str, Any]) -> None:
        link = RemoteLink(self.relay, message["edge"], message["conn"])
        if not self.is_home:
            link.close(RESTARTING, "moving")
            return
        try:
            seat = self.resident.seat(message["kind"], message["entry"], link)
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
            parsed = self.resident.parse(relayed.seat, raw)
            relayed.seat.handle(parsed, raw, message.get("extra") or {})
        except Refusal as refusal:
            relayed.link.close(refusal.code, refusal.reason)
        except Exception:
            log.exception("a relayed message failed")
            relayed.link.close(SERVER_ERROR, "server error")
        else:
            return
        del self._relayed[message["conn"]]
        relayed.seat.disconnected()

    # ---- liveness and stopping -----------------------------------------------------------------

    def _peers(self) -> set[str]:
        edges = {edge.home_node for edge in self.edges.values()}
        return edges | {relayed.link.edge for relayed in self._relayed.values()}

    def _lost(self, key: str) -> None:
        """Another instance took over while this one stalled: its pages reconnect."""
        self.resident.drop()
        self._relayed.clear()

    def _dead(self, nodes: set[str]) -> None:
        for edge in list(self.edges.values()):
            if edge.home_node in nodes:
                edge.link.close(RESTARTING, "instance gone")
        for connection, relayed in list(self._relayed.items()):
            if relayed.link.edge in nodes:
                del self._relayed[connection]
                relayed.seat.disconnected()

    def close_edges(self, code: int, reason: str) -> None:
        for edge in list(self.edges.values()):
            edge.link.close(code, reason)

    async def stop(self) -> None:
        """Save and let go, so that the next instance carries on at once."""
        if self.is_home:
            self.changed()
        await self.relay.drain()
        await self.relay.stop()
