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


class TokenBucket:
    """``bits_per_second``, with a burst of a fifth of a second."""

    def __init__(self, bits_per_second: int) -> None:
        self._rate = bits_per_second
        self._capacity = bits_per_second / 5
        self._tokens = self._capacity
        self._at = time.monotonic()

    def take(self, bits: int) -> bool:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < bits:
            return False
        self._tokens -= bits
        return True


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
        incoming_kbps: int = 0,
        motion: bool = False,
    ) -> None:
        self.publisher = RTCPeerConnection(configuration)
        self.subscriber = RTCPeerConnection(configuration)
        self.inbound: dict[tuple[str, str], Inbound] = {}  # (feed, kind) -> what arrived
        self.feed_of_mid: dict[str, str] = {}
        self.joined_at = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        if video:
            self.publisher.addTransceiver(
                ColourVideoTrack(colour, width=width, height=height, fps=fps, motion=motion),
                "sendonly",
            )
        if audio:
            self.publisher.addTransceiver(ToneAudioTrack(hertz), "sendonly")
        self.subscriber.on("track", self._on_track)
        # A poor downlink, made here since this kernel has no traffic shaping: video beyond
        # this many kbit/s is dropped before aiortc sees it (a token bucket holding 0.2 s), as a
        # congested link drops it; aiortc then asks for the lost packets again (NACK).
        self._downlink = TokenBucket(incoming_kbps * 1000) if incoming_kbps else None

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
        if self._downlink is not None:
            for transceiver in self.subscriber.getTransceivers():
                if transceiver.kind == "video":
                    self._cap(transceiver.receiver, self._downlink)
        await self.subscriber.setLocalDescription(await self.subscriber.createAnswer())
        local = self.subscriber.localDescription
        return {"type": local.type, "sdp": local.sdp}

    @staticmethod
    def _cap(receiver: Any, downlink: TokenBucket) -> None:
        if getattr(receiver, "_kohtaamo_capped", False):
            return
        handle = receiver._handle_rtp_packet

        async def capped(packet: Any, arrival_time_ms: int) -> None:
            if downlink.take(8 * (len(packet.payload) + 40)):
                await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = capped
        receiver._kohtaamo_capped = True

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

    def size(self, feed: str) -> tuple[int, int]:
        inbound = self.inbound.get((feed, "video"))
        return (inbound.width, inbound.height) if inbound else (0, 0)

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
