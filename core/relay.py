"""Instances that share one Redis, and what runs on one of them at a time.

Something that lives in one process's memory (the advice chats' desk, a group discussion) runs on
one instance at a time, its *home*: the first instance a user reaches claims it (``SET NX`` with
a short expiry that the home keeps renewing). A WebSocket that lands on another instance, an
*edge*, is relayed: the edge checks its frames and publishes them on the home's inbox channel,
and the home publishes what it sends back on the edge's. Redis pub/sub keeps the order of what
one connection publishes, and each instance publishes through one writer (``Relay._write``), so
messages arrive in the order they were sent. Saves queued on the same writer are written in that
order too, between the messages.

An instance that stops releases its claims at once; one that dies loses them when they expire
(``NODE_TTL_SECONDS``), and the edges that relayed to it close their connections (4503) so that
the pages reconnect and resume wherever the thing is claimed next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("kohtaamo.relay")

NODE_TTL_SECONDS = 6.0
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

Pipeline = Any  # redis.asyncio.client.Pipeline, untyped upstream
Handler = Callable[[dict[str, Any]], Awaitable[None]]


def node_key(node: str) -> str:
    return f"kohtaamo:node:{node}"


def inbox(node: str) -> str:
    return f"kohtaamo:node:{node}:inbox"


class RemoteLink:
    """On the home: a connection held by an edge, reached through the edge's inbox. It has the
    shape of ``core.websockets.QueuedSocket``'s sending side."""

    def __init__(self, relay: Relay, edge: str, connection: str) -> None:
        self._relay = relay
        self.edge = edge
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        self._relay.tell(self.edge, {"op": "send", "conn": self.connection, "message": message})

    def close(self, code: int, reason: str) -> None:
        self._relay.tell(
            self.edge, {"op": "close", "conn": self.connection, "code": code, "reason": reason}
        )

    def abort(self) -> None:
        self._relay.tell(self.edge, {"op": "abort", "conn": self.connection})


class Relay:
    """This instance's line to the others: its inbox, one ordered writer, its claims and the
    liveness of the instances it relays to (see the module's docstring)."""

    def __init__(
        self,
        redis: Redis,
        handler: Handler,
        *,
        name: str,
        node_ttl_seconds: float = NODE_TTL_SECONDS,
        lost: Callable[[str], None] = lambda key: None,
        dead: Callable[[set[str]], None] = lambda nodes: None,
    ) -> None:
        self.node = secrets.token_hex(8)
        self.redis = redis
        self._handler = handler
        self._name = name
        self._ttl_ms = int(node_ttl_seconds * 1000)
        self._beat = node_ttl_seconds / 3
        # Told of a claim another instance took over, and of instances gone.
        self._lost = lost
        self._dead = dead
        self.claims: set[str] = set()
        self.peers: Callable[[], Iterable[str]] = lambda: ()
        self._outgoing: asyncio.Queue[tuple[str, str] | Callable[[Pipeline], None]] = (
            asyncio.Queue()
        )
        self._tasks: list[asyncio.Task[None]] = []  # the keep-alive comes last
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)

    async def start(self) -> None:
        await self.redis.set(node_key(self.node), "1", px=self._ttl_ms)
        await self._pubsub.subscribe(inbox(self.node))
        loop = asyncio.get_running_loop()
        for work, task in (
            (self._listen(), "listen"),
            (self._write(), "write"),
            (self._keep_alive(), "keep-alive"),
        ):
            self._tasks.append(loop.create_task(work, name=f"kohtaamo-{self._name}-{task}"))
        log.info("%s shared through Redis as instance %s", self._name, self.node)

    async def stop(self) -> None:
        """Write what is queued, release every claim and stop listening."""
        keep_alive = self._tasks.pop()
        keep_alive.cancel()
        await self.drain()
        with contextlib.suppress(RedisError):
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in self.claims:
                    pipe.eval(_RELEASE, 1, key, self.node)
                pipe.delete(node_key(self.node))
                await pipe.execute()
        self.claims.clear()
        for task in self._tasks:
            task.cancel()
        # Bounded: a read of the subscription that does not give way to the cancellation ends
        # when the subscription is closed.
        await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
        with contextlib.suppress(RedisError, TimeoutError):
            async with asyncio.timeout(STOP_SECONDS):
                await self._pubsub.aclose()
        await asyncio.wait(self._tasks, timeout=STOP_SECONDS)

    async def drain(self) -> None:
        """Until what was queued for Redis has been written."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_SECONDS):
                await self._outgoing.join()

    # ---- claims --------------------------------------------------------------------------------

    async def claim(self, key: str) -> tuple[str | None, bool]:
        """Who holds ``key``: (this instance, True) if it was free and is now ours; (the holder,
        False) otherwise; (None, False) if it changed hands too fast to tell."""
        if key in self.claims:
            return self.node, False
        for _ in range(3):
            if await self.redis.set(key, self.node, nx=True, px=self._ttl_ms):
                self.claims.add(key)
                return self.node, True
            holder = await self.redis.get(key)
            if holder is not None:
                return str(holder), False
        return None, False

    # ---- writing -------------------------------------------------------------------------------

    def tell(self, node: str, message: dict[str, Any]) -> None:
        self._outgoing.put_nowait((inbox(node), json.dumps(message, separators=(",", ":"))))

    def write(self, work: Callable[[Pipeline], None]) -> None:
        """Queue ``work`` (commands on a pipeline) in order with the messages."""
        self._outgoing.put_nowait(work)

    async def _write(self) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < 256:
                batch.append(self._outgoing.get_nowait())
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for item in batch:
                        if isinstance(item, tuple):
                            pipe.publish(*item)
                        else:
                            item(pipe)
                    await pipe.execute()
            except Exception:
                log.exception("could not write %d items to Redis", len(batch))
                await asyncio.sleep(0.5)
            finally:
                for _ in batch:
                    self._outgoing.task_done()

    # ---- reading -------------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        await self._handler(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Redis subscription failed; subscribing again")
            # listen() also ends without an error once unsubscribed: never spin on it.
            await asyncio.sleep(0.5)

    # ---- liveness ------------------------------------------------------------------------------

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._beat)
            try:
                await self._renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not renew %s in Redis", self._name)

    async def _renew(self) -> None:
        claims = list(self.claims)
        others = sorted(set(self.peers()) - {self.node})
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(node_key(self.node), "1", px=self._ttl_ms)
            for key in claims:
                pipe.eval(_RENEW, 1, key, self.node, self._ttl_ms)
            for node in others:
                pipe.exists(node_key(node))
            answers = await pipe.execute()
        renewed = answers[1 : 1 + len(claims)]
        for key, kept in zip(claims, renewed, strict=True):
            if not kept and key in self.claims:
                # Another instance took it over (this one stalled past its claim).
                log.warning("%s moved to another instance", key)
                self.claims.discard(key)
                self._lost(key)
        liveness = zip(others, answers[1 + len(claims) :], strict=True)
        gone = {node for node, alive in liveness if not alive}
        if gone:
            self._dead(gone)
