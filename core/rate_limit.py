"""A per-process sliding-window limit on requests per client address, for the public forms."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from core.errors import RateLimited

WINDOW_SECONDS = 60.0
MAX_TRACKED_ADDRESSES = 100_000


class RequestLimiter:
    """At most ``per_minute`` requests per key in any 60 seconds; 0 turns the limit off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_TRACKED_ADDRESSES:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            raise RateLimited(int(hits[0] + WINDOW_SECONDS - now) + 1)
        hits.append(now)

    def _forget_idle(self, now: float) -> None:
        for key in [
            key for key, hits in self._hits.items() if not hits or hits[-1] <= now - WINDOW_SECONDS
        ]:
            del self._hits[key]
