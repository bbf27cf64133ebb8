"""Turning booking changes into outbox messages, reminders included.

Reminders are outbox messages that may not be sent before their time (``send_after``) and are
not worth sending once the meeting has begun (``expires_at``). They are written with the booking
change, in its transaction, so they survive any restart; moving a booking withdraws its unsent
reminders and writes new ones, cancelling withdraws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from booking.types import BookingChange
from core.db import utcnow
from core.lookup import PersonHasher
from notifications import outbox
from notifications.messages import Kind, caseworker_notice, channels, client_email, client_sms
from notifications.models import OutboxMessage

KIND_OF_CHANGE: dict[str, Kind] = {
    "created": "confirmation",
    "rescheduled": "reschedule",
    "cancelled": "cancellation",
}


class BookingNotifier:
    """The booking service's change listener: what each change owes the client."""

    def __init__(
        self,
        base_url: str,
        reminder_minutes: Sequence[int],
        hasher: PersonHasher,
        clock: Callable[[], datetime] = utcnow,
        staff_language: str = "fi",
    ) -> None:
        self._staff_language = staff_language
        self._base_url = base_url
        self._reminder_minutes = tuple(reminder_minutes)
        self._clock = clock
        self._hasher = hasher

    async def booking_changed(self, session: AsyncSession, change: BookingChange) -> None:
        booking = change.booking
        kind = KIND_OF_CHANGE[change.kind]
        messages = self._messages(change, kind, send_after=self._clock(), expires_at=None)
        if change.kind in ("rescheduled", "cancelled"):
            await outbox.withdraw_pending(session, booking.id, "reminder")
        if change.kind in ("created", "rescheduled"):
            messages += self._reminders(change)
        notice = caseworker_notice(change, base_url=self._base_url, language=self._staff_language)
        if notice is not None:
            messages.append(
                OutboxMessage(
                    idempotency_key=f"booking:{booking.id}:caseworker-{change.kind}:{booking.ical_sequence}",
                    booking_id=booking.id,
                    kind=f"caseworker-{change.kind}",
                    channel="email",
                    recipient=notice.to,
                    language=self._staff_language,
                    subject=notice.subject,
                    body_text=notice.text,
                    body_html=notice.html,
                    send_after=self._clock(),
                )
            )
        await outbox.add(session, messages, self._hasher)

    def _reminders(self, change: BookingChange) -> list[OutboxMessage]:
        booking = change.booking
        now = self._clock()
        reminders: list[OutboxMessage] = []
        for minutes in booking.meeting_type.reminder_minutes or self._reminder_minutes:
            due = booking.start - timedelta(minutes=minutes)
            # A reminder already due when the booking is made would only repeat the confirmation.
            if due <= now:
                continue
            reminders += self._messages(
                change, "reminder", send_after=due, expires_at=booking.start, suffix=str(minutes)
            )
        return reminders

    def _messages(
        self,
        change: BookingChange,
        kind: Kind,
        *,
        send_after: datetime,
        expires_at: datetime | None,
        suffix: str = "",
    ) -> list[OutboxMessage]:
        booking = change.booking
        # The key names the booking's version: a new time means new messages, a repeat does not.
        key = f"booking:{booking.id}:{kind}:{booking.ical_sequence}:{suffix}"
        by_email, by_sms = channels(change)
        messages: list[OutboxMessage] = []
        if by_email:
            email = client_email(change, kind, base_url=self._base_url)
            messages.append(
                OutboxMessage(
                    idempotency_key=f"{key}:email",
                    booking_id=booking.id,
                    kind=kind,
                    channel="email",
                    recipient=email.to,
                    language=booking.language,
                    subject=email.subject,
                    body_text=email.text,
                    body_html=email.html,
                    ics=change.ics,
                    ics_method="CANCEL" if kind == "cancellation" else "REQUEST",
                    send_after=send_after,
                    expires_at=expires_at,
                )
            )
        if by_sms:
            sms = client_sms(change, kind)
            messages.append(
                OutboxMessage(
                    idempotency_key=f"{key}:sms",
                    booking_id=booking.id,
                    kind=kind,
                    channel="sms",
                    recipient=sms.to,
                    language=booking.language,
                    body_text=sms.text,
                    send_after=send_after,
                    expires_at=expires_at,
                )
            )
        return messages
