"""A room's media through the SFU (Janus): what the room asks, done in the background.

The room (video/rooms.py) never awaits; it tells this class who joins the SFU, who leaves it and
what their browsers said, and carries on. Each participant's work runs in order, one piece at a
time (a publish offer waits for their seat to be open). What Janus answers reaches the browser
through the participant's own connection: the answer to their publish offer, the offers of
their subscription with the feed each media line carries, and who is speaking.

Browsers never reach Janus: they send descriptions and candidates here, checked, and Kohtaamo
alone names the room, its secret and its PIN.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from sfu.gateways import Gateways, NoGateway
from sfu.janus import JanusError
from sfu.videoroom import Seat
from video.participants import Participant, Room, error_message
from video.signaling import SfuCandidate, SfuPublish, SfuReceive, SfuSubscribed

log = logging.getLogger("kohtaamo.video")

# A network meeting's room holds the host, the client and up to 14 others.
SFU_CAPACITY = 16
LAYERS = {"high": 2, "medium": 1, "low": 0, "off": None}
_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)\s*$", re.MULTILINE)

SfuMessage = SfuPublish | SfuSubscribed | SfuCandidate | SfuReceive


def ice_ufrags(sdp: str) -> set[str]:
    return set(_UFRAG.findall(sdp))


class _Presence:
    """One participant on the SFU: their seat, and the ICE usernames their browser uses."""

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.seat: Seat | None = None
        self.ufrags: dict[str, set[str]] = {"publish": set(), "subscribe": set()}
        self.gone = False


class SfuPath:
    def __init__(self, gateways: Gateways) -> None:
        self._gateways = gateways
        self._present: dict[str, _Presence] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def available(self) -> bool:
        return self._gateways.configured

    # ---- what the room tells ----------------------------------------------------------------

    def join(self, room: Room, participant: Participant) -> None:
        """Seat ``participant`` in the meeting's Janus room (a fresh seat on each connection)."""
        self._leave_now(participant.id)
        presence = self._present[participant.id] = _Presence()
        meeting = room.meeting
        valid = int((meeting.closes_at - meeting.opens_at).total_seconds()) + 3600

        async def open_seat() -> None:
            keys = await self._gateways.room_for(meeting.id, SFU_CAPACITY, valid)
            gateway = self._gateways.gateway(keys)
            seat = Seat(gateway.janus, keys, participant.id, participant.send)
            presence.seat = seat
            await seat.open(display=participant.id)
            # Told first, so that the page is ready for the offers of what it receives.
            participant.send({"type": "sfu-ready"})
            await seat.start_receiving()

        self._run(participant, presence, open_seat)

    def leave(self, participant: Participant) -> None:
        """Out of the SFU at once: their session ends, and with it their media to everyone."""
        self._leave_now(participant.id)

    def handle(self, participant: Participant, message: SfuMessage) -> None:
        presence = self._present.get(participant.id)
        if presence is None:
            participant.send(error_message("sfu-not-joined", "the room is not on the SFU"))
            return
        if isinstance(message, SfuCandidate):
            found = message.candidate.usernameFragment if message.candidate else None
            if found is not None and found not in presence.ufrags[message.target]:
                participant.send(error_message("sfu-foreign-ice", "a candidate of another session"))
                return
        elif isinstance(message, SfuPublish | SfuSubscribed):
            ufrags = ice_ufrags(message.description.sdp)
            if len(ufrags) != 1:
                participant.send(
                    error_message("sfu-bad-description", "one ICE username fragment expected")
                )
                return
            target = "publish" if isinstance(message, SfuPublish) else "subscribe"
            presence.ufrags[target] = ufrags

        async def act() -> None:
            seat = presence.seat
            if seat is None:
                return
            match message:
                case SfuPublish():
                    answer = await seat.publish(message.description.model_dump())
                    participant.send({"type": "sfu-published", "description": answer})
                case SfuSubscribed():
                    await seat.answer_subscription(message.description.model_dump())
                case SfuCandidate():
                    candidate = message.candidate
                    await seat.trickle(
                        message.target,
                        candidate.model_dump(exclude_none=True) if candidate else None,
                    )
                case SfuReceive():
                    await seat.receive(message.feed, LAYERS[message.layer])

        self._run(participant, presence, act)

    def close_room(self, meeting_id: str, participants: list[Participant]) -> None:
        for participant in participants:
            self._leave_now(participant.id)
        self._spawn(self._gateways.close_room(meeting_id))

    async def close(self) -> None:
        for participant_id in list(self._present):
            self._leave_now(participant_id)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---- running the work ----------------------------------------------------------------------

    def _leave_now(self, participant_id: str) -> None:
        presence = self._present.pop(participant_id, None)
        if presence is None:
            return
        presence.gone = True

        async def close_seat() -> None:
            async with presence.turn:
                if presence.seat is not None:
                    await presence.seat.close()

        self._spawn(close_seat())

    def _run(
        self, participant: Participant, presence: _Presence, work: Callable[[], Awaitable[None]]
    ) -> None:
        async def in_turn() -> None:
            async with presence.turn:
                if presence.gone:
                    return
                try:
                    await work()
                except (JanusError, NoGateway) as error:
                    log.warning("SFU work for a participant failed: %s", error)
                    participant.send(error_message("sfu-unavailable", "the SFU refused or failed"))

        self._spawn(in_turn())

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class SfuLoads:
    """The SFU's rooms and participants in /metrics, per gateway, refreshed every few seconds."""

    def __init__(
        self, registry: CollectorRegistry, gateways: Gateways, every_seconds: float = 5.0
    ) -> None:
        self._gateways = gateways
        self._every = every_seconds
        self.rooms = Gauge(
            "kohtaamo_sfu_rooms", "VideoRoom rooms on each Janus.", ("gateway",), registry=registry
        )
        self.participants = Gauge(
            "kohtaamo_sfu_participants",
            "Participants in the rooms of each Janus.",
            ("gateway",),
            registry=registry,
        )
        self.up = Gauge(
            "kohtaamo_sfu_up", "1 when a Janus takes meetings.", ("gateway",), registry=registry
        )

    async def watch(self) -> None:
        while True:
            for gateway, entry in (await self._gateways.health()).items():
                self.up.labels(gateway).set(1 if entry["status"] == "ok" else 0)
                self.rooms.labels(gateway).set(entry.get("rooms", 0))
                self.participants.labels(gateway).set(entry.get("participants", 0))
            await asyncio.sleep(self._every)
