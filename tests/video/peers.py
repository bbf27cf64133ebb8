"""An aiortc participant that speaks the video-meeting protocol v1 (docs/signaling.md).

A ``Participant`` holds one real aiohttp WebSocket to the room and one ``RTCPeerConnection``
per peer. It sends a synthetic camera (frames of one solid colour, so a receiver can tell whose
video it decodes) and a microphone (a steady tone), and consumes every track it receives,
counting frames and noting when the first remote video frame arrived.

Signaling follows the contract: the newcomer (on ``admitted``) offers to every peer; on
``peer-joined`` the old connection to that id is dropped and the newcomer's offer answered.
aiortc gathers every candidate before it gives its local description, so a description is sent
with its candidates inside; trickled candidates from other peers are accepted.

Used by tests/video/ and bench/bench_video.py. Every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.sdp import candidate_from_sdp

from tests.video.sfu_peers import SfuMedia
from tests.video.synthetic import BLUE as BLUE  # the synthetic media, for the tests' imports
from tests.video.synthetic import GREEN as GREEN
from tests.video.synthetic import RED as RED
from tests.video.synthetic import ColourVideoTrack as ColourVideoTrack
from tests.video.synthetic import Inbound as Inbound
from tests.video.synthetic import ToneAudioTrack as ToneAudioTrack
from tests.video.synthetic import close_colour as close_colour
from tests.video.synthetic import consume as consume
from tests.video.synthetic import until as until

Message = dict[str, Any]


# ---- configuration ---------------------------------------------------------------------------


def rtc_configuration(ice: Message) -> RTCConfiguration:
    """``welcome.ice`` as aiortc's configuration; iceServers is always explicit (an empty list
    too: with None, aiortc would fall back to a public STUN server)."""
    servers = [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in ice.get("iceServers", [])
    ]
    policy = RTCIceTransportPolicy(ice.get("iceTransportPolicy", "all"))
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def nominated_pairs(pc: RTCPeerConnection) -> list[tuple[str, str]]:
    """(local type, remote type) of the candidate pair aioice nominated for each transport.

    aiortc has no getStats() for this; its RTCIceTransport wraps an aioice Connection.
    """
    pairs = []
    for transceiver in pc.getTransceivers():
        dtls = transceiver.sender.transport
        if dtls is None:
            continue
        connection = dtls.transport._connection
        for pair in connection._nominated.values():
            pairs.append((pair.local_candidate.type, pair.remote_candidate.type))
    return pairs


def sdp_candidate_types(sdp: str) -> set[str]:
    """The candidate types (host, srflx, relay) a description carries."""
    types = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            bits = line.split()
            types.add(bits[bits.index("typ") + 1])
    return types


class MediaEndpoint:
    """One RTCPeerConnection that sends our camera and microphone and consumes what it gets."""

    def __init__(
        self,
        configuration: RTCConfiguration,
        *,
        colour: tuple[int, int, int],
        hertz: int,
        width: int,
        height: int,
        fps: int,
        motion: bool = False,
    ) -> None:
        self.pc = RTCPeerConnection(configuration)
        self.created_at = time.monotonic()
        self.inbound: dict[str, Inbound] = {}
        self.connected_at: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tracks_added = False
        self._colour = colour
        self._motion = motion
        self._hertz = hertz
        self._size = (width, height, fps)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    def add_tracks(self) -> None:
        if self._tracks_added:
            return
        self._tracks_added = True
        width, height, fps = self._size
        self.pc.addTrack(
            ColourVideoTrack(self._colour, width=width, height=height, fps=fps, motion=self._motion)
        )
        self.pc.addTrack(ToneAudioTrack(self._hertz))

    def _on_track(self, track: MediaStreamTrack) -> None:
        inbound = Inbound(track.kind)
        self.inbound[track.kind] = inbound
        task = asyncio.create_task(consume(track, inbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected" and self.connected_at is None:
            self.connected_at = time.monotonic()

    def frames(self, kind: str) -> int:
        inbound = self.inbound.get(kind)
        return inbound.frames if inbound else 0

    def first_video_at(self) -> float | None:
        inbound = self.inbound.get("video")
        return inbound.first_at if inbound else None

    def has_media(self, *, video_frames: int = 10, audio_frames: int = 10) -> bool:
        """At least this many video and audio frames arrived, and the audio carries sound."""
        audio = self.inbound.get("audio")
        return (
            self.frames("video") >= video_frames
            and self.frames("audio") >= audio_frames
            and audio is not None
            and audio.loud_frames > 0
        )

    async def wait_for_media(
        self, *, video_frames: int = 10, audio_frames: int = 10, within: float = 15.0
    ) -> None:
        await until(
            lambda: self.has_media(video_frames=video_frames, audio_frames=audio_frames),
            within=within,
            what=f"{video_frames} video and {audio_frames} audio frames",
        )

    async def wait_connected(self, within: float) -> None:
        def connected() -> bool:
            if self.pc.connectionState in ("failed", "closed"):
                raise ConnectionError(f"peer connection {self.pc.connectionState}")
            return self.pc.connectionState == "connected"

        await until(connected, within=within, what="a connected peer connection")

    async def close(self) -> None:
        await self.pc.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# ---- the participant -------------------------------------------------------------------------


class ProtocolError(AssertionError):
    """The server said something the contract does not allow, or not in time."""


class Participant:
    """One person in a room: a WebSocket, and a MediaEndpoint per peer.

    ``http`` decides who this is for the host (its cookie jar holds the staff session);
    ``credential`` is the client's or guest's hello credential. With ``auto_admit`` a host
    admits everyone who appears in its lobby.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        *,
        credential: Message | None = None,
        colour: tuple[int, int, int] = GREEN,
        hertz: int = 400,
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        auto_admit: bool = False,
        label: str = "",
        protocol: int = 2,
        camera: bool = True,
        microphone: bool = True,
        incoming_kbps: int = 0,
        motion: bool = False,
    ) -> None:
        self.http = http
        self.url = url
        self.credential = credential
        self.colour = colour
        self.hertz = hertz
        self.video = (width, height, fps)
        self.auto_admit = auto_admit
        self.label = label or (credential or {}).get("kind", "host")
        self.messages: list[Message] = []
        self.received_at: list[float] = []  # time.monotonic() of each message's arrival
        self.peers: dict[str, MediaEndpoint] = {}
        self.welcome: Message = {}
        self.hello_sent_at: float | None = None
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.errors: list[BaseException] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._arrived = asyncio.Event()
        self._closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._jobs: asyncio.Queue[Callable[[], Any]] = asyncio.Queue()
        self._worker = asyncio.create_task(self._work())
        self._pending_candidates: dict[str, list[Message | None]] = {}
        self.protocol = protocol
        self.camera = camera
        self.microphone = microphone
        self.incoming_kbps = incoming_kbps
        self.motion = motion
        # "mesh" until the room moves to the SFU; then one SfuMedia instead of the peers.
        self.path = "mesh"
        self.sfu: SfuMedia | None = None

    # -- identity ------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.welcome["you"]["id"])

    @property
    def ice(self) -> Message:
        return dict(self.welcome["ice"])

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    # -- the WebSocket -------------------------------------------------------------------------

    async def join(self, *, resume: str | None = None, within: float = 10.0) -> Message:
        """Open a WebSocket, say hello and return the welcome."""
        self._closed.clear()
        self.close_code = None
        mark = self.mark()
        self._ws = await self.http.ws_connect(self.url, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        self._reader = asyncio.create_task(self._read(self._ws))
        hello: Message = {"type": "hello", "v": self.protocol}
        if self.credential is not None:
            hello["credential"] = self.credential
        if resume is not None:
            hello["resume"] = resume
        self.hello_sent_at = time.monotonic()
        await self.send(hello)
        self.welcome = await self.wait_for("welcome", after=mark, within=within)
        return self.welcome

    async def send(self, message: Message) -> None:
        assert self._ws is not None, "not joined"
        await self._ws.send_str(json.dumps(message))

    async def admit(self, participant_id: str) -> None:
        await self.send({"type": "admit", "participant": participant_id})

    async def leave(self) -> None:
        await self.send({"type": "leave"})
        await self.wait_closed()

    def drop_connection(self) -> None:
        """The network dies under the WebSocket: no close frame, the TCP connection just ends."""
        assert self._ws is not None
        transport = self._ws._writer.transport
        transport.abort()

    async def wait_closed(self, within: float = 10.0) -> int | None:
        async with asyncio.timeout(within):
            await self._closed.wait()
        return self.close_code

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            while True:
                frame = await ws.receive()
                if frame.type is aiohttp.WSMsgType.TEXT:
                    message = json.loads(frame.data)
                    self.received_at.append(time.monotonic())
                    self.messages.append(message)
                    self._arrived.set()
                    self._dispatch(message)
                elif frame.type is aiohttp.WSMsgType.CLOSE:
                    self.close_reason = str(frame.extra or "")
                elif frame.type in (
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    break
                else:
                    self.errors.append(ProtocolError(f"unexpected frame {frame.type}"))
        finally:
            if ws is self._ws:
                self.close_code = ws.close_code
                self._closed.set()
                self._arrived.set()

    def arrival(self, message: Message) -> float:
        """When a message from ``messages`` arrived (time.monotonic())."""
        position = next(i for i, seen in enumerate(self.messages) if seen is message)
        return self.received_at[position]

    def mark(self) -> int:
        """A place in the message log: ``wait_for(..., after=mark)`` sees only later messages."""
        return len(self.messages)

    async def wait_for(
        self,
        kind: str,
        *,
        where: Callable[[Message], bool] | None = None,
        after: int = 0,
        within: float = 10.0,
    ) -> Message:
        """The first message of this type (matching ``where``) at or after ``after``."""
        position = after
        try:
            async with asyncio.timeout(within):
                while True:
                    while position < len(self.messages):
                        message = self.messages[position]
                        position += 1
                        if message["type"] == kind and (where is None or where(message)):
                            return message
                    if self._closed.is_set():
                        raise ProtocolError(
                            f"{self.label}: closed with {self.close_code} while waiting for {kind}"
                        )
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            seen = [message["type"] for message in self.messages[after:]]
            raise ProtocolError(f"{self.label}: no {kind} within {within} s; got {seen}") from None

    # -- protocol ------------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> None:
        kind = message["type"]
        if kind.startswith("sfu-") or kind == "media-path":
            self._dispatch_sfu(message)
        elif kind == "admitted" and message.get("path") == "sfu":
            self.path = "sfu"
        elif kind == "admitted":
            for peer in message["peers"]:
                self._jobs.put_nowait(functools.partial(self._offer_to, peer["id"]))
        elif kind in ("peer-joined", "peer-left", "signal") and self.path == "sfu":
            return
        elif kind == "peer-joined":
            # The newcomer (or a resumed peer) will offer: drop any old connection to it.
            self._jobs.put_nowait(functools.partial(self._forget, message["peer"]["id"]))
        elif kind == "peer-left":
            self._jobs.put_nowait(functools.partial(self._forget, message["id"]))
        elif kind == "signal":
            self._jobs.put_nowait(functools.partial(self._on_signal, message))
        elif kind == "lobby" and self.auto_admit:
            for waiting in message["waiting"]:
                self._jobs.put_nowait(functools.partial(self.admit, waiting["id"]))

    def _dispatch_sfu(self, message: Message) -> None:
        kind = message["type"]
        if kind == "media-path":
            self.path = message["path"]
            self._jobs.put_nowait(self._drop_mesh)
        elif kind == "sfu-ready":
            self._jobs.put_nowait(self._publish)
        elif kind == "sfu-published":
            self._jobs.put_nowait(functools.partial(self._published, message["description"]))
        elif kind == "sfu-offer":
            self._jobs.put_nowait(functools.partial(self._subscribe, message))

    async def _drop_mesh(self) -> None:
        for peer_id in list(self.peers):
            await self._forget(peer_id)

    async def _publish(self) -> None:
        if self.sfu is not None:
            await self.sfu.close()
        width, height, fps = self.video
        self.sfu = SfuMedia(
            rtc_configuration(self.ice),
            colour=self.colour,
            hertz=self.hertz,
            width=width,
            height=height,
            fps=fps,
            video=self.camera,
            audio=self.microphone,
            incoming_kbps=self.incoming_kbps,
            motion=self.motion,
        )
        await self.send({"type": "sfu-publish", "description": await self.sfu.publish_offer()})
        # aiortc puts every candidate in its description: there is nothing to trickle.
        await self.send({"type": "sfu-candidate", "target": "publish", "candidate": None})

    async def _published(self, answer: Message) -> None:
        assert self.sfu is not None
        await self.sfu.published(answer)

    async def _subscribe(self, offer: Message) -> None:
        assert self.sfu is not None, "an offer to receive before publishing"
        answer = await self.sfu.subscription_answer(offer["description"], offer["streams"])
        await self.send({"type": "sfu-subscribed", "description": answer})
        await self.send({"type": "sfu-candidate", "target": "subscribe", "candidate": None})

    async def _work(self) -> None:
        """Signaling jobs one at a time, in arrival order (an offer before its candidates)."""
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except Exception as error:  # kept for the test to see, the worker carries on
                self.errors.append(error)

    def _endpoint(self) -> MediaEndpoint:
        width, height, fps = self.video
        return MediaEndpoint(
            rtc_configuration(self.ice),
            colour=self.colour,
            hertz=self.hertz,
            width=width,
            height=height,
            fps=fps,
            motion=self.motion,
        )

    async def _forget(self, peer_id: str) -> None:
        endpoint = self.peers.pop(peer_id, None)
        self._pending_candidates.pop(peer_id, None)
        if endpoint is not None:
            await endpoint.close()

    async def _offer_to(self, peer_id: str) -> None:
        await self._forget(peer_id)
        endpoint = self.peers[peer_id] = self._endpoint()
        endpoint.add_tracks()
        await endpoint.pc.setLocalDescription(await endpoint.pc.createOffer())
        await self._send_description(peer_id, endpoint)

    async def _send_description(self, peer_id: str, endpoint: MediaEndpoint) -> None:
        description = endpoint.pc.localDescription
        await self.send(
            {
                "type": "signal",
                "to": peer_id,
                "description": {"type": description.type, "sdp": description.sdp},
            }
        )

    async def _on_signal(self, message: Message) -> None:
        peer_id = message["from"]
        if "candidate" in message:
            self._pending_candidates.setdefault(peer_id, []).append(message["candidate"])
            await self._apply_candidates(peer_id)
            return
        description = message["description"]
        endpoint = self.peers.get(peer_id)
        if description["type"] == "offer":
            if endpoint is not None and endpoint.pc.signalingState != "stable":
                # Glare: the polite peer (smaller id) gives way. aiortc cannot roll back, so
                # the polite side starts over with a fresh connection.
                if self.id > peer_id:
                    return
                await self._forget(peer_id)
                endpoint = None
            if endpoint is None or endpoint.pc.connectionState in ("failed", "closed"):
                endpoint = self.peers[peer_id] = self._endpoint()
            await endpoint.pc.setRemoteDescription(
                RTCSessionDescription(sdp=description["sdp"], type="offer")
            )
            endpoint.add_tracks()
            await endpoint.pc.setLocalDescription(await endpoint.pc.createAnswer())
            await self._send_description(peer_id, endpoint)
            await self._apply_candidates(peer_id)
        elif description["type"] == "answer" and endpoint is not None:
            await endpoint.pc.setRemoteDescription(
                RTCSessionDescription(sdp=description["sdp"], type="answer")
            )
            await self._apply_candidates(peer_id)

    async def _apply_candidates(self, peer_id: str) -> None:
        endpoint = self.peers.get(peer_id)
        if endpoint is None or endpoint.pc.remoteDescription is None:
            return  # kept until the description they belong to has arrived
        for init in self._pending_candidates.pop(peer_id, []):
            await endpoint.pc.addIceCandidate(None if init is None else candidate_from_init(init))

    # -- media ---------------------------------------------------------------------------------

    async def wait_for_media_from(
        self, peer_id: str, *, video_frames: int = 10, audio_frames: int = 10, within: float = 15
    ) -> MediaEndpoint:
        """Until this peer's audio and video arrive; returns the connection to it (the current
        one, should it be rebuilt meanwhile)."""

        def arrived() -> bool:
            endpoint = self.peers.get(peer_id)
            return endpoint is not None and endpoint.has_media(
                video_frames=video_frames, audio_frames=audio_frames
            )

        await until(arrived, within=within, what=f"{self.label}: media from {peer_id}")
        return self.peers[peer_id]

    async def close(self) -> None:
        """Close every peer connection and the WebSocket; safe to call twice."""
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        # Let a job under way finish: a connection closed while aioice still gathers its
        # candidates leaves that gathering's sockets open.
        if not self._worker.done():
            idle = asyncio.Event()

            async def _set_idle() -> None:
                idle.set()

            self._jobs.put_nowait(_set_idle)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await idle.wait()
        for peer_id in list(self.peers):
            await self._forget(peer_id)
        if self.sfu is not None:
            await self.sfu.close()
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in (self._reader, self._worker):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def candidate_from_init(init: Message) -> RTCIceCandidate:
    """An ``RTCIceCandidateInit`` (``{"candidate": "candidate:…", "sdpMid", "sdpMLineIndex"}``)
    as aiortc's candidate."""
    line = str(init["candidate"])
    candidate = candidate_from_sdp(line.removeprefix("a=").removeprefix("candidate:"))
    candidate.sdpMid = init.get("sdpMid")
    candidate.sdpMLineIndex = init.get("sdpMLineIndex")
    return candidate
