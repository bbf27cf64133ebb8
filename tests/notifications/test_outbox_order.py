"""The outbox sends to many recipients at once but to each in order: a recipient whose earlier
message failed gets nothing newer until it has gone. Email goes over a few SMTP connections kept
open, and a connection the server closed is replaced without losing the message."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from core.db import Sessions, utcnow
from notifications import outbox
from notifications.models import PENDING, SENT, OutboxMessage
from notifications.outbox import OutboxSender
from notifications.senders import DeliveryFailed, SmtpSender
from tests.conftest import TEST_HASHER, make_settings
from tests.notifications.conftest import Inbox, SmtpServer
from tests.notifications.test_outbox import message, sessions

__all__ = ["sessions"]


async def add_in_order(sessions: Sessions, recipients: dict[str, int]) -> None:
    """``count`` messages for each recipient, each recipient's falling due one after another."""
    start = utcnow() - timedelta(minutes=10)
    async with sessions.begin() as session:
        for number, (recipient, count) in enumerate(recipients.items()):
            await outbox.add(
                session,
                [
                    message(
                        f"{recipient}:{n}",
                        recipient=recipient,
                        subject=f"{recipient} {n}",
                        send_after=start + timedelta(seconds=n),
                        created_at=start + timedelta(seconds=n, microseconds=number),
                    )
                    for n in range(count)
                ],
                TEST_HASHER,
            )


class Recording:
    """Records what it sends and how many sends overlap; fails the first send of ``failing``."""

    def __init__(self, failing: str = "") -> None:
        self.sent: list[str] = []
        self.at_once = 0
        self.most_at_once = 0
        self.per_recipient: dict[str, int] = {}
        self._failing = failing

    async def send(self, outgoing: OutboxMessage) -> bool:
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        busy = self.per_recipient.get(outgoing.recipient, 0)
        assert busy == 0, f"two sends to {outgoing.recipient} at once"
        self.per_recipient[outgoing.recipient] = 1
        try:
            await asyncio.sleep(0.01)
            if outgoing.subject == f"{self._failing} 0":
                self._failing = ""  # once
                raise DeliveryFailed("mailbox unavailable")
            self.sent.append(outgoing.subject)
        finally:
            self.at_once -= 1
            self.per_recipient[outgoing.recipient] = 0
        return True


async def test_recipients_are_sent_to_side_by_side_each_in_order(sessions: Sessions) -> None:
    recipients = {f"person{n}@example.com": 3 for n in range(12)}
    await add_in_order(sessions, recipients)
    recording = Recording()
    sender = OutboxSender(sessions, {"email": recording}, concurrency=4)
    result = await sender.drain(100)
    assert result.sent == 36
    assert recording.most_at_once == 4
    for recipient in recipients:
        mine = [subject for subject in recording.sent if subject.startswith(recipient)]
        assert mine == [f"{recipient} 0", f"{recipient} 1", f"{recipient} 2"]


async def test_nothing_newer_goes_to_a_recipient_whose_earlier_message_failed(
    sessions: Sessions,
) -> None:
    await add_in_order(sessions, {"anna@example.com": 3, "bertil@example.com": 2})
    recording = Recording(failing="anna@example.com")
    sender = OutboxSender(sessions, {"email": recording})
    result = await sender.drain(100)
    assert (result.sent, result.retried) == (2, 1)
    assert recording.sent == ["bertil@example.com 0", "bertil@example.com 1"]
    # Anna's first waits for its retry; the two after it wait behind it, unclaimed.
    assert (await sender.drain(100)).sent == 0
    async with sessions() as session:
        stored = (
            await session.scalars(select(OutboxMessage).order_by(OutboxMessage.send_after))
        ).all()
    # Encrypted columns: read back, then picked.
    annas = sorted(
        (m for m in stored if m.recipient == "anna@example.com"), key=lambda m: m.subject
    )
    assert [(m.status, m.attempts) for m in annas] == [(PENDING, 1), (PENDING, 0), (PENDING, 0)]
    assert annas[0].send_after > utcnow()

    # Once the first is due again and goes, the rest follow, in order, at the next drain.
    later = OutboxSender(
        sessions, {"email": recording}, clock=lambda: utcnow() + timedelta(hours=1)
    )
    assert (await later.drain(100)).sent == 1
    assert (await later.drain(100)).sent == 2
    assert recording.sent[2:] == [f"anna@example.com {n}" for n in range(3)]


async def test_email_goes_over_a_few_connections_kept_open(
    sessions: Sessions, smtp: tuple[Inbox, SmtpServer]
) -> None:
    inbox, server = smtp
    settings = make_settings(
        "sqlite+aiosqlite:///unused",
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        smtp_connections="2",
    )
    email = SmtpSender(settings)
    await add_in_order(sessions, {f"person{n}@example.com": 2 for n in range(10)})
    sender = OutboxSender(sessions, {"email": email}, concurrency=8)
    assert (await sender.drain(100)).sent == 20
    assert len(inbox.messages) == 20
    assert len(inbox.connections) == 2

    # The server restarts: the connections kept open are gone; the next message still goes.
    server.stop()
    server.start()
    await add_in_order(sessions, {"late@example.com": 1})
    assert (await sender.drain(100)).sent == 1
    assert [to for to, _ in inbox.messages][-1] == ["late@example.com"]
    await email.close()
    async with sessions() as session:
        statuses = set((await session.scalars(select(OutboxMessage.status))).all())
    assert statuses == {SENT}
