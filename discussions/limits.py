"""Flood limits of the group discussions' sockets that the shared ones (core/websockets.py) do
not give: per client address, a bound on open sockets and on the frames of all of them
together; per connection, a slower pace for what is said than for frames. The address is held
only in this process's memory, under a hash keyed with a random key of this process, and is
forgotten with its last socket: never stored, logged or passed on."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator

from core.websockets import MessageBucket, Refusal


class AddressLimits:
    def __init__(self, connections: int, frames_per_second: int, code: int) -> None:
        self._connections = connections
        self._frames = frames_per_second
        self._code = code
        self._key = secrets.token_bytes(32)
        self._open: dict[str, tuple[int, MessageBucket]] = {}

    @contextlib.contextmanager
    def hold(self, address: str) -> Iterator[MessageBucket]:
        """A place for one socket from ``address``, and the frame bucket its sockets share."""
        key = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        count, bucket = self._open.get(key, (0, MessageBucket(self._frames, self._code)))
        if count >= self._connections:
            raise Refusal(self._code, "too many connections from one address")
        self._open[key] = (count + 1, bucket)
        try:
            yield bucket
        finally:
            left, _ = self._open.pop(key)
            if left > 1:
                self._open[key] = (left - 1, bucket)

    def __len__(self) -> int:
        """How many addresses hold sockets now (for tests: none once all are closed)."""
        return len(self._open)


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
