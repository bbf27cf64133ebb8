"""Wiring notifications into the app: the listeners of bookings and concern reports, and the
leader's outbox sender.

The instance holding the scheduler lock (core.leadership) runs the leader's jobs
(notifications/leader_jobs.py): draining the outbox every few seconds, concern reports' own
retention, and the daily retention job that runs each package's task (``add_retention_task``;
docs/privacy.md). The reminders themselves are outbox rows (see notifications/service.py), so
they need no job of their own and survive restarts with the data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from accounts.keys import staff_page
from audit.keys import access_log_retention_key
from audit.service import AuditLog
from booking.keys import booking_listener_key, booking_service_key, listen_to_removals
from core.app_keys import (
    engine_key,
    health_checks_key,
    person_hasher_key,
    sessions_key,
    settings_key,
)
from core.leadership import Leadership
from core.principal import Role
from core.settings import Settings
from core.templating import render
from notifications.concern_reports import ConcernReportNotifier
from notifications.keys import (
    add_retention_task,
    leader_jobs_key,
    leadership_key,
    notifier_key,
    outbox_retention_key,
    outbox_sender_key,
    person_messages_key,
    retention_tasks_key,
)
from notifications.leader_jobs import LeaderJobs
from notifications.outbox import DrainResult, OutboxSender
from notifications.person_data import PersonMessages
from notifications.retention import MessagesOfRemovedBookings, OutboxRetention
from notifications.senders import HttpSmsSender, LogSender, Sender, SmtpSender, WebhookSender
from notifications.service import BookingNotifier
from reports.keys import report_listener_key, report_service_key

log = logging.getLogger("kohtaamo.notifications")

DRAIN_SECONDS = 5
DRAIN_BATCH = 100


def senders_for(settings: Settings, http: aiohttp.ClientSession) -> dict[str, Sender]:
    email: Sender = SmtpSender(settings) if settings.smtp_host else LogSender()
    sms: Sender = (
        HttpSmsSender(http, settings.sms_url, settings.sms_token)
        if settings.sms_url
        else LogSender()
    )
    webhook: Sender = (
        WebhookSender(http, settings.records_webhook_url, settings.records_webhook_secret)
        if settings.records_webhook_url
        else LogSender()
    )
    return {"email": email, "sms": sms, "webhook": webhook}


async def notifications_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    notifier = BookingNotifier(
        settings.base_url,
        settings.reminder_minutes,
        app[person_hasher_key],
        staff_language=settings.default_language,
    )
    app[notifier_key] = notifier
    app[booking_listener_key] = notifier
    app[outbox_retention_key] = OutboxRetention(
        app[sessions_key],
        settings.outbox_retention_days,
        failed_retention_days=settings.booking_retention_days,
    )
    app[person_messages_key] = PersonMessages(app[sessions_key], AuditLog(app[sessions_key]))
    async with aiohttp.ClientSession() as http:
        senders = senders_for(settings, http)
        sender = OutboxSender(app[sessions_key], senders)
        app[outbox_sender_key] = sender

        async def drain() -> None:
            # Batches of 100 until a batch is not full, within one tick: a burst of bookings
            # goes out in seconds, not at 100 messages per tick.
            deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
            while True:
                result = await sender.drain(DRAIN_BATCH)
                if result != DrainResult():
                    log.info("outbox drained", extra=dataclasses.asdict(result))
                handled = result.sent + result.retried + result.failed + result.expired
                if handled < DRAIN_BATCH or asyncio.get_running_loop().time() > deadline:
                    return

        jobs = LeaderJobs(drain, DRAIN_SECONDS)
        jobs.every(
            "concern-report-retention",
            lambda: purge_expired_reports(app),
            period=timedelta(hours=REPORT_RETENTION_HOURS),
            first_in=timedelta(minutes=1),
        )
        jobs.every(
            "personal-data-retention",
            lambda: run_retention_tasks(app),
            period=timedelta(hours=RETENTION_HOURS),
            first_in=timedelta(minutes=2),
        )
        app[leader_jobs_key] = jobs

        async def lead() -> None:
            jobs.start()

        async def step_down() -> None:
            jobs.stop()
            # Stopping cancels a job already running, but not the drain it started (see
            # OutboxSender.drain): let that finish before the database engine goes away.
            await sender.idle()

        leadership = Leadership(app[engine_key], on_gain=lead, on_loss=step_down)
        app[leadership_key] = leadership
        leadership.start()
        yield
        await leadership.stop()
        if isinstance(senders["email"], SmtpSender):
            await senders["email"].close()


async def scheduler_health(app: web.Application) -> dict[str, Any]:
    """For /healthz: the leader's scheduler, and how long the oldest due message has waited."""
    jobs = app.get(leader_jobs_key)
    waited = await app[outbox_sender_key].oldest_due_seconds()
    state = jobs.state if jobs is not None else "standby"
    return {"scheduler": state, "oldest_unsent_seconds": waited, "healthy": state != "stopped"}


# ---- concern reports (reports/): their own retention, run by the leader ------------------------

REPORT_RETENTION_HOURS = 6


async def purge_expired_reports(app: web.Application) -> None:
    """Delete concern reports that led to nothing once their retention period is over."""
    service = app[report_service_key]
    deleted = await service.delete_expired()
    if deleted:
        log.info("concern reports deleted after retention", extra={"count": len(deleted)})
    # Files uploaded for reports that were never sent.
    await service.delete_unsent_files()


# ---- personal data past its time (docs/privacy.md): the daily retention job, run by the leader

RETENTION_HOURS = 24


async def run_retention_tasks(app: web.Application) -> None:
    """Each package's retention task in turn; one that fails leaves the others to run."""
    for name, task in app.get(retention_tasks_key, []):
        try:
            count = await task()
        except Exception:
            log.exception("a retention task failed", extra={"task": name})
            continue
        if count:
            log.info("removed after retention", extra={"task": name, "count": count})


# ---- the admin's view of messages that could not be delivered -------------------------------

pages = web.RouteTableDef()


def masked(recipient: str) -> str:
    """Enough of an address or number to tell messages apart, not enough to read it off."""
    if "@" in recipient:
        name, domain = recipient.split("@", 1)
        return f"{name[:1]}…@{domain}"
    return f"{recipient[:4]}…{recipient[-2:]}"


@pages.get("/admin/messages", name="admin_messages")
async def failed_messages(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    messages = await request.app[outbox_sender_key].failed_messages()
    rows = [
        {
            "id": message.id,
            "kind": message.kind,
            "channel": message.channel,
            "recipient": masked(message.recipient),
            "attempts": message.attempts,
            "last_error": message.last_error or "",
            "created_at": message.created_at,
        }
        for message in messages
    ]
    return render(
        request,
        "admin/messages.html",
        {"messages": rows, "notice": request.query.get("notice", "")},
    )


@pages.post("/admin/messages/{message_id}/retry", name="admin_message_retry")
async def retry_message(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    await request.app[outbox_sender_key].retry(request.match_info["message_id"])
    raise web.HTTPSeeOther("/admin/messages?notice=retried")


def setup(app: web.Application) -> None:
    # Set here rather than in the context: the reports context reads it when the app starts,
    # whichever of the two contexts runs first.
    app[report_listener_key] = ConcernReportNotifier(lambda: app[person_hasher_key])
    listen_to_removals(app, MessagesOfRemovedBookings())
    # Looked up when the job runs: each service is made when the app starts.
    add_retention_task(app, "outbox messages", lambda: app[outbox_retention_key].erase_resolved())
    add_retention_task(app, "bookings", lambda: app[booking_service_key].delete_expired())
    add_retention_task(
        app, "access log entries", lambda: app[access_log_retention_key].delete_expired()
    )
    app.cleanup_ctx.append(notifications_context)
    app[health_checks_key].append(scheduler_health)
    app.router.add_routes(pages)
