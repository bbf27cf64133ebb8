"""The configured Janus gateways, and which one holds each meeting's room.

A meeting is pinned to one Janus for its life: the first instance to need its room picks the
least loaded healthy gateway (by participants in its rooms), creates the room and writes the
assignment where every instance finds it (Redis when the service runs on several, else this
process's memory). A gateway that is unreachable, or that records any room, takes no new
meetings; the connection to it is retried in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from redis.asyncio import Redis

from sfu.janus import Janus, JanusError
from sfu.videoroom import RoomControl, RoomKeys, RoomLoad

log = logging.getLogger("kohtaamo.sfu")

RECONNECT_SECONDS = 5.0
ASSIGNMENT_PREFIX = "kohtaamo:sfu:meeting:"


class NoGateway(Exception):
    """No Janus can take a new meeting now."""


class Gateway:
    """One Janus: its connection, its control session, and whether it may be used."""

    def __init__(self, url: str, api_secret: str, admin_key: str, http: aiohttp.ClientSession):
        self.url = url
        self.janus = Janus(url, api_secret, http)
        self.control = RoomControl(self.janus, admin_key)
        self.problem: str | None = "not connected yet"

    async def connect(self) -> None:
        try:
            await self.janus.start()
            await self.control.start()
            recording = [room.room for room in await self.control.rooms() if room.recording]
        except JanusError as error:
            await self.janus.close()
            self.problem = f"unreachable: {error.reason}"
            return
        if recording:
            # Nothing is ever recorded: a Janus that records any room is not used at all.
            self.problem = f"records {len(recording)} room(s): refused"
            log.error("Janus at %s records rooms; it takes no meetings", self.url)
            return
        self.problem = None
        self.janus.when_lost(self._lost)

    def _lost(self) -> None:
        self.problem = "connection lost"
        log.warning("lost the connection to Janus at %s", self.url)

    async def load(self) -> list[RoomLoad]:
        return await self.control.rooms()


class Gateways:
    def __init__(
        self,
        urls: tuple[str, ...],
        api_secret: str,
        admin_key: str,
        http: aiohttp.ClientSession,
        shared: Redis | None = None,
    ) -> None:
        self._gateways = [Gateway(url, api_secret, admin_key, http) for url in urls]
        self._shared = shared
        self._local: dict[str, str] = {}
        self._watch: asyncio.Task[None] | None = None
        self._creating: dict[str, asyncio.Lock] = {}

    @property
    def configured(self) -> bool:
        return bool(self._gateways)

    async def start(self) -> None:
        await asyncio.gather(*(gateway.connect() for gateway in self._gateways))
        self._watch = asyncio.create_task(self._reconnect())

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for gateway in self._gateways:
            await gateway.janus.close()

    async def _reconnect(self) -> None:
        while True:
            await asyncio.sleep(RECONNECT_SECONDS)
            for gateway in self._gateways:
                if gateway.problem is not None and not gateway.problem.startswith("records"):
                    await gateway.janus.close()
                    await gateway.connect()

    def gateway(self, keys: RoomKeys) -> Gateway:
        for gateway in self._gateways:
            if gateway.url == keys.server:
                return gateway
        raise NoGateway(f"{keys.server} is no longer configured")

    # ---- rooms -----------------------------------------------------------------------------------

    async def room_for(self, meeting_id: str, capacity: int, valid_seconds: int) -> RoomKeys:
        """The meeting's room, made on the least loaded Janus if it has none yet."""
        lock = self._creating.setdefault(meeting_id, asyncio.Lock())
        async with lock:
            known = await self._assignment(meeting_id)
            if known is not None:
                return known
            gateway = await self._least_loaded()
            keys = await gateway.control.create(meeting_id, capacity)
            if not await self._assign(meeting_id, keys, valid_seconds):
                # Another instance made one first: use theirs, drop ours.
                await gateway.control.destroy(keys)
                theirs = await self._assignment(meeting_id)
                if theirs is None:
                    raise NoGateway("the meeting's room assignment vanished")
                return theirs
            return keys

    async def close_room(self, meeting_id: str) -> None:
        keys = await self._assignment(meeting_id)
        self._creating.pop(meeting_id, None)
        if keys is None:
            return
        self._local.pop(meeting_id, None)
        if self._shared is not None:
            await self._shared.delete(ASSIGNMENT_PREFIX + meeting_id)
        with contextlib.suppress(NoGateway):
            await self.gateway(keys).control.destroy(keys)

    async def _least_loaded(self) -> Gateway:
        loads: list[tuple[int, int, Gateway]] = []
        for index, gateway in enumerate(self._gateways):
            if gateway.problem is not None:
                continue
            try:
                rooms = await gateway.load()
            except JanusError:
                continue
            loads.append((sum(room.participants for room in rooms), index, gateway))
        if not loads:
            raise NoGateway("no Janus is reachable")
        return min(loads)[2]

    async def _assignment(self, meeting_id: str) -> RoomKeys | None:
        raw: str | bytes | None
        if self._shared is None:
            raw = self._local.get(meeting_id)
        else:
            raw = await self._shared.get(ASSIGNMENT_PREFIX + meeting_id)
        if raw is None:
            return None
        return RoomKeys(**json.loads(raw))

    async def _assign(self, meeting_id: str, keys: RoomKeys, valid_seconds: int) -> bool:
        raw = json.dumps(keys.as_dict())
        if self._shared is None:
            return self._local.setdefault(meeting_id, raw) == raw
        return bool(
            await self._shared.set(
                ASSIGNMENT_PREFIX + meeting_id, raw, ex=max(60, valid_seconds), nx=True
            )
        )

    # ---- operations --------------------------------------------------------------------------

    async def health(self) -> Mapping[str, Any]:
        """Per gateway (by number: its address is private): ``ok`` or the problem, and its
        rooms and participants."""
        report: dict[str, Any] = {}
        for number, gateway in enumerate(self._gateways, start=1):
            entry: dict[str, Any] = {"status": gateway.problem or "ok"}
            if gateway.problem is None:
                try:
                    rooms = await gateway.load()
                    entry["rooms"] = len(rooms)
                    entry["participants"] = sum(room.participants for room in rooms)
                except JanusError as error:
                    entry["status"] = f"unreachable: {error.reason}"
            report[f"janus-{number}"] = entry
        return report

    def healthy(self) -> bool:
        return any(gateway.problem is None for gateway in self._gateways)
