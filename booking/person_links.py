"""Links to an identified person's own bookings, for their own pages (My pages).

A booking made while identified belongs to the person (its keyed identity hash). My pages
reach it without the secret manage link: a signed, expiring token that names the booking and
the person's hash, accepted wherever a manage token is (the manage pages, the video join).
It opens the booking only while the booking still belongs to that person. It never goes into a
message: a change made with it announces no link (the emailed manage link keeps working).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time
from collections.abc import Callable

PREFIX = "my_"
LIFETIME_SECONDS = 12 * 3600  # an identified session lasts at most 8 hours


@dataclasses.dataclass(frozen=True, slots=True)
class PersonToken:
    booking_id: str
    expires: int
    mac: str


class PersonLinks:
    def __init__(self, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(
            b"kohtaamo person booking links\0" + secret_key.encode()
        ).digest()
        self._clock = clock

    def token(self, booking_id: str, identity_hash: str) -> str:
        expires = int(self._clock()) + LIFETIME_SECONDS
        return f"{PREFIX}{booking_id}_{expires}_{self._mac(booking_id, expires, identity_hash)}"

    def parse(self, token: str) -> PersonToken | None:
        """The booking a genuine-looking, unexpired token names (its owner is checked by
        ``belongs`` once the booking is loaded)."""
        if not token.startswith(PREFIX):
            return None
        parts = token.removeprefix(PREFIX).split("_", 2)
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < self._clock():
            return None
        return PersonToken(parts[0], int(parts[1]), parts[2])

    def belongs(self, token: PersonToken, identity_hash: str | None) -> bool:
        if identity_hash is None:
            return False
        expected = self._mac(token.booking_id, token.expires, identity_hash)
        return hmac.compare_digest(token.mac, expected)

    def _mac(self, booking_id: str, expires: int, identity_hash: str) -> str:
        message = f"{booking_id}\0{expires}\0{identity_hash}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_person_token(token: str) -> bool:
    return token.startswith(PREFIX)
