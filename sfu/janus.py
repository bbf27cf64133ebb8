"""One Janus gateway, spoken to over its WebSocket API transport (the ``janus-protocol``).

One WebSocket per Janus carries every session Kohtaamo holds there. A request gets a
transaction id and waits for its answer: ``success`` or ``error`` at once, or ``ack`` followed
by the plugin's ``event`` carrying the same transaction (an asynchronous plugin request such as
a VideoRoom ``join``). Events Janus sends on its own (a publisher joined, a handle hung up) go
to the listener registered for their handle. Sessions are kept alive here, every 25 seconds.

Janus is on a private address with an API secret; browsers never talk to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger("kohtaamo.sfu")

KEEPALIVE_SECONDS = 25.0
REQUEST_SECONDS = 10.0

Message = dict[str, Any]
EventListener = Callable[[Message], None]


class JanusError(Exception):
    """Janus refused a request, or could not be reached."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason if code is None else f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class PluginAnswer:
    """What a plugin said to a request, and the SDP it gave, if any."""

    data: Message
    jsep: Message | None


class Janus:
    """The connection to one Janus; ``start`` before use, ``close`` at the end."""

    def __init__(self, url: str, api_secret: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self._api_secret = api_secret
        self._http = http
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        # transaction -> (its answer, whether Janus's ``ack`` is the whole answer)
        self._waiting: dict[str, tuple[asyncio.Future[Message], bool]] = {}
        self._listeners: dict[int, EventListener] = {}
        self._sessions: set[int] = set()
        self._on_lost: Callable[[], None] = lambda: None

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    def when_lost(self, callback: Callable[[], None]) -> None:
        """Be told when the connection drops: every session on it is gone with it."""
        self._on_lost = callback

    async def start(self) -> None:
        try:
            async with asyncio.timeout(REQUEST_SECONDS):
                self._socket = await self._http.ws_connect(
                    self.url, protocols=("janus-protocol",), heartbeat=30
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise JanusError(f"cannot reach Janus at {self.url}: {error}") from None
        self._reader = asyncio.create_task(self._read())
        self._keepalive = asyncio.create_task(self._keep_sessions_alive())

    async def close(self) -> None:
        self._on_lost = lambda: None  # closed on purpose: nothing was lost
        for task in (self._keepalive, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._socket is not None:
            await self._socket.close()
        self._fail_waiting(JanusError("connection closed"))

    # ---- requests --------------------------------------------------------------------------------

    async def request(self, body: Message, *, ends_with_ack: bool = False) -> Message:
        """Send one request; return Janus's final answer: ``success``, the plugin's event, or
        for a keepalive or a trickle (``ends_with_ack``) the ``ack``."""
        if not self.connected:
            raise JanusError(f"not connected to {self.url}")
        assert self._socket is not None
        transaction = secrets.token_hex(8)
        answer: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = (answer, ends_with_ack)
        try:
            await self._socket.send_str(
                json.dumps({**body, "transaction": transaction, "apisecret": self._api_secret})
            )
            async with asyncio.timeout(REQUEST_SECONDS):
                message = await answer
        except TimeoutError:
            raise JanusError(
                f"no answer to {body.get('janus')} within {REQUEST_SECONDS} s"
            ) from None
        finally:
            self._waiting.pop(transaction, None)
        if message.get("janus") == "error":
            error = message.get("error", {})
            raise JanusError(str(error.get("reason", "refused")), error.get("code"))
        return message

    async def create_session(self) -> int:
        answer = await self.request({"janus": "create"})
        session = int(answer["data"]["id"])
        self._sessions.add(session)
        return session

    async def destroy_session(self, session: int) -> None:
        self._sessions.discard(session)
        with contextlib.suppress(JanusError):
            await self.request({"janus": "destroy", "session_id": session})

    async def attach(self, session: int, plugin: str, listener: EventListener) -> int:
        answer = await self.request({"janus": "attach", "session_id": session, "plugin": plugin})
        handle = int(answer["data"]["id"])
        self._listeners[handle] = listener
        return handle

    def forget_handle(self, handle: int) -> None:
        self._listeners.pop(handle, None)

    async def message(
        self, session: int, handle: int, body: Message, jsep: Message | None = None
    ) -> PluginAnswer:
        """A plugin request; a plugin's refusal (``error_code`` in its data) is a JanusError."""
        request: Message = {"janus": "message", "session_id": session, "handle_id": handle}
        request["body"] = body
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self.request(request)
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(str(data.get("error", "refused")), data["error_code"])
        return PluginAnswer(data, answer.get("jsep"))

    async def trickle(self, session: int, handle: int, candidate: Message | None) -> None:
        body: Message = {"janus": "trickle", "session_id": session, "handle_id": handle}
        body["candidate"] = candidate if candidate is not None else {"completed": True}
        await self.request(body, ends_with_ack=True)

    async def info(self) -> Message:
        return await self.request({"janus": "info"})

    # ---- reading ---------------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for frame in self._socket:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    self._dispatch(json.loads(frame.data))
                except Exception:
                    log.exception("could not handle a message from Janus")
        finally:
            self._fail_waiting(JanusError(f"lost the connection to {self.url}"))
            self._sessions.clear()
            self._on_lost()

    def _dispatch(self, message: Message) -> None:
        waiting = self._waiting.get(str(message.get("transaction", "")))
        if waiting is not None:
            answer, ends_with_ack = waiting
            # An asynchronous plugin request's ack: its event follows with the same transaction.
            if (message.get("janus") != "ack" or ends_with_ack) and not answer.done():
                answer.set_result(message)
            return
        listener = self._listeners.get(int(message.get("sender", 0) or 0))
        if listener is not None:
            listener(message)

    def _fail_waiting(self, error: JanusError) -> None:
        for future, _ in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._waiting.clear()

    async def _keep_sessions_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for session in list(self._sessions):
                try:
                    await self.request(
                        {"janus": "keepalive", "session_id": session}, ends_with_ack=True
                    )
                except JanusError:
                    log.warning("a Janus session did not answer its keepalive")
