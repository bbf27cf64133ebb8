"""New manage links for a client who lost theirs ("Did you lose your link?").

A manage token is stored only as its hash, so the link a client lost cannot be sent again. The
client's upcoming bookings booked with the email address or phone number they give each get a
new token instead, and the old link stops working (docs/booking.md, "Lost links"). The new links
are handed, in the same transaction, to whoever delivers them (the caller writes them into the
notifications outbox), so a booking's token changes exactly when its new link is on its way.

Nothing is announced here and nothing is returned that says whether a booking was found: the
page that asks answers the same either way.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.models import CONFIRMED, Booking
from booking.records import BookingRecords
from booking.types import BookingView
from core.crypto import token_hash

Channel = Literal["email", "sms"]
# More upcoming bookings than a client ever holds; a bound all the same.
MOST_LINKS = 20


@dataclasses.dataclass(frozen=True, slots=True)
class ReissuedLink:
    booking: BookingView
    manage_url: str
    join_url: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ReissuedLinks:
    """The new links of one client's upcoming bookings, soonest first, and where they go: the
    address or number stored with the bookings (the same one the client typed, normalised)."""

    channel: Channel
    recipient: str
    links: list[ReissuedLink]


# Called inside the transaction that changes the tokens; it must not open another session.
LinkDelivery = Callable[[AsyncSession, ReissuedLinks], Awaitable[None]]


class LostLinks:
    def __init__(self, records: BookingRecords) -> None:
        self._records = records

    async def reissue(self, channel: Channel, contact: str, deliver: LinkDelivery) -> None:
        records = self._records
        if channel == "email":
            wanted, column = records.hasher.email(contact), Booking.client_email_hash
        else:
            wanted, column = records.hasher.phone(contact), Booking.client_phone_hash
        if wanted is None:
            return
        query = (
            select(Booking)
            .where(column == wanted, Booking.status == CONFIRMED, Booking.ends_at > records.clock())
            .order_by(Booking.starts_at)
            .limit(MOST_LINKS)
        )
        async with records.sessions() as session:
            rows = list((await session.scalars(query)).all())
        if not rows:
            return
        # Read before the write transaction: on SQLite nothing inside it may open a session.
        views = {view.id: view for view in await records.views(rows)}
        async with records.sessions.begin() as session:
            # Again inside the transaction: a booking cancelled meanwhile gets no new link.
            rows = list((await session.scalars(query)).all())
            links: list[ReissuedLink] = []
            recipient = ""
            for row in rows:
                view = views.get(row.id)
                if view is None:
                    continue
                token = secrets.token_urlsafe(32)
                row.manage_token_hash = token_hash(token)
                recipient = (row.client_email if channel == "email" else row.client_phone) or ""
                links.append(
                    ReissuedLink(
                        booking=view,
                        manage_url=records.links.manage_url(token),
                        join_url=records.links.join_url(token) if view.mode == "video" else None,
                    )
                )
            if links and recipient:
                await deliver(session, ReissuedLinks(channel, recipient, links))
