"""Janus's VideoRoom plugin, as Kohtaamo uses it: one room per meeting, one seat per person.

``RoomControl`` holds a control session on one Janus for what only Kohtaamo does: create a
meeting's room (with a secret and a PIN of its own, recording off and locked), remove someone
from it, destroy it, and list the rooms for health and metrics. ``Seat`` is one participant in
one room: a Janus session with a publisher handle (what they send) and a subscriber handle (one
multistream subscription to everyone else), so that ending the session ends their media at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from sfu.janus import Janus, JanusError, Message

log = logging.getLogger("kohtaamo.sfu")

VIDEOROOM = "janus.plugin.videoroom"
# Janus's VideoRoom error for a room id already taken.
ROOM_EXISTS = 427
_SESSION_NAME = re.compile(r"^s=.*$", re.MULTILINE)
# Simulcast layers: 0 (a quarter of the resolution), 1 (half), 2 (full).
HIGHEST_LAYER = 2
# A slow link lowers a seat's layers at most one step in this long, and a quiet one raises them
# one step after this long; a raise that brought the slow link back waits twice as long next
# time (up to the longest), so that a link that cannot take more does not swing to and fro.
SLOWLINK_STEP_SECONDS = 2.0
RECOVER_AFTER_SECONDS = 15.0
LONGEST_RECOVERY_SECONDS = 240.0


def without_room_name(jsep: Message) -> Message:
    """Janus names the room in its SDP's session name; a browser has no need to know it."""
    return {"type": jsep["type"], "sdp": _SESSION_NAME.sub("s=-", str(jsep["sdp"]), count=1)}


@dataclasses.dataclass(frozen=True, slots=True)
class RoomKeys:
    """A meeting's room in Janus and what opens it; never sent to a browser."""

    server: str
    room: str
    secret: str
    pin: str

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class RoomLoad:
    room: str
    participants: int
    recording: bool


class RoomControl:
    """The control session on one Janus."""

    def __init__(self, janus: Janus, admin_key: str) -> None:
        self.janus = janus
        self._admin_key = admin_key
        self._session = 0
        self._handle = 0

    async def start(self) -> None:
        self._session = await self.janus.create_session()
        self._handle = await self.janus.attach(self._session, VIDEOROOM, lambda _event: None)

    async def _ask(self, body: Message) -> Message:
        return (await self.janus.message(self._session, self._handle, body)).data

    async def create(self, meeting_id: str, capacity: int) -> RoomKeys:
        """A new room for a meeting: a fresh id, secret and PIN; nothing recorded, ever."""
        keys = RoomKeys(
            server=self.janus.url,
            room=f"{meeting_id}-{secrets.token_hex(4)}",
            secret=secrets.token_urlsafe(24),
            pin=secrets.token_urlsafe(24),
        )
        await self._ask(
            {
                "request": "create",
                "admin_key": self._admin_key,
                "room": keys.room,
                "description": "kohtaamo",
                "secret": keys.secret,
                "pin": keys.pin,
                "is_private": True,
                "permanent": False,
                "publishers": capacity,
                "record": False,
                "lock_record": True,
                "audiocodec": "opus",
                "videocodec": "vp8,h264",
                "bitrate": 1_024_000,
                "fir_freq": 10,
                "notify_joining": False,
                "audiolevel_event": True,
                "audio_active_packets": 50,
                "audio_level_average": 40,
            }
        )
        return keys

    async def kick(self, keys: RoomKeys, feed: str) -> None:
        with contextlib.suppress(JanusError):  # not publishing (yet): nothing to remove
            await self._ask(
                {"request": "kick", "room": keys.room, "secret": keys.secret, "id": feed}
            )

    async def destroy(self, keys: RoomKeys) -> None:
        with contextlib.suppress(JanusError):
            await self._ask({"request": "destroy", "room": keys.room, "secret": keys.secret})

    async def rooms(self) -> list[RoomLoad]:
        """Every room on this Janus, Kohtaamo's and any other, with its participants."""
        answer = await self._ask({"request": "list", "admin_key": self._admin_key})
        return [
            RoomLoad(
                room=str(room["room"]),
                participants=int(room.get("num_participants", 0)),
                recording=bool(room.get("record", False)),
            )
            for room in answer.get("list", [])
        ]


Tell = Callable[[Message], None]


class Seat:
    """One participant in a meeting's room.

    ``tell`` receives what the browser must hear: the answer to its publish offer, the
    subscription's offers (with which feed each of their media lines carries) and changes of
    the active speaker. Requests of one seat run one at a time, in order.
    """

    def __init__(self, janus: Janus, keys: RoomKeys, feed: str, tell: Tell) -> None:
        self.feed = feed
        self._janus = janus
        self._keys = keys
        self._tell = tell
        self._session = 0
        self._publisher = 0
        self._subscriber = 0
        self._turn = asyncio.Lock()
        # Feeds Janus says are publishing, and the feeds the subscription holds.
        self._publishing: set[str] = set()
        self._subscribed: set[str] = set()
        # While the browser has an offer of ours to answer, the subscription waits.
        self._offer_out = False
        self.streams: list[dict[str, Any]] = []
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._receiving = False
        # The simulcast layer asked for per feed (None: no video), and the highest this seat
        # gets while its link is slow.
        self._wanted: dict[str, int | None] = {}
        self.ceiling = HIGHEST_LAYER
        self._lowered_at = -SLOWLINK_STEP_SECONDS
        self._raised_at = -RECOVER_AFTER_SECONDS
        self._recover_after = RECOVER_AFTER_SECONDS
        self._recovery: asyncio.TimerHandle | None = None

    async def open(self, display: str) -> None:
        async with self._turn:
            self._session = await self._janus.create_session()
            self._publisher = await self._janus.attach(
                self._session, VIDEOROOM, self._publisher_event
            )
            joined = await self._janus.message(
                self._session,
                self._publisher,
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": self._keys.room,
                    "pin": self._keys.pin,
                    "id": self.feed,
                    "display": display,
                },
            )
            self._note_publishers(joined.data)

    async def start_receiving(self) -> None:
        """Subscribe to everyone publishing now; later publishers are added as they come."""
        self._receiving = True
        await self._sync_subscription()

    async def publish(self, offer: Message) -> Message:
        """The browser's offer for what it sends; returns Janus's answer."""
        async with self._turn:
            answer = await self._janus.message(
                self._session,
                self._publisher,
                {"request": "configure", "audio": True, "video": True},
                jsep=offer,
            )
        if answer.jsep is None:
            raise JanusError("no answer to the publish offer")
        return without_room_name(answer.jsep)

    async def trickle(self, which: str, candidate: Message | None) -> None:
        handle = self._publisher if which == "publish" else self._subscriber
        if handle:
            await self._janus.trickle(self._session, handle, candidate)

    async def answer_subscription(self, answer: Message) -> None:
        async with self._turn:
            if self._subscriber:
                await self._janus.message(
                    self._session, self._subscriber, {"request": "start"}, jsep=answer
                )
            self._offer_out = False
        await self._sync_subscription()

    async def receive(self, feed: str, substream: int | None) -> None:
        """Receive ``feed``'s video at a simulcast layer (0 lowest), or not at all (None).

        The layer sent is the lower of the one asked for and this seat's ceiling, which falls
        while Janus reports that the seat loses what it receives (see ``_slow_link``).
        """
        self._wanted[feed] = substream
        await self._apply_layers([feed])

    async def _apply_layers(self, feeds: list[str]) -> None:
        streams: list[Message] = []
        for stream in self.streams:
            feed = str(stream.get("feed_id"))
            if feed not in feeds or stream.get("type") != "video" or not stream.get("active", 1):
                continue
            wanted = self._wanted.get(feed, HIGHEST_LAYER)
            entry: Message = {"mid": stream["mid"], "send": wanted is not None}
            if wanted is not None:
                entry["substream"] = min(wanted, self.ceiling)
            streams.append(entry)
        if not streams or not self._subscriber:
            return
        async with self._turn:
            await self._janus.message(
                self._session, self._subscriber, {"request": "configure", "streams": streams}
            )

    def _slow_link(self) -> None:
        """The seat loses what Janus sends it: everyone's video one simulcast layer lower, for
        this seat alone, and back up one layer after a quiet while."""
        now = asyncio.get_running_loop().time()
        if self.ceiling > 0 and now - self._lowered_at >= SLOWLINK_STEP_SECONDS:
            if now - self._raised_at < RECOVER_AFTER_SECONDS:
                self._recover_after = min(LONGEST_RECOVERY_SECONDS, self._recover_after * 2)
            self.ceiling -= 1
            self._lowered_at = now
            log.info("a slow link: seat %s now receives layer %d at most", self.feed, self.ceiling)
            self._spawn(self._apply_layers(list(self._subscribed)))
        if self._recovery is not None:
            self._recovery.cancel()
        self._recovery = asyncio.get_running_loop().call_later(self._recover_after, self._recover)

    def _recover(self) -> None:
        self._recovery = None
        if self.closed or self.ceiling >= HIGHEST_LAYER:
            return
        self.ceiling += 1
        self._raised_at = asyncio.get_running_loop().time()
        self._spawn(self._apply_layers(list(self._subscribed)))
        if self.ceiling < HIGHEST_LAYER:
            self._recovery = asyncio.get_running_loop().call_later(
                self._recover_after, self._recover
            )

    async def close(self) -> None:
        self.closed = True
        if self._recovery is not None:
            self._recovery.cancel()
        for handle in (self._publisher, self._subscriber):
            self._janus.forget_handle(handle)
        if self._session:
            await self._janus.destroy_session(self._session)

    # ---- the subscription --------------------------------------------------------------------

    def _note_publishers(self, data: Message) -> None:
        for publisher in data.get("publishers", []):
            feed = str(publisher.get("id"))
            if feed != self.feed:
                self._publishing.add(feed)

    def _publisher_event(self, message: Message) -> None:
        data = message.get("plugindata", {}).get("data", {})
        gone = data.get("unpublished") or data.get("leaving")
        if gone and gone != "ok":
            self._publishing.discard(str(gone))
        self._note_publishers(data)
        talking = data.get("videoroom") in ("talking", "stopped-talking")
        if talking and data.get("id") is not None:
            self._tell(
                {
                    "type": "sfu-speaking",
                    "feed": str(data["id"]),
                    "speaking": data["videoroom"] == "talking",
                }
            )
        if data.get("publishers") or gone:
            self._spawn(self._sync_subscription())

    def _subscriber_event(self, message: Message) -> None:
        if message.get("janus") == "slowlink" and message.get("media", "video") == "video":
            self._slow_link()
            return
        # Janus renegotiates on its own when a subscribed feed goes away.
        jsep = message.get("jsep")
        data = message.get("plugindata", {}).get("data", {})
        if jsep is not None and jsep.get("type") == "offer":
            self._offer(data, jsep)

    def _offer(self, data: Message, jsep: Message) -> None:
        self.streams = list(data.get("streams", self.streams))
        self._offer_out = True
        self._tell(
            {
                "type": "sfu-offer",
                "description": without_room_name(jsep),
                "streams": [
                    {"mid": s["mid"], "feed": str(s.get("feed_id")), "kind": s.get("type")}
                    for s in self.streams
                    if s.get("feed_id") is not None and s.get("active", True)
                ],
            }
        )

    async def _sync_subscription(self) -> None:
        async with self._turn:
            if self.closed or self._offer_out or not self._receiving:
                return
            wanted = set(self._publishing)
            added, removed = wanted - self._subscribed, self._subscribed - wanted
            if not added and not removed:
                return
            if not self._subscriber:
                self._subscriber = await self._janus.attach(
                    self._session, VIDEOROOM, self._subscriber_event
                )
                answer = await self._janus.message(
                    self._session,
                    self._subscriber,
                    {
                        "request": "join",
                        "ptype": "subscriber",
                        "room": self._keys.room,
                        "pin": self._keys.pin,
                        "use_msid": True,
                        "streams": [{"feed": feed} for feed in sorted(added)],
                    },
                )
            else:
                body: Message = {"request": "update"}
                if added:
                    body["subscribe"] = [{"feed": feed} for feed in sorted(added)]
                if removed:
                    body["unsubscribe"] = [{"feed": feed} for feed in sorted(removed)]
                answer = await self._janus.message(self._session, self._subscriber, body)
            self._subscribed = wanted
            if answer.jsep is not None:
                self._offer(answer.data, answer.jsep)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a subscription update failed: %s", task.exception())
