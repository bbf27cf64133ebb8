"""Sliding-window limits on requests per client address, for the public forms.

``RequestLimiter`` counts in this process; ``SharedRequestLimiter`` counts in Redis, so that
several instances behind a load balancer enforce one limit together.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.errors import RateLimited

log = logging.getLogger("kohtaamo.rate_limit")

WINDOW_SECONDS = 60.0
MAX_TRACKED_ADDRESSES = 100_000


class Limiter(Protocol):
    per_minute: int

    async def check(self, key: str) -> None:
        """Count a request for ``key``; RateLimited if it is over the limit."""


class RequestLimiter:
    """At most ``per_minute`` requests per key in any 60 seconds; 0 turns the limit off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    async def check(self, key: str) -> None:
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


# One sorted set of request times per key; the answer is 0 (counted) or the seconds to wait.
_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.floor(tonumber(oldest[2]) + window - now) + 1
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return 0
"""


class SharedRequestLimiter:
    """The same limit, counted in Redis across instances. If Redis cannot be reached the request
    is let through (and logged): a limit must not take the public forms down."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        per_minute: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self._redis = redis
        self._prefix = f"kohtaamo:limit:{name}:"
        self._clock = clock

    async def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        try:
            wait = await self._redis.eval(
                _SLIDING_WINDOW,
                1,
                self._prefix + key,
                repr(self._clock()),
                repr(WINDOW_SECONDS),
                str(self.per_minute),
                secrets.token_hex(8),
            )
        except RedisError as error:
            log.warning("rate limit not checked: %s", type(error).__name__)
            return
        if int(wait) > 0:
            raise RateLimited(int(wait))


def request_limiter(redis: Redis | None, name: str, per_minute: int) -> Limiter:
    """Counted in Redis when the instances share one, else in this process."""
    if redis is None:
        return RequestLimiter(per_minute)
    return SharedRequestLimiter(redis, name, per_minute)
