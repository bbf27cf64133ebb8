""" "Did you lose your link?": new manage links of a client's upcoming bookings, sent through the
outbox to the address or number the bookings were made with, never to anything else.

The page answers the same whether anything was found, and so does this: ``request`` checks
only that what was typed is an address or a number and returns, the same at once for any; the
look-up and the sending go on without the page waiting (``settled`` waits for them), so that
not even the time of the answer tells whether a booking was found. A recipient gets at most ``PER_RECIPIENT`` such messages a day, whoever asks (counted by a
keyed hash of what was typed, kept a day); the per-address limit is the page's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from babel.dates import format_date, format_time
from babel.support import Translations
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.lost_links import Channel, ReissuedLinks
from booking.service import BookingService
from core import validators
from core.background import Background
from core.db import Sessions, lock_until_commit, utcnow
from core.errors import ValidationFailed
from core.i18n import N_
from core.lookup import PersonHasher
from core.settings import Settings
from notifications import outbox
from notifications.models import OutboxMessage
from publicinfo.models import LostLinkRequest

log = logging.getLogger("kohtaamo.publicinfo")

PER_RECIPIENT = 3
WINDOW = timedelta(days=1)
# The first key of the advisory locks that make one recipient's requests take turns.
RECIPIENT_LOCK_SPACE = 0x4B4F4C4C  # "KOLL"
KIND = "lost-links"
ENTER_CONTACT = N_(
    "Enter the email address or phone number you booked with, like name@example.com or "
    "040 123 4567."
)


class LostLinkRequests:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        bookings: BookingService,
        hasher: PersonHasher,
        catalogs: dict[str, Translations],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._country = settings.jurisdiction
        self._bookings = bookings
        self._hasher = hasher
        self._catalogs = catalogs
        self._clock = clock
        self._background = Background()

    def parse(self, typed: str) -> tuple[Channel, str]:
        """What was typed as a channel and a normal value; ValidationFailed when it is neither."""
        typed = typed.strip()
        try:
            if "@" in typed:
                return "email", validators.email_address(typed)
            return "sms", validators.phone_number(typed, self._country)
        except validators.InvalidValue:
            raise ValidationFailed({"contact": ENTER_CONTACT}) from None

    async def request(self, typed: str, language: str) -> None:
        channel, contact = self.parse(typed)
        self._background.start(self._send(channel, contact, language))

    async def settled(self) -> None:
        """Until every request made so far has been looked up and its message written."""
        await self._background.flush()

    async def _send(self, channel: Channel, contact: str, language: str) -> None:
        try:
            await self._reissue(channel, contact, language)
        except Exception:
            log.exception("lost links were not sent")

    async def _reissue(self, channel: Channel, contact: str, language: str) -> None:
        recipient_hash = self._hasher.contact(channel, contact) or ""
        now = self._clock()
        async with self._sessions.begin() as session:
            # Requests for one recipient take turns, or five at once would all count two before.
            await lock_until_commit(session, RECIPIENT_LOCK_SPACE, recipient_hash)
            await session.execute(
                delete(LostLinkRequest).where(LostLinkRequest.requested_at < now - WINDOW)
            )
            earlier = await session.scalar(
                select(func.count())
                .select_from(LostLinkRequest)
                .where(LostLinkRequest.recipient_hash == recipient_hash)
            )
            session.add(LostLinkRequest(recipient_hash=recipient_hash, requested_at=now))
        if (earlier or 0) >= PER_RECIPIENT:
            return

        async def deliver(session: AsyncSession, reissued: ReissuedLinks) -> None:
            await outbox.add(session, [self._message(reissued, language)], self._hasher)

        await self._bookings.reissue_manage_links(channel, contact, deliver)

    def _message(self, reissued: ReissuedLinks, language: str) -> OutboxMessage:
        translations = self._catalogs[language]
        _ = translations.gettext
        lines = []
        for link in reissued.links:
            view = link.booking
            local = view.start.astimezone(view.zone)
            when = f"{format_date(local, 'full', locale=language)} {format_time(local, 'short', locale=language)}"
            lines.append(f"{view.meeting_type.name_in(language)}, {when}")
            lines.append(_("Manage the booking: %(url)s") % {"url": link.manage_url})
            if link.join_url:
                lines.append(_("Join the video meeting: %(url)s") % {"url": link.join_url})
            lines.append("")
        key = f"{KIND}:{secrets.token_hex(16)}"
        if reissued.channel == "sms":
            text = "\n".join([_("New links to your bookings:"), "", *lines]).strip()
            return OutboxMessage(
                idempotency_key=key,
                kind=KIND,
                channel="sms",
                recipient=reissued.recipient,
                language=language,
                body_text=text,
                send_after=self._clock(),
            )
        text = "\n".join(
            [
                _("Hello,"),
                "",
                _(
                    "You asked for the links to your bookings. Here are new ones; the earlier "
                    "links no longer work."
                ),
                "",
                *lines,
                _(
                    "If you did not ask for this, you need not do anything: your bookings stay "
                    "as they are."
                ),
            ]
        )
        return OutboxMessage(
            idempotency_key=key,
            kind=KIND,
            channel="email",
            recipient=reissued.recipient,
            language=language,
            subject=_("Links to your bookings"),
            body_text=text,
            send_after=self._clock(),
        )
