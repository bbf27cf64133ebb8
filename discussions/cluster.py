"""The group discussions' rooms for one instance, or for several that share Redis.

Without Redis, ``LocalGroups`` seats every connection in this process's ``GroupRooms``.

With Redis, the rooms run on one instance at a time, their home (core/homes.py), and the other
instances relay their connections there, as the advice chats' desk does. After each change the
home saves every room (``GroupRooms.snapshot``: members, resume-token hashes, messages and their
states, mutes, removals) encrypted with the service's data key, with an expiry; the rooms end
at their sessions' times and their messages with them, in Redis too. When the home stops or
dies, the next instance carries on from the saved rooms and the pages resume.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, Protocol

from redis.asyncio import Redis

from core.crypto import DataCipher
from core.homes import Seat, SharedHome
from core.relay import Pipeline
from discussions.protocol import Close, parse
from discussions.room import Entry, Link
from discussions.room import Seat as RoomSeat
from discussions.rooms import GroupRooms
from discussions.types import RoomInfo

HOME_KEY = "kohtaamo:groups:home"
STATE_KEY = "kohtaamo:groups:state"
PRESENT_KEY = "kohtaamo:groups:present"
# Saved rooms outlive a day without a change only if nobody saves them again: gone by then.
STATE_SECONDS = 24 * 3600
PURPOSE = "groups"


@dataclasses.dataclass(eq=False)
class MemberSeat:
    """A connection's place in a room of this process."""

    rooms: GroupRooms
    seat: RoomSeat
    link: Link
    changed: Callable[[], None] | None = None  # after each change, to save (several instances)

    def handle(self, message: Any, raw: str, extra: dict[str, Any]) -> None:
        self.rooms.message(self.seat, message)
        if self.changed is not None:
            self.changed()

    def disconnected(self) -> None:
        self.rooms.disconnected(self.seat, self.link)
        if self.changed is not None:
            self.changed()


class Groups(Protocol):
    async def enter(self, entry: Entry, link: Link) -> Seat: ...

    async def update(self, info: RoomInfo) -> None:
        """A session changed or was cancelled: its room, wherever it runs, follows."""

    async def present(self) -> dict[str, int]:
        """How many are in each session's room now."""

    async def close_all(self, code: int, reason: str) -> None: ...

    async def stop(self) -> None: ...


class LocalGroups:
    def __init__(self, rooms: GroupRooms) -> None:
        self.rooms = rooms

    async def enter(self, entry: Entry, link: Link) -> Seat:
        return MemberSeat(self.rooms, self.rooms.enter(entry, link), link)

    async def update(self, info: RoomInfo) -> None:
        self.rooms.update(info)

    async def present(self) -> dict[str, int]:
        return self.rooms.everyone_present()

    async def close_all(self, code: int, reason: str) -> None:
        self.rooms.close_all(code, reason)

    async def stop(self) -> None:
        await self.rooms.flush()
        self.rooms.drop()


class RoomsResident:
    """The rooms as their home runs them (core/homes.py)."""

    def __init__(self, rooms: GroupRooms, cipher: DataCipher) -> None:
        self.rooms = rooms
        self._cipher = cipher
        self.changed: Callable[[], None] | None = None

    def seat(self, kind: str, entry: dict[str, Any], link: Link) -> Seat:
        seat = MemberSeat(
            self.rooms, self.rooms.enter(Entry.of_json(entry), link), link, self.changed
        )
        if self.changed is not None:
            self.changed()
        return seat

    def parse(self, seat: Seat, raw: str) -> Any:
        return parse(raw)

    def save(self, pipe: Pipeline) -> None:
        state = json.dumps(self.rooms.snapshot(), separators=(",", ":"))
        pipe.set(STATE_KEY, self._cipher.encrypt_text(PURPOSE, state), ex=STATE_SECONDS)
        pipe.set(PRESENT_KEY, json.dumps(self.rooms.everyone_present()), ex=STATE_SECONDS)

    async def restore(self, redis: Redis) -> None:
        saved = await redis.get(STATE_KEY)
        if saved is not None:
            self.rooms.restore(json.loads(self._cipher.decrypt_text(PURPOSE, str(saved))))

    def drop(self) -> None:
        self.rooms.close_all(Close.RESTARTING, "rooms moved")
        self.rooms.drop()

    def command(self, payload: dict[str, Any]) -> None:
        """A session changed on another instance's page: its room follows."""
        self.rooms.update(RoomInfo.of_json(payload["update"]))
        if self.changed is not None:
            self.changed()


class RedisGroups:
    def __init__(self, rooms: GroupRooms, redis: Redis, cipher: DataCipher) -> None:
        self.rooms = rooms
        self.resident = RoomsResident(rooms, cipher)
        self.home = SharedHome(self.resident, redis, key=HOME_KEY, name="group rooms")
        self.resident.changed = self.home.changed

    async def start(self) -> None:
        await self.home.start()

    async def enter(self, entry: Entry, link: Link) -> Seat:
        return await self.home.enter("member", entry.as_json(), link)

    async def update(self, info: RoomInfo) -> None:
        await self.home.command({"update": info.as_json()})

    async def present(self) -> dict[str, int]:
        if self.home.is_home:
            return self.rooms.everyone_present()
        saved = await self.home.relay.redis.get(PRESENT_KEY)
        present: dict[str, int] = {} if saved is None else json.loads(saved)
        return present

    async def close_all(self, code: int, reason: str) -> None:
        self.home.close_edges(code, reason)
        self.rooms.close_all(code, reason)

    async def stop(self) -> None:
        await self.rooms.flush()
        await self.home.stop()
        self.rooms.drop()
