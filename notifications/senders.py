"""Delivering one message: email by SMTP (aiosmtplib), SMS by a generic HTTP gateway, or the log."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiohttp
import aiosmtplib

from core.settings import Settings
from notifications.models import OutboxMessage

log = logging.getLogger("kohtaamo.notifications")


class DeliveryFailed(Exception):
    """The message could not be delivered now; the outbox tries again later."""


class Sender(Protocol):
    async def send(self, message: OutboxMessage) -> bool:
        """Deliver the message; True if it really went out, False if it was only logged."""


def email_of(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """multipart/mixed: the text and HTML alternatives, and the .ics as a calendar attachment."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=mail_from.rsplit("@", 1)[-1])
    email["Content-Language"] = message.language
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.ics is not None:
        email.add_attachment(
            message.ics,
            maintype="text",
            subtype="calendar",
            filename="kohtaamo.ics",
            params={"method": message.ics_method or "REQUEST"},
        )
    return email


class SmtpSender:
    """Email through the municipality's SMTP server, over at most ``KOHTAAMO_SMTP_CONNECTIONS``
    connections kept open between messages (a connection per message costs a handshake, and
    with TLS a second one, for every confirmation of a burst)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.smtp_connections)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, message: OutboxMessage) -> bool:
        email = email_of(message, self._settings.mail_from)
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is not None:
                    try:
                        await client.send_message(email)
                    except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                        # The server closed a connection left idle: once more on a new one.
                        client.close()
                        client = None
                if client is None:
                    client = await self._connect()
                    await client.send_message(email)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                if client is not None:
                    client.close()
                raise DeliveryFailed(f"SMTP: {type(error).__name__}") from error
            self._idle.append(client)
        return True

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=20,
        )
        await client.connect()
        if settings.smtp_username:
            await client.login(settings.smtp_username, settings.smtp_password)
        return client

    async def close(self) -> None:
        """Say goodbye on the connections kept open."""
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit()


class HttpSmsSender:
    """POST {"to": "+358…", "text": "…"} with a bearer token to the operator's gateway."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self._http = http
        self._url = url
        self._token = token

    async def send(self, message: OutboxMessage) -> bool:
        try:
            async with self._http.post(
                self._url,
                json={"to": message.recipient, "text": message.body_text},
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as answer:
                if not 200 <= answer.status < 300:
                    raise DeliveryFailed(f"SMS gateway answered {answer.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"SMS gateway: {type(error).__name__}") from error
        return True


class WebhookSender:
    """POST the JSON body to the record system, signed so that it can tell the body is ours
    and fresh: ``Kohtaamo-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
    with the shared secret. ``Kohtaamo-Event`` is the event's id: a repeat after a lost answer
    carries the same id, for the receiver to ignore."""

    def __init__(self, http: aiohttp.ClientSession, url: str, secret: str) -> None:
        self._http = http
        self._url = url
        self._secret = secret.encode()

    async def send(self, message: OutboxMessage) -> bool:
        body = message.body_text.encode("utf-8")
        sent_at = str(int(time.time()))
        signature = hmac.new(self._secret, sent_at.encode() + b"." + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "Kohtaamo-Event": message.idempotency_key,
            "Kohtaamo-Signature": f"t={sent_at},v1={signature.hexdigest()}",
        }
        try:
            async with self._http.post(
                self._url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as answer:
                if not 200 <= answer.status < 300:
                    raise DeliveryFailed(f"record system answered {answer.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"record system: {type(error).__name__}") from error
        return True


class LogSender:
    """Development, with no SMTP host or SMS gateway: the message is not sent, and the log says
    only that it would have been (its id, kind, channel and language). Never its recipient,
    subject or text: those are personal data, and logs are kept and read far more widely than
    the outbox. The message itself stays in the outbox, marked ``sent_to_log``."""

    async def send(self, message: OutboxMessage) -> bool:
        log.info(
            "message written to the log",
            extra={
                "message_id": message.id,
                "kind": message.kind,
                "channel": message.channel,
                "language": message.language,
            },
        )
        return False
