"""Synthetic media for aiortc test peers: a camera filming one colour, a microphone hearing a
tone, and the counting of what arrives (tests/video/peers.py, tests/video/sfu_peers.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fractions
import time
from collections.abc import Callable

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

VIDEO_CLOCK_RATE = 90_000
AUDIO_RATE = 48_000
AUDIO_SAMPLES = 960  # 20 ms
RED = (220, 40, 40)
GREEN = (40, 200, 60)
BLUE = (40, 60, 220)


async def until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    """Poll ``condition`` (media counters have no event to wait on) for at most ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {within} s")
        await asyncio.sleep(0.02)


# ---- synthetic media -------------------------------------------------------------------------


class PacedTrack(MediaStreamTrack):
    """A live source that hands out one frame every ``step`` ticks of a ``rate`` Hz clock, on
    time as a device would: the first at once, each later one when it is due."""

    def __init__(self, step: int, rate: int) -> None:
        super().__init__()
        self._step = step
        self._rate = rate
        self._start = 0.0
        self._pts = -1

    async def next_pts(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError
        if self._pts < 0:
            self._start = time.monotonic()
            self._pts = 0
        else:
            self._pts += self._step
            await asyncio.sleep(max(0.0, self._start + self._pts / self._rate - time.monotonic()))
        return self._pts


class ColourVideoTrack(PacedTrack):
    """A camera that films one solid colour at a steady frame rate; with ``motion``, a strip of
    noise changes every frame, so that the encoder spends a camera's bitrate (the colour still
    tells whose video it is)."""

    kind = "video"

    def __init__(
        self,
        colour: tuple[int, int, int],
        *,
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        motion: bool = False,
    ) -> None:
        super().__init__(VIDEO_CLOCK_RATE // fps, VIDEO_CLOCK_RATE)
        self._image = np.full((height, width, 3), colour, dtype=np.uint8)
        self._motion = np.random.default_rng(1) if motion else None

    async def recv(self) -> VideoFrame:
        pts = await self.next_pts()
        image = self._image
        if self._motion is not None:
            image = image.copy()
            strip = image.shape[0] // 8
            image[:strip] = self._motion.integers(0, 256, image[:strip].shape, dtype=np.uint8)
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        return frame


class ToneAudioTrack(PacedTrack):
    """A microphone that hears a steady tone (a frequency dividing 48 kHz into whole frames)."""

    kind = "audio"

    def __init__(self, hertz: int = 400) -> None:
        super().__init__(AUDIO_SAMPLES, AUDIO_RATE)
        sample = np.arange(AUDIO_SAMPLES)
        wave = 8000 * np.sin(2 * np.pi * hertz * sample / AUDIO_RATE)
        self._samples = wave.astype(np.int16).reshape(1, -1)

    async def recv(self) -> AudioFrame:
        pts = await self.next_pts()
        frame = AudioFrame.from_ndarray(self._samples, format="s16", layout="mono")
        frame.pts = pts
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


@dataclasses.dataclass
class Inbound:
    """What arrived on one received track."""

    kind: str
    frames: int = 0
    first_at: float | None = None  # time.monotonic() of the first frame
    colour: tuple[int, int, int] | None = None  # mean RGB of a recent video frame
    loud_frames: int = 0  # audio frames that carry sound, not silence
    width: int = 0  # of the last video frame
    height: int = 0


async def consume(track: MediaStreamTrack, inbound: Inbound) -> None:
    """Read a received track to its end: unread frames would pile up in memory."""
    with contextlib.suppress(MediaStreamError):
        while True:
            frame = await track.recv()
            if inbound.first_at is None:
                inbound.first_at = time.monotonic()
            inbound.frames += 1
            if isinstance(frame, VideoFrame):
                inbound.width, inbound.height = frame.width, frame.height
            if isinstance(frame, VideoFrame) and inbound.frames % 15 == 1:
                mean = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
                inbound.colour = (int(mean[0]), int(mean[1]), int(mean[2]))
            elif isinstance(frame, AudioFrame):
                samples = frame.to_ndarray().astype(np.float64)
                if float(np.sqrt(np.mean(samples**2))) > 500:
                    inbound.loud_frames += 1


def close_colour(seen: tuple[int, int, int] | None, sent: tuple[int, int, int]) -> bool:
    """Whether a decoded frame's mean colour is the sent one (VP8 and YUV shift it a little)."""
    return seen is not None and all(abs(a - b) <= 40 for a, b in zip(seen, sent, strict=True))
