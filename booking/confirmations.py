"""One booking per confirmation, however many clicks: the check-answers form's one-time value
and the bookings made from it in the last minutes."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any

from booking.types import BookingCreated, BookingRequest

SUBMISSION_FIELD = "submission_id"
SUBMISSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")

CONFIRMATION_MEMORY_SECONDS = 600.0
MAX_REMEMBERED_CONFIRMATIONS = 10_000


class Confirmations:
    """Bookings made from check-answers pages in the last minutes, by the form's one-time value.

    A double click sends the same confirmation twice and the browser shows the answer to the
    second. That answer must be the same booking, with its manage link, not "someone just booked
    this time". The value is bound to the browser's CSRF cookie and to what is being booked.
    This memory shares one booking task between the sends that reach this process while it
    runs; the database remembers the booking made for the value (``submission_key``, the
    booking_submissions table), so a repeat reaching another instance, or this one after a
    restart, gets the same booking too.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._made: dict[str, tuple[float, str, asyncio.Task[BookingCreated]]] = {}

    async def book_once(
        self,
        key: str,
        fingerprint: str,
        book: Callable[[], Coroutine[Any, Any, BookingCreated]],
    ) -> BookingCreated:
        now = self._clock()
        self._forget_expired(now)
        remembered = self._made.get(key)
        if remembered is not None and remembered[1] == fingerprint:
            task = remembered[2]
        elif len(self._made) >= MAX_REMEMBERED_CONFIRMATIONS:
            return await book()
        else:
            # A task, so that the booking completes even if the first request is abandoned.
            task = asyncio.get_running_loop().create_task(book())
            self._made[key] = (now + CONFIRMATION_MEMORY_SECONDS, fingerprint, task)
            task.add_done_callback(functools.partial(self._settled, key))
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Task[BookingCreated]) -> None:
        # A refused booking is forgotten, so that the same form can be sent again later.
        if task.cancelled() or task.exception() is not None:
            remembered = self._made.get(key)
            if remembered is not None and remembered[2] is task:
                del self._made[key]

    def _forget_expired(self, now: float) -> None:
        for key in [
            key
            for key, (expires, _fingerprint, task) in self._made.items()
            if expires <= now and task.done()
        ]:
            del self._made[key]

    async def close(self) -> None:
        pending = [task for _expires, _fingerprint, task in self._made.values() if not task.done()]
        await asyncio.gather(*pending, return_exceptions=True)
        self._made.clear()


def fingerprint_of(booking: BookingRequest) -> str:
    """What is being booked, so that the same one-time value with other answers is no repeat."""
    return hashlib.sha256(repr(booking).encode()).hexdigest()


def submission_key(key: str, fingerprint: str) -> str:
    """The key under which the database keeps the booking made for one send of a form."""
    return hashlib.sha256(f"{key}:{fingerprint}".encode()).hexdigest()
