"""The connection test: a server-side aiortc peer that sends the browser's camera and microphone
straight back, so a client sees and hears their own round trip before the meeting.

It is the only media the server handles, so it is bounded: at most ``limit`` tests at once per
process, each closed after ``max_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)

from core.errors import Busy, ValidationFailed
from core.i18n import N_

log = logging.getLogger("kohtaamo.video")

MAX_TEST_SECONDS = 60
# aiortc accepts a description without media; a test needs the camera or the microphone.
MEDIA_SECTION = re.compile(r"^m=(audio|video) ", re.MULTILINE)
BAD_OFFER = N_("The connection test could not start with this browser's offer.")


def rtc_configuration(ice: dict[str, Any]) -> RTCConfiguration:
    """The meeting's ICE configuration for aiortc. ``iceServers`` is always given, even empty:
    with none, aiortc would ask a public STUN server."""
    servers = [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in ice["iceServers"]
    ]
    policy = (
        RTCIceTransportPolicy.RELAY
        if ice["iceTransportPolicy"] == "relay"
        else RTCIceTransportPolicy.ALL
    )
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


class ConnectionTests:
    def __init__(self, limit: int, max_seconds: float = MAX_TEST_SECONDS) -> None:
        self._limit = limit
        self._max_seconds = max_seconds
        self._peers: set[RTCPeerConnection] = set()
        self._deadlines: set[asyncio.Task[None]] = set()
        # Closes started by a browser leaving: close_all waits for them.
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        return len(self._peers)

    async def answer(self, offer_sdp: str, ice: dict[str, Any]) -> str:
        """Answer a browser's offer (with its candidates) with an echoing peer's answer."""
        if not MEDIA_SECTION.search(offer_sdp):
            raise ValidationFailed({"offer": BAD_OFFER})
        if len(self._peers) >= self._limit:
            raise Busy(self._retry_after())
        peer = RTCPeerConnection(rtc_configuration(ice))
        # Counted before the first await, so concurrent requests cannot overshoot the limit.
        self._peers.add(peer)

        @peer.on("track")
        def echo(track: MediaStreamTrack) -> None:
            peer.addTrack(track)

        @peer.on("connectionstatechange")
        def closed_by_browser() -> None:
            if peer.connectionState in ("failed", "closed"):
                self._track(self._close(peer), self._closing)

        try:
            await peer.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await peer.setLocalDescription(await peer.createAnswer())
        except Exception as error:  # aiortc raises many kinds for a bad offer
            log.info("connection test offer refused: %s", type(error).__name__)
            await self._close(peer)
            raise ValidationFailed({"offer": BAD_OFFER}) from None
        self._track(self._close_later(peer), self._deadlines)
        return str(peer.localDescription.sdp)

    async def close_all(self) -> None:
        for deadline in list(self._deadlines):
            deadline.cancel()
        await asyncio.gather(*(self._close(peer) for peer in list(self._peers)))
        await asyncio.gather(*list(self._closing), return_exceptions=True)

    def _track(self, work: Coroutine[Any, Any, None], into: set[asyncio.Task[None]]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        into.add(task)
        task.add_done_callback(into.discard)

    async def _close_later(self, peer: RTCPeerConnection) -> None:
        await asyncio.sleep(self._max_seconds)
        await self._close(peer)

    async def _close(self, peer: RTCPeerConnection) -> None:
        if peer in self._peers:
            self._peers.discard(peer)
            await peer.close()

    def _retry_after(self) -> int:
        return max(5, int(self._max_seconds // 4))
