"""The notifications package's app keys."""

from __future__ import annotations

from aiohttp import web

from core.leadership import Leadership
from notifications.outbox import OutboxSender
from notifications.service import BookingNotifier

notifier_key = web.AppKey("booking_notifier", BookingNotifier)
outbox_sender_key = web.AppKey("outbox_sender", OutboxSender)
leadership_key = web.AppKey("leadership", Leadership)
