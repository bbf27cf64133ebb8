"""The live state of meeting rooms: who is connected, who waits in the lobby, and the relay.

One ``RoomRegistry`` per process holds every open room in memory. Everything here runs on the
event loop without awaiting, so each message is handled atomically: a connection's outgoing
messages go through its ``Link``, which queues them and never blocks the room. Meeting events
are written to the database in the background, with the time they happened. What the host and
the client work on together beside the video has desks of its own: the live questionnaire
(video/live_assessment.py) and the wellbeing plan (video/live_plan.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from core.crypto import token_hash
from core.db import utcnow
from video.live_assessment import AssessmentDesk
from video.live_plan import PlanDesk
from video.live_state import LiveAssessments, LivePlans
from video.participants import Link, Participant, Room, error_message, iso
from video.service import Admission, Meeting
from video.sfu_path import SFU_CAPACITY, SfuMessage, SfuPath
from video.signaling import (
    Admit,
    AssessmentAnswer,
    AssessmentCancel,
    AssessmentStart,
    AssessmentSubmit,
    Chat,
    Close,
    Decline,
    DeviceCheck,
    End,
    Hello,
    Leave,
    Media,
    Ping,
    PlanChange,
    PlanClose,
    PlanOpen,
    PlanSave,
    Refusal,
    Remove,
    RoomMessage,
    SfuCandidate,
    SfuPublish,
    SfuReceive,
    SfuSubscribed,
    Signal,
)

log = logging.getLogger("kohtaamo.video")

# A mesh (every camera sent to every other participant) holds 6; through the SFU, more.
ROOM_CAPACITY = 6
RESUME_GRACE_SECONDS = 60.0
# The third admitted participant moves a room to the SFU, when there is one; in a network
# meeting, the first one after the host (the host alone has nobody to send to).
SFU_FROM = 3


class EventSink(Protocol):
    async def record(
        self,
        meeting_id: str,
        kind: str,
        role: str,
        participant_id: str,
        at: datetime,
        seconds: int | None = None,
    ) -> None: ...


IceConfiguration = Callable[[Meeting, str], dict[str, Any]]


@dataclasses.dataclass(frozen=True, slots=True)
class Waiting:
    """Someone in a lobby, as the host's pages show them."""

    id: str
    role: str
    name: str


class RoomRegistry:
    def __init__(
        self,
        events: EventSink,
        ice_configuration: IceConfiguration,
        *,
        resume_grace_seconds: float = RESUME_GRACE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        assessments: LiveAssessments | None = None,
        plans: LivePlans | None = None,
        sfu: SfuPath | None = None,
    ) -> None:
        self._events = events
        self._sfu = sfu if sfu is not None and sfu.available else None
        self._on_change: Callable[[str], None] = lambda _meeting_id: None
        self._assessments = AssessmentDesk(assessments, self._background, self._changed)
        self._plans = PlanDesk(plans, self._background, self._changed)
        self._ice = ice_configuration
        self._grace = resume_grace_seconds
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        # Ended here: refused at once, before the "ended" event has reached the database.
        self._ended: set[str] = set()
        self._writes: set[asyncio.Task[None]] = set()

    def _changed(self, meeting_id: str) -> None:
        self._on_change(meeting_id)

    def watch(self, on_change: Callable[[str], None]) -> None:
        """Be told the meeting id after each change to a room (video/cluster.py saves it)."""
        self._on_change = on_change

    # ---- reading -------------------------------------------------------------------------------

    def room(self, meeting_id: str) -> Room | None:
        return self._rooms.get(meeting_id)

    def waiting(self, meeting_ids: Iterable[str]) -> dict[str, list[Waiting]]:
        """Who waits in each meeting's lobby right now (the caseworker's agenda and pages)."""
        found: dict[str, list[Waiting]] = {}
        for meeting_id in meeting_ids:
            room = self._rooms.get(meeting_id)
            if room is not None and room.waiting():
                found[meeting_id] = [Waiting(p.id, p.role, p.name) for p in room.waiting()]
        return found

    def connection_count(self) -> int:
        return sum(1 for room in self._rooms.values() for p in room.participants.values() if p.link)

    def has_ended(self, meeting_id: str) -> bool:
        return meeting_id in self._ended

    @property
    def capacity(self) -> int:
        """How many a room holds: a mesh's 6, or the SFU's more."""
        return SFU_CAPACITY if self._sfu is not None else ROOM_CAPACITY

    # ---- another instance's room, taken over ---------------------------------------------------

    def restore(self, meeting: Meeting, snapshot: Mapping[str, Any]) -> None:
        """Open a room from another instance's snapshot: every seat kept for the resume grace
        period, without a connection, so that its owner comes back without a new admission."""
        if meeting.id in self._rooms:
            return
        room = self._room_for(meeting)
        room.path = snapshot.get("path", "mesh")
        for saved in snapshot.get("participants", []):
            participant = Participant.restored(meeting.id, saved)
            room.participants[participant.id] = participant
            participant.away = asyncio.get_running_loop().call_later(
                self._grace, self._expire, meeting.id, participant.id
            )
        self._assessments.restore(room, snapshot.get("assessment"))
        self._plans.restore(room, snapshot.get("plan"))
        if not room.participants:
            self._drop_room(room)

    # ---- entering --------------------------------------------------------------------------------

    def enter(self, admission: Admission, link: Link, resume: str | None) -> Participant:
        """Seat a connection in its room: back in its old seat with a valid resume token, else as
        a newcomer (the host admitted at once, anyone else in the lobby)."""
        if admission.meeting.id in self._ended:
            raise Refusal(Close.ENDED, "ended")
        try:
            return self._enter(admission, link, resume)
        finally:
            self._on_change(admission.meeting.id)

    def _enter(self, admission: Admission, link: Link, resume: str | None) -> Participant:
        room = self._room_for(admission.meeting)
        returning = self._resumable(room, admission, resume)
        if returning is not None:
            if admission.protocol < 2 and room.path == "sfu":
                raise Refusal(Close.OUTDATED, "this meeting needs a newer page: reload it")
            self._resume(room, returning, link, admission)
            return returning
        if admission.role == "guest" and resume is not None:
            # A guest link works once; coming back needs the seat it was used for.
            raise Refusal(Close.NOT_AUTHENTICATED, "invitation already used")
        if admission.protocol < 2 and room.path == "sfu":
            raise Refusal(Close.OUTDATED, "this meeting needs a newer page: reload it")
        for older in [p for p in room.participants.values() if p.seat == admission.seat]:
            self._depart(room, older, reason="left", close=(Close.REPLACED, "replaced"))
        if len(room.participants) >= self.capacity:
            raise Refusal(Close.FORBIDDEN, "full")
        participant = Participant(
            id=secrets.token_urlsafe(9),
            meeting_id=room.meeting.id,
            seat=admission.seat,
            role=admission.role,
            name=admission.name,
            resume_hash="",
            admitted=admission.role == "host",
            link=link,
            identity=admission.identity,
            protocol=admission.protocol,
        )
        room.participants[participant.id] = participant
        self._record(room, "joined", participant)
        self._welcome(room, participant)
        if participant.admitted:
            self._seat_in_room(room, participant)
        self._update_lobby(room)
        return participant

    def _room_for(self, meeting: Meeting) -> Room:
        room = self._rooms.get(meeting.id)
        if room is None:
            room = self._rooms[meeting.id] = Room(meeting)
            delay = max(0.0, (meeting.closes_at - self._clock()).total_seconds())
            room.closing = asyncio.get_running_loop().call_later(
                delay, self._close_room, meeting.id, "room closed"
            )
        else:
            room.meeting = meeting  # the host may have changed the protection since
        return room

    @staticmethod
    def _resumable(room: Room, admission: Admission, resume: str | None) -> Participant | None:
        if not resume:
            return None
        wanted = token_hash(resume)
        for participant in room.participants.values():
            if participant.seat == admission.seat and secrets.compare_digest(
                participant.resume_hash, wanted
            ):
                return participant
        return None

    def _resume(
        self, room: Room, participant: Participant, link: Link, admission: Admission
    ) -> None:
        if participant.away is not None:
            participant.away.cancel()
            participant.away = None
        if participant.link is not None:
            participant.link.close(Close.REPLACED, "replaced")
        participant.link = link
        participant.protocol = admission.protocol
        self._welcome(room, participant)
        if participant.admitted:
            self._seat_in_room(room, participant)
        self._update_lobby(room)

    def _welcome(self, room: Room, participant: Participant) -> None:
        resume = secrets.token_urlsafe(24)
        participant.resume_hash = token_hash(resume)
        meeting = room.meeting
        participant.send(
            {
                "type": "welcome",
                "v": participant.protocol,
                "you": participant.public(),
                "resume": resume,
                "state": "admitted" if participant.admitted else "lobby",
                "ice": self._ice(meeting, participant.id),
                "meeting": {
                    "id": meeting.id,
                    "starts_at": iso(meeting.starts_at),
                    "ends_at": iso(meeting.ends_at),
                    "closes_at": iso(meeting.closes_at),
                },
            }
        )

    def _seat_in_room(self, room: Room, participant: Participant) -> None:
        """Tell an admitted participant who is there (it makes the offers) and the rest of it."""
        if participant.admitted_at is None:
            participant.admitted_at = time.monotonic()
        threshold = 2 if room.meeting.network else SFU_FROM
        if room.path == "mesh" and self._sfu is not None and len(room.admitted()) >= threshold:
            self._move_to_sfu(room, besides=participant)
        # Only the connected: one away since a drop makes the offers itself when it comes back
        # (two seats restored together would otherwise both offer, and collide).
        peers = [p for p in room.admitted(besides=participant) if p.link is not None]
        admitted: dict[str, Any] = {"type": "admitted", "peers": [p.public() for p in peers]}
        if participant.protocol >= 2:
            admitted["path"] = room.path
        participant.send(admitted)
        for peer in peers:
            peer.send({"type": "peer-joined", "peer": participant.public()})
        if room.path == "sfu" and self._sfu is not None:
            self._sfu.join(room, participant)
        if participant in room.assessment_audience():
            for live in (room.assessment, room.plan):
                if live is not None:
                    participant.send(live.state())

    def _move_to_sfu(self, room: Room, *, besides: Participant) -> None:
        """From now on everyone's media goes through the SFU; the pages renegotiate by
        themselves. A version 1 page cannot, and is asked to reload."""
        assert self._sfu is not None
        room.path = "sfu"
        for participant in room.admitted(besides=besides):
            if participant.link is None:
                continue  # away: joins the SFU when it comes back
            if participant.protocol < 2:
                participant.link.close(Close.OUTDATED, "this meeting needs a newer page: reload it")
                continue
            participant.send({"type": "media-path", "path": "sfu"})
            self._sfu.join(room, participant)

    # ---- messages ------------------------------------------------------------------------------

    def handle(self, participant: Participant, message: RoomMessage) -> None:
        room = self._rooms.get(participant.meeting_id)
        if room is None or room.participants.get(participant.id) is not participant:
            return  # already gone: a message that crossed its own removal
        try:
            self._handle(room, participant, message)
        finally:
            if not isinstance(
                message, Signal | Chat | Ping | SfuMessage
            ):  # these pass through, changing nothing
                self._on_change(participant.meeting_id)

    def _handle(self, room: Room, participant: Participant, message: RoomMessage) -> None:
        match message:
            case Ping():
                participant.send({"type": "pong"})
            case DeviceCheck():
                participant.device_check = message.model_dump(exclude={"type"})
                self._update_lobby(room)
            case Leave():
                self._depart(room, participant, reason="left", close=(Close.LEFT, "left"))
            case Admit() | Decline() | Remove() | End():
                self._host_action(room, participant, message)
            case Signal() | Chat() | Media():
                self._in_room(room, participant, message)
            case SfuPublish() | SfuSubscribed() | SfuCandidate() | SfuReceive():
                self._through_sfu(room, participant, message)
            case AssessmentStart() | AssessmentAnswer() | AssessmentSubmit() | AssessmentCancel():
                self._assessments.handle(room, participant, message)
            case PlanOpen() | PlanChange() | PlanSave() | PlanClose():
                self._plans.handle(room, participant, message)
            case Hello():
                raise Refusal(Close.MALFORMED, "hello may be sent only once")

    def _host_action(
        self, room: Room, host: Participant, message: Admit | Decline | Remove | End
    ) -> None:
        if host.role != "host":
            raise Refusal(Close.FORBIDDEN, f"only the host may send {message.type}")
        if isinstance(message, End):
            self._close_room(room.meeting.id, "ended", ended_by=host)
            return
        target = room.participants.get(message.participant)
        if isinstance(message, Admit | Decline):
            if target is None or target.admitted or target.link is None:
                host.send(error_message("not-in-lobby", "not waiting"))
                return
            mismatch = bool(target.identity and target.identity.get("mismatch"))
            if isinstance(message, Admit) and mismatch and not message.confirm_mismatch:
                # Someone other than the booking's person identified: the host decides knowingly.
                host.send(error_message("identity-mismatch", "confirm admitting another person"))
                return
            if isinstance(message, Admit):
                target.admitted = True
                self._record(room, "admitted", target)
                self._seat_in_room(room, target)
            else:
                self._record(room, "declined", target)
                self._forget(room, target)
                target.link.close(Close.FORBIDDEN, "declined")
            self._update_lobby(room)
            return
        if target is None or not target.admitted or target is host:
            host.send(error_message("peer-gone", "no such participant"))
            return
        self._record(room, "removed", target)
        self._depart(room, target, reason="removed", close=(Close.FORBIDDEN, "removed"))

    def _in_room(self, room: Room, sender: Participant, message: Signal | Chat | Media) -> None:
        if not sender.admitted:
            raise Refusal(Close.FORBIDDEN, f"{message.type} needs admission")
        match message:
            case Signal():
                target = room.participants.get(message.to)
                if target is None or not target.admitted or target.link is None:
                    gone = error_message("peer-gone", "peer not connected")
                    sender.send(gone | {"peer": message.to})
                    return
                target.send(message.relayed(sender.id))
            case Chat():
                said = {
                    "type": "chat",
                    "from": sender.id,
                    "name": sender.name,
                    "text": message.text,
                    "at": iso(self._clock()),
                }
                for peer in room.admitted():
                    peer.send(said)
            case Media():
                sender.media = message.model_dump(exclude={"type"})
                for peer in room.admitted(besides=sender):
                    peer.send({"type": "media", "from": sender.id, **sender.media})

    def _through_sfu(self, room: Room, sender: Participant, message: SfuMessage) -> None:
        if not sender.admitted:
            raise Refusal(Close.FORBIDDEN, f"{message.type} needs admission")
        if room.path != "sfu" or self._sfu is None:
            sender.send(error_message("sfu-not-joined", "this room is peer-to-peer"))
            return
        self._sfu.handle(sender, message)

    # ---- leaving -------------------------------------------------------------------------------

    def disconnected(self, participant: Participant, link: Link) -> None:
        """The connection ended without ``leave``: keep the seat for the resume grace period."""
        room = self._rooms.get(participant.meeting_id)
        if room is None or room.participants.get(participant.id) is not participant:
            return
        if participant.link is not link:
            return  # replaced by a newer connection
        participant.link = None
        if self._sfu is not None:
            self._sfu.leave(participant)
        if participant.admitted:
            for peer in room.admitted(besides=participant):
                peer.send({"type": "peer-away", "id": participant.id})
        self._update_lobby(room)
        participant.away = asyncio.get_running_loop().call_later(
            self._grace, self._expire, room.meeting.id, participant.id
        )
        self._on_change(room.meeting.id)

    def _expire(self, meeting_id: str, participant_id: str) -> None:
        room = self._rooms.get(meeting_id)
        participant = room.participants.get(participant_id) if room else None
        if room is not None and participant is not None and participant.link is None:
            self._depart(room, participant, reason="timeout", close=None)
            self._on_change(meeting_id)

    def _depart(
        self,
        room: Room,
        participant: Participant,
        *,
        reason: str,
        close: tuple[int, str] | None,
    ) -> None:
        self._forget(room, participant)
        if participant.admitted:
            self._record(room, "left", participant, seconds=_seconds_since(participant))
            for peer in room.admitted():
                peer.send({"type": "peer-left", "id": participant.id, "reason": reason})
        if close is not None and participant.link is not None:
            participant.link.close(*close)
        self._update_lobby(room)

    def _forget(self, room: Room, participant: Participant) -> None:
        room.participants.pop(participant.id, None)
        if participant.away is not None:
            participant.away.cancel()
        if self._sfu is not None:
            self._sfu.leave(participant)
        if not room.participants:
            if room.path == "sfu" and self._sfu is not None:
                self._sfu.close_room(room.meeting.id, [])
            self._drop_room(room)

    def _close_room(
        self, meeting_id: str, reason: str, *, ended_by: Participant | None = None
    ) -> None:
        """End the meeting for everyone: the host ended it, or its time window closed."""
        room = self._rooms.get(meeting_id)
        if room is None:
            return
        if ended_by is not None:
            self._ended.add(meeting_id)
            self._record(room, "ended", ended_by)
        for participant in list(room.participants.values()):
            if participant.admitted:
                self._record(room, "left", participant, seconds=_seconds_since(participant))
            if participant.away is not None:
                participant.away.cancel()
            if participant.link is not None:
                participant.link.close(Close.ENDED, reason)
        if room.path == "sfu" and self._sfu is not None:
            self._sfu.close_room(meeting_id, list(room.participants.values()))
        room.participants.clear()
        self._drop_room(room)
        self._on_change(meeting_id)

    def _drop_room(self, room: Room) -> None:
        if room.closing is not None:
            room.closing.cancel()
        self._rooms.pop(room.meeting.id, None)

    def _update_lobby(self, room: Room) -> None:
        host = room.host
        if host is not None:
            host.send({"type": "lobby", "waiting": [p.public() for p in room.waiting()]})

    def abandon(self, meeting_id: str, code: int, reason: str) -> None:
        """Forget a room that another instance has taken over: its connections reconnect there
        (``code``) and nothing is recorded, as the room lives on."""
        room = self._rooms.get(meeting_id)
        if room is None:
            return
        for participant in room.participants.values():
            if participant.away is not None:
                participant.away.cancel()
            if participant.link is not None:
                participant.link.close(code, reason)
            if self._sfu is not None:
                self._sfu.leave(participant)  # the new home seats them again when they resume
        room.participants.clear()
        self._drop_room(room)

    # ---- shutting down ---------------------------------------------------------------------------

    async def close_all(self, code: int = Close.RESTARTING, reason: str = "restarting") -> None:
        """Tell every connection to reconnect elsewhere, then finish writing meeting events."""
        for room in list(self._rooms.values()):
            for participant in room.participants.values():
                if participant.link is not None:
                    participant.link.close(code, reason)
        await self.flush()

    async def flush(self) -> None:
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    # ---- events ----------------------------------------------------------------------------------

    def _record(
        self, room: Room, kind: str, participant: Participant, seconds: int | None = None
    ) -> None:
        self._background(
            self._write_event(room.meeting.id, kind, participant, self._clock(), seconds)
        )

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Database work started by the room; ``flush`` waits for it on shutdown."""
        task = asyncio.get_running_loop().create_task(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_event(
        self,
        meeting_id: str,
        kind: str,
        participant: Participant,
        at: datetime,
        seconds: int | None,
    ) -> None:
        try:
            await self._events.record(
                meeting_id, kind, participant.role, participant.id, at, seconds
            )
        except Exception:
            log.exception("could not record meeting event %s", kind)


def _seconds_since(participant: Participant) -> int | None:
    if participant.admitted_at is None:
        return None
    return round(time.monotonic() - participant.admitted_at)
