"""What the service's WebSockets (the video rooms' signaling, the chats) share: a connection
whose sends never block the sender, and the check that a socket comes from our own pages."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMessage, WSMsgType, web

from core.app_keys import settings_key
from core.errors import Forbidden

# A connection whose reader falls this far behind is dropped rather than let the others wait.
MAX_QUEUED_MESSAGES = 512


class QueuedSocket:
    """A WebSocket as a room or a chat sees it: sends are queued and written in order by one
    task, so a slow connection never holds up the others."""

    def __init__(self, socket: web.WebSocketResponse, request: web.Request) -> None:
        self._socket = socket
        self._request = request
        self._queue: asyncio.Queue[str | tuple[int, str] | None] = asyncio.Queue()
        self._closing = False
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, message: dict[str, Any]) -> None:
        if self._closing:
            return
        if self._queue.qsize() >= MAX_QUEUED_MESSAGES:
            self.abort()
            return
        self._queue.put_nowait(json.dumps(message, separators=(",", ":")))

    def close(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait((code, reason))

    def abort(self) -> None:
        self._closing = True
        self._queue.put_nowait(None)
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    async def finish(self) -> None:
        """Wait until what was queued is written (or the connection is gone)."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer, timeout=15)

    async def _write(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            try:
                if isinstance(item, tuple):
                    code, reason = item
                    await self._socket.close(code=code, message=reason.encode())
                    return
                await self._socket.send_str(item)
            except (ConnectionError, RuntimeError):
                self._closing = True
                return


# Close codes every socket of the service shares (docs/chat.md, docs/groups.md, docs/signaling.md).
LEFT = 1000
MALFORMED = 4400


async def open_socket(
    request: web.Request, *, heartbeat: float, max_size: int
) -> tuple[web.WebSocketResponse, QueuedSocket]:
    """The request's WebSocket, from our own pages only, prepared, with its sending side."""
    if not same_site(request):
        raise Forbidden()
    socket = web.WebSocketResponse(heartbeat=heartbeat, max_msg_size=max_size)
    if not socket.can_prepare(request).ok:
        raise web.HTTPBadRequest()
    await socket.prepare(request)
    return socket, QueuedSocket(socket, request)


async def first_text(
    socket: web.WebSocketResponse, *, within: float, late_code: int = MALFORMED
) -> str:
    """The first frame's text (the hello), or a ``Refusal``: none in time, binary, or closed."""
    try:
        frame = await socket.receive(timeout=within)
    except TimeoutError:
        # Every socket gives 10 s (a test may give less; the reason stays the documented one).
        raise Refusal(late_code, "no hello within 10 s") from None
    if not is_text(frame):
        raise Refusal(LEFT, "closed before hello")
    return str(frame.data)


async def text_frames(socket: web.WebSocketResponse, *buckets: MessageBucket) -> AsyncIterator[str]:
    """The text of each frame after the hello, each taken from every bucket (the connection's
    rate, the address's), until the socket closes; a binary frame or a flood is refused."""
    async for frame in socket:
        if not is_text(frame):
            return
        for bucket in buckets:
            bucket.take()
        yield str(frame.data)


def is_text(frame: WSMessage) -> bool:
    """True for a text frame; a binary one is refused; anything else ends the connection."""
    if frame.type is WSMsgType.TEXT:
        return True
    if frame.type is WSMsgType.BINARY:
        raise Refusal(MALFORMED, "binary frames are not allowed")
    return False


def same_site(request: web.Request) -> bool:
    """Browsers always send Origin on a WebSocket; another site's page must not use our cookie."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = urlsplit(request.app[settings_key].base_url)
    parts = urlsplit(origin)
    return parts.netloc in (request.host, own.netloc)


class Refusal(Exception):
    """Close the connection with ``code``; ``reason`` is short English for developers."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class AddressLimits:
    """Per client address: a bound on open sockets, and one frame bucket all of them share.
    The address is held only in this process's memory, under a hash keyed with a random key of
    this process, and is forgotten with its last socket: never stored, logged or passed on."""

    def __init__(self, connections: int, frames_per_second: int, code: int) -> None:
        self._connections = connections
        self._frames = frames_per_second
        self._code = code
        self._key = secrets.token_bytes(32)
        self._open: dict[str, tuple[int, MessageBucket]] = {}

    @contextlib.contextmanager
    def hold(self, address: str) -> Iterator[MessageBucket]:
        """A place for one socket from ``address``, and the frame bucket its sockets share."""
        key = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        count, bucket = self._open.get(key, (0, MessageBucket(self._frames, self._code)))
        if count >= self._connections:
            raise Refusal(self._code, "too many connections from one address")
        self._open[key] = (count + 1, bucket)
        try:
            yield bucket
        finally:
            left, _ = self._open.pop(key)
            if left > 1:
                self._open[key] = (left - 1, bucket)

    def __len__(self) -> int:
        """How many addresses hold sockets now (for tests: none once all are closed)."""
        return len(self._open)


class MessageBucket:
    """A token bucket: ``rate`` messages at once, refilled ``rate`` a second; past it, a
    ``Refusal`` with ``code``."""

    def __init__(self, rate: int, code: int) -> None:
        self._rate = float(rate)
        self._tokens = float(rate)
        self._at = time.monotonic()
        self._code = code

    def take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            raise Refusal(self._code, f"more than {int(self._rate)} messages a second")
        self._tokens -= 1
