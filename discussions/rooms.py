"""The live rooms of the group discussions going on in this process (docs/groups.md).

Everything here runs on the event loop without awaiting, like the advice chat's desk: each
message is handled whole, and a connection's outgoing frames go through its ``Link``, which
queues them and never blocks. What a room is told comes as plain values (an ``Entry``, the
protocol's dataclasses, a ``RoomInfo``), and ``snapshot``/``restore`` carry the whole state as
JSON, so that another instance could carry on. What is said lives only here, bounded, until the
session ends: then it is dropped. What is written, in the background, is the staff's actions
for the access log (who, what, which session), never the words or whom they concerned.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.background import Background
from core.crypto import token_hash
from core.db import utcnow
from core.websockets import Refusal
from discussions import nicknames
from discussions.protocol import (
    Approve,
    Close,
    End,
    Hide,
    Leave,
    Message,
    Mute,
    Ping,
    Reject,
    Remove,
    Say,
    StaffMessage,
    Unmute,
)
from discussions.room import (
    APPROVED,
    HELD,
    HIDDEN,
    PARTICIPANT,
    REJECTED,
    Entry,
    Link,
    Member,
    Room,
    Said,
    Seat,
)
from discussions.types import GroupRecords, RoomInfo

# A dropped participant keeps their nickname and seat this long for a resume.
GRACE_SECONDS = 120.0
SNAPSHOT_VERSION = 1


class GroupRooms:
    def __init__(
        self,
        records: GroupRecords,
        *,
        grace: float = GRACE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._records = records
        self._grace = grace
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        # Sessions ended early by their host: refused until their time is over.
        self._ended: dict[str, datetime] = {}
        self._writes = Background()

    # ---- reading -----------------------------------------------------------------------------

    def present(self, session_id: str) -> int:
        """How many are in the session's room now (participants and staff)."""
        room = self._rooms.get(session_id)
        return len(room.members) if room else 0

    def everyone_present(self) -> dict[str, int]:
        """How many are in each room now."""
        return {session_id: len(room.members) for session_id, room in self._rooms.items()}

    # ---- entering and leaving ----------------------------------------------------------------

    def enter(self, entry: Entry, link: Link) -> Seat:
        """Into the session's room: back as oneself with a resume token (or, for staff, by who
        they are), or as a new member. Refused (``Refusal``) outside the session's time, from a
        removed browser, with a nickname that may not be used, or when the room is full."""
        info = entry.info
        now = self._clock()
        if info.cancelled:
            raise Refusal(Close.NO_SESSION, "cancelled")
        if now >= info.ends_at or self._ended_early(info.session_id, now):
            raise Refusal(Close.ENDED, "ended")
        if now < info.opens_at():
            raise Refusal(Close.NOT_YET, "not open yet")
        room = self._room(info)
        if entry.browser in room.removed:
            raise Refusal(Close.REMOVED, "removed")
        role = info.role_of(entry.staff_id)
        member = self._returning(room, entry, role)
        if member is not None:
            self._reconnect(room, member, link, entry.seen)
            return Seat(info.session_id, member.id)
        if role is None:
            nickname = nicknames.tidy(entry.nickname or "")
            staff_names = (info.host_name, *info.moderator_names)
            in_use = [m.nickname for m in room.members.values()]
            problem = nicknames.problem(nickname, in_use, staff_names)
            if problem is not None:
                raise Refusal(Close.NICKNAME, problem)
            if room.participants() >= info.capacity:
                raise Refusal(Close.FULL, "full")
        else:
            nickname = entry.staff_name.split(" ")[0] or role
        resume = secrets.token_urlsafe(24)
        member = Member(
            id=secrets.token_urlsafe(9),
            nickname=nickname,
            role=role or PARTICIPANT,
            staff_id=entry.staff_id if role else None,
            resume_hash=token_hash(resume),
            browser=entry.browser,
            muted=role is None and entry.browser in room.muted,
            link=link,
        )
        room.members[member.id] = member
        link.send(self._welcome(room, member, resume, 0))
        self._announce_members(room)
        if member.staff_id is not None:
            self._staff_action(member, room, f"group.{member.role}-joined")
        return Seat(info.session_id, member.id)

    def disconnected(self, seat: Seat, link: Link) -> None:
        """A connection dropped: its member keeps their place for a while to resume."""
        found = self._seat(seat)
        if found is None or found[1].link is not link:
            return
        room, member = found
        member.link = None
        member.away = asyncio.get_running_loop().call_later(
            self._grace, self._gone, seat.session_id, member.id
        )
        self._announce_to_staff(room)

    def update(self, info: RoomInfo) -> None:
        """The session was changed (times, capacity, pre-moderation) or cancelled."""
        room = self._rooms.get(info.session_id)
        if room is None:
            return
        if info.cancelled:
            self._end(room, "cancelled")
            return
        moved = info.ends_at != room.info.ends_at
        room.info = info
        if moved:
            self._schedule_end(room)

    # ---- messages ----------------------------------------------------------------------------

    def message(self, seat: Seat, message: Message) -> None:
        found = self._seat(seat)
        if found is None:
            return  # already gone: a message that crossed its own end
        room, member = found
        match message:
            case Ping():
                member.send({"type": "pong"})
            case Leave():
                self._leave(room, member)
            case Say():
                self._say(room, member, message.text)
            case Approve() | Reject() | Hide() | Mute() | Unmute() | Remove() | End():
                if not member.is_staff:
                    if member.link is not None:
                        member.link.close(Close.MALFORMED, "not allowed")
                    return
                self._moderate(room, member, message)
            case _:
                if member.link is not None:
                    member.link.close(Close.MALFORMED, "hello may be sent only once")

    def _say(self, room: Room, member: Member, text: str) -> None:
        if member.muted:
            member.send(_error("muted", "the host has muted you"))
            return
        held = room.info.premoderation and not member.is_staff
        room.seq += 1
        room.mark += 1
        said = Said(
            seq=room.seq,
            mark=room.mark,
            member_id=member.id,
            nickname=member.nickname,
            role=member.role,
            text=text,
            at=self._clock(),
            state=HELD if held else APPROVED,
        )
        room.messages.append(said)
        if held:
            member.send({**said.frame(member), "type": "held"})
            for other in room.members.values():
                if other.is_staff:
                    other.send(said.frame(other))
            return
        self._tell_everyone(room, said)

    def _moderate(self, room: Room, staff: Member, message: StaffMessage) -> None:
        match message:
            case Approve() | Reject() | Hide():
                said = room.message(message.seq)
                wanted = (HELD,) if not isinstance(message, Hide) else (HELD, APPROVED, REJECTED)
                if said is None or said.state not in wanted:
                    staff.send(_error("no-message", "no such message to act on"))
                    return
                if isinstance(message, Approve):
                    said.state = APPROVED
                else:
                    said.state = REJECTED if isinstance(message, Reject) else HIDDEN
                room.mark += 1
                said.mark = room.mark
                self._tell_everyone(room, said)
                self._staff_action(staff, room, f"group.{message.type}")
            case Mute() | Unmute() | Remove():
                target = room.members.get(message.member)
                if target is None or target.is_staff:
                    staff.send(_error("no-member", "no such participant"))
                    return
                self._staff_action(staff, room, f"group.{message.type}")
                if isinstance(message, Remove):
                    self._remove(room, target)
                    return
                target.muted = isinstance(message, Mute)
                (room.muted.add if target.muted else room.muted.discard)(target.browser)
                target.send({"type": "muted", "on": target.muted})
                self._announce_members(room)
            case End():
                self._staff_action(staff, room, "group.end")
                self._end(room, "host")

    def _tell_everyone(self, room: Room, said: Said) -> None:
        for member in room.members.values():
            frame = said.for_member(member)
            if frame is not None:
                member.send(frame)

    def _remove(self, room: Room, target: Member) -> None:
        """Out for the rest of the session: this browser is refused until the end."""
        room.removed.add(target.browser)
        target.send({"type": "removed"})
        if target.link is not None:
            target.link.close(Close.REMOVED, "removed")
        self._drop_member(room, target)

    def _leave(self, room: Room, member: Member) -> None:
        if member.link is not None:
            member.link.close(Close.LEFT, "left")
        self._drop_member(room, member)

    def _gone(self, session_id: str, member_id: str) -> None:
        room = self._rooms.get(session_id)
        member = room.members.get(member_id) if room else None
        if room is not None and member is not None and member.link is None:
            self._drop_member(room, member)

    def _drop_member(self, room: Room, member: Member) -> None:
        if member.away is not None:
            member.away.cancel()
        room.members.pop(member.id, None)
        self._announce_members(room)

    # ---- ending ------------------------------------------------------------------------------

    def _time_up(self, session_id: str) -> None:
        room = self._rooms.get(session_id)
        if room is None:
            return
        if self._clock() < room.info.ends_at:
            self._schedule_end(room)  # the clock (or the session's end) moved meanwhile
            return
        self._end(room, "time")

    def _end(self, room: Room, reason: str) -> None:
        """Everyone is told and closed; what was said is dropped."""
        if reason != "time":
            self._ended[room.info.session_id] = room.info.ends_at
        if room.timer is not None:
            room.timer.cancel()
        for member in room.members.values():
            if member.away is not None:
                member.away.cancel()
            member.send({"type": "ended", "reason": reason})
            if member.link is not None:
                member.link.close(Close.ENDED, "ended")
        room.members.clear()
        room.messages.clear()
        self._rooms.pop(room.info.session_id, None)

    def _ended_early(self, session_id: str, now: datetime) -> bool:
        for ended, until in list(self._ended.items()):
            if until <= now:
                del self._ended[ended]
        return session_id in self._ended

    def _schedule_end(self, room: Room) -> None:
        if room.timer is not None:
            room.timer.cancel()
        delay = max(0.0, (room.info.ends_at - self._clock()).total_seconds())
        room.timer = asyncio.get_running_loop().call_later(
            delay, self._time_up, room.info.session_id
        )

    # ---- the parts ---------------------------------------------------------------------------

    def _room(self, info: RoomInfo) -> Room:
        room = self._rooms.get(info.session_id)
        if room is None:
            room = self._rooms[info.session_id] = Room(info)
            self._schedule_end(room)
        elif info != room.info:
            self.update(info)
        return room

    def _seat(self, seat: Seat) -> tuple[Room, Member] | None:
        room = self._rooms.get(seat.session_id)
        member = room.members.get(seat.member_id) if room else None
        return (room, member) if room is not None and member is not None else None

    def _returning(self, room: Room, entry: Entry, role: str | None) -> Member | None:
        """The member this connection is: by its resume token, or a staff member by who they
        are (another tab, or a page that lost its token)."""
        if entry.resume:
            wanted = token_hash(entry.resume)
            for member in room.members.values():
                if secrets.compare_digest(member.resume_hash, wanted):
                    return member
        if role is not None:
            for member in room.members.values():
                if member.staff_id == entry.staff_id:
                    return member
        return None

    def _reconnect(self, room: Room, member: Member, link: Link, seen: int) -> None:
        if member.away is not None:
            member.away.cancel()
            member.away = None
        if member.link is not None and member.link is not link:
            member.link.close(Close.REPLACED, "replaced")
        member.link = link
        link.send(self._welcome(room, member, None, seen))
        link.send(self._members(room, member))
        self._announce_to_staff(room)

    def _welcome(self, room: Room, member: Member, resume: str | None, seen: int) -> dict[str, Any]:
        """What a page is told on (re)connecting: who it is, the session, and what changed
        after ``seen`` that it may see (everything, for a new member)."""
        changed = [said.for_member(member) for said in room.messages if said.mark > seen]
        return {
            "type": "welcome",
            "v": 1,
            "resume": resume,
            "member": member.id,
            "nickname": member.nickname,
            "role": member.role,
            "muted": member.muted,
            "session": {
                "id": room.info.session_id,
                "topic": room.info.topic,
                "ends_at": room.info.ends_at.isoformat().replace("+00:00", "Z"),
                "premoderation": room.info.premoderation,
            },
            "messages": [frame for frame in changed if frame is not None],
            "mark": room.mark,
            "members": len(room.members),
        }

    def _members(self, room: Room, member: Member) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "members", "count": len(room.members)}
        if member.is_staff:
            frame["people"] = [
                {
                    "member": other.id,
                    "nickname": other.nickname,
                    "role": other.role,
                    "muted": other.muted,
                    "connected": other.link is not None,
                }
                for other in room.members.values()
            ]
        return frame

    def _announce_members(self, room: Room) -> None:
        for member in room.members.values():
            member.send(self._members(room, member))

    def _announce_to_staff(self, room: Room) -> None:
        """Who is connected changed: only the staff's list shows it."""
        for member in room.members.values():
            if member.is_staff:
                member.send(self._members(room, member))

    # ---- carrying on elsewhere ---------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every room as JSON: the sessions, members (resume tokens and browsers as hashes),
        messages with their states, mutes and removals. It holds what was said: whoever keeps
        it must keep it as the rooms do (in memory, or encrypted and briefly)."""
        return {
            "v": SNAPSHOT_VERSION,
            "rooms": [
                {
                    "info": room.info.as_json(),
                    "seq": room.seq,
                    "mark": room.mark,
                    "members": [member.state() for member in room.members.values()],
                    "messages": [said.state_json() for said in room.messages],
                    "muted": sorted(room.muted),
                    "removed": sorted(room.removed),
                }
                for room in self._rooms.values()
            ],
            "ended": {session: until.isoformat() for session, until in self._ended.items()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Carry on from a snapshot: everyone in it is disconnected, with the usual time to
        resume; each room ends at its time."""
        if state.get("v") != SNAPSHOT_VERSION:
            raise ValueError("not a snapshot of this version")
        self.drop()
        loop = asyncio.get_running_loop()
        self._ended = {s: datetime.fromisoformat(u) for s, u in state["ended"].items()}
        for saved in state["rooms"]:
            room = Room(
                RoomInfo.of_json(saved["info"]),
                seq=saved["seq"],
                mark=saved["mark"],
                muted=set(saved["muted"]),
                removed=set(saved["removed"]),
            )
            room.messages.extend(
                Said(**said | {"at": datetime.fromisoformat(said["at"])})
                for said in saved["messages"]
            )
            for member_state in saved["members"]:
                member = Member(**member_state)
                member.away = loop.call_later(
                    self._grace, self._gone, room.info.session_id, member.id
                )
                room.members[member.id] = member
            self._rooms[room.info.session_id] = room
            self._schedule_end(room)

    def drop(self) -> None:
        """Forget everything without a word to anyone (another instance carries on)."""
        for room in self._rooms.values():
            if room.timer is not None:
                room.timer.cancel()
            for member in room.members.values():
                if member.away is not None:
                    member.away.cancel()
        self._rooms.clear()
        self._ended.clear()

    # ---- shutting down and writing -----------------------------------------------------------

    def close_all(self, code: int = Close.RESTARTING, reason: str = "restarting") -> None:
        for room in self._rooms.values():
            for member in room.members.values():
                if member.link is not None:
                    member.link.close(code, reason)

    async def flush(self) -> None:
        await self._writes.flush()

    def _staff_action(self, member: Member, room: Room, action: str) -> None:
        if member.staff_id is not None:
            self._writes.start(
                self._records.staff_action(member.staff_id, action, room.info.session_id)
            )


def _error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail}
