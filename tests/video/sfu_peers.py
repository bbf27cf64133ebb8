"""An aiortc participant's media through the SFU: one connection that publishes, one that
receives everyone else (docs/signaling.md, "Through the SFU").

``SfuMedia`` is transport-neutral: it makes the publish offer, applies the subscription's offers
and answers them, and counts decoded frames per feed (the ``streams`` of each offer say which
media line carries whose feed). Whoever drives it moves the descriptions to and fro.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from tests.video.synthetic import ColourVideoTrack, Inbound, ToneAudioTrack, consume, until

Message = dict[str, Any]


class SfuMedia:
    def __init__(
        self,
        configuration: RTCConfiguration,
        *,
        colour: tuple[int, int, int],
        hertz: int = 400,
        width: int = 160,
        height: int = 120,
        fps: int = 15,
        video: bool = True,
        audio: bool = True,
    ) -> None:
        self.publisher = RTCPeerConnection(configuration)
        self.subscriber = RTCPeerConnection(configuration)
        self.inbound: dict[tuple[str, str], Inbound] = {}  # (feed, kind) -> what arrived
        self.feed_of_mid: dict[str, str] = {}
        self.joined_at = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        if video:
            self.publisher.addTransceiver(
                ColourVideoTrack(colour, width=width, height=height, fps=fps), "sendonly"
            )
        if audio:
            self.publisher.addTransceiver(ToneAudioTrack(hertz), "sendonly")
        self.subscriber.on("track", self._on_track)

    async def publish_offer(self) -> Message:
        await self.publisher.setLocalDescription(await self.publisher.createOffer())
        local = self.publisher.localDescription
        return {"type": local.type, "sdp": local.sdp}

    async def published(self, answer: Message) -> None:
        await self.publisher.setRemoteDescription(RTCSessionDescription(**answer))

    async def subscription_answer(self, offer: Message, streams: list[Message]) -> Message:
        for stream in streams:
            self.feed_of_mid[str(stream["mid"])] = str(stream["feed"])
        await self.subscriber.setRemoteDescription(RTCSessionDescription(**offer))
        await self.subscriber.setLocalDescription(await self.subscriber.createAnswer())
        local = self.subscriber.localDescription
        return {"type": local.type, "sdp": local.sdp}

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(
            (t for t in self.subscriber.getTransceivers() if t.receiver.track is track), None
        )
        feed = self.feed_of_mid.get(str(transceiver.mid) if transceiver else "", "?")
        inbound = self.inbound[(feed, track.kind)] = Inbound(track.kind)
        task = asyncio.create_task(consume(track, inbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def frames(self, feed: str, kind: str = "video") -> int:
        inbound = self.inbound.get((feed, kind))
        return inbound.frames if inbound else 0

    def colour(self, feed: str) -> tuple[int, int, int] | None:
        inbound = self.inbound.get((feed, "video"))
        return inbound.colour if inbound else None

    def first_frame_at(self, feed: str) -> float | None:
        inbound = self.inbound.get((feed, "video"))
        return inbound.first_at if inbound else None

    async def wait_for_video(self, feeds: list[str], frames: int = 10, within: float = 20) -> None:
        await until(
            lambda: all(self.frames(feed) >= frames for feed in feeds),
            within=within,
            what=f"{frames} video frames from each of {feeds}",
        )

    async def close(self) -> None:
        await self.publisher.close()
        await self.subscriber.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
