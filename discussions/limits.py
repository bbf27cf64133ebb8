"""The group discussions' own pace: per connection, a slower pace for what is said than for
frames (the per-address limits are core/websockets.py's ``AddressLimits``)."""

from __future__ import annotations

import time


class Pace:
    """A token bucket of ``burst`` at once, refilled one every ``every`` seconds: how fast one
    person may write in a group, however fast their frames may come."""

    def __init__(self, burst: int, every: float) -> None:
        self._burst = float(burst)
        self._every = every
        self._tokens = float(burst)
        self._at = time.monotonic()

    def allows(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) / self._every)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
