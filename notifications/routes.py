"""Wiring notifications into the app: the listeners of bookings and concern reports, and the
leader's outbox sender.

The instance holding the scheduler lock (core.leadership) runs an APScheduler AsyncIOScheduler
whose jobs live in the project's database on PostgreSQL (SQLAlchemy job store, table
``apscheduler_jobs``) and in memory on SQLite (see ``job_store``);
its one job drains the outbox every few seconds. The reminders themselves are outbox rows (see
notifications/service.py), so they need no job of their own and survive restarts with the data.
Two more jobs delete personal data past its time: concern reports' own retention, and the daily
retention job that runs each package's task (``add_retention_task``; docs/privacy.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url

from accounts.keys import staff_page
from audit.keys import access_log_retention_key
from audit.service import AuditLog
from booking.keys import booking_listener_key, booking_service_key, listen_to_removals
from core.app_keys import engine_key, person_hasher_key, sessions_key, settings_key
from core.leadership import Leadership
from core.principal import Role
from core.settings import Settings
from core.templating import render
from notifications.concern_reports import ConcernReportNotifier
from notifications.keys import (
    add_retention_task,
    leadership_key,
    notifier_key,
    outbox_retention_key,
    outbox_sender_key,
    person_messages_key,
    retention_tasks_key,
)
from notifications.outbox import DrainResult, OutboxSender
from notifications.person_data import PersonMessages
from notifications.retention import MessagesOfRemovedBookings, OutboxRetention
from notifications.senders import HttpSmsSender, LogSender, Sender, SmtpSender, WebhookSender
from notifications.service import BookingNotifier
from reports.keys import report_listener_key, report_service_key

log = logging.getLogger("kohtaamo.notifications")

DRAIN_SECONDS = 5
DRAIN_BATCH = 100


def sync_database_url(database_url: str) -> str:
    """The same database for APScheduler's job store, which speaks synchronous SQLAlchemy."""
    url = make_url(database_url)
    driver = "sqlite" if url.drivername.startswith("sqlite") else "postgresql+psycopg"
    return url.set(drivername=driver).render_as_string(hide_password=False)


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


def job_store(settings: Settings) -> BaseJobStore:
    """The scheduler's jobs in PostgreSQL, shared by the instances; in memory on SQLite.

    APScheduler reads its job store synchronously on the event loop. On SQLite that read waits
    for the database's single write lock (a burst of bookings or meeting events holds it), which
    froze the loop for seconds and then failed inside the scheduler's timer, after which it never
    woke again. SQLite serves one instance, and the drain job is added again at every start, so
    memory loses nothing there.
    """
    if settings.is_sqlite:
        return MemoryJobStore()
    return SQLAlchemyJobStore(url=sync_database_url(settings.database_url))


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
        sender = OutboxSender(app[sessions_key], senders_for(settings, http))
        app[outbox_sender_key] = sender
        scheduler: AsyncIOScheduler | None = None

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

        async def lead() -> None:
            nonlocal scheduler
            scheduler = AsyncIOScheduler(jobstores={"default": job_store(settings)}, timezone="UTC")
            scheduler.start()
            scheduler.add_job(
                "notifications.routes:drain_job",
                "interval",
                seconds=DRAIN_SECONDS,
                id="outbox-drain",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                # At once: what came due while no instance was leading goes out now. As a job,
                # not awaited here, so stopping never cancels a drain halfway (see step_down).
                next_run_time=datetime.now(UTC),
                kwargs={"database_url": settings.database_url},
            )
            _drainers[settings.database_url] = drain
            add_report_retention_job(app, scheduler)
            add_retention_job(app, scheduler)

        async def step_down() -> None:
            nonlocal scheduler
            _drainers.pop(settings.database_url, None)
            _report_retention.pop(settings.database_url, None)
            _retention.pop(settings.database_url, None)
            if scheduler is not None:
                scheduler.shutdown(wait=False)
                scheduler = None
            # shutdown() cancels a job already running, but not the drain it started (see
            # OutboxSender.drain): let that finish before the database engine goes away.
            await sender.idle()

        leadership = Leadership(app[engine_key], on_gain=lead, on_loss=step_down)
        app[leadership_key] = leadership
        leadership.start()
        yield
        await leadership.stop()


# APScheduler stores a job by the textual name of its function, so the job finds the running
# app's drain here, by database. Only the leader registers one.
_drainers: dict[str, Callable[[], Awaitable[None]]] = {}


async def drain_job(database_url: str) -> None:
    drain = _drainers.get(database_url)
    if drain is not None:
        await drain()


# ---- concern reports (reports/): the retention job, run by the leader --------------------------

REPORT_RETENTION_HOURS = 6
_report_retention: dict[str, Callable[[], Awaitable[None]]] = {}


def add_report_retention_job(app: web.Application, scheduler: AsyncIOScheduler) -> None:
    """Delete concern reports that led to nothing once their retention period is over."""
    database_url = app[settings_key].database_url

    async def purge() -> None:
        service = app[report_service_key]
        deleted = await service.delete_expired()
        if deleted:
            log.info("concern reports deleted after retention", extra={"count": len(deleted)})
        # Files uploaded for reports that were never sent.
        await service.delete_unsent_files()

    _report_retention[database_url] = purge
    _schedule_on_leader(
        scheduler,
        "notifications.routes:report_retention_job",
        "concern-report-retention",
        database_url,
        hours=REPORT_RETENTION_HOURS,
        first_in=timedelta(minutes=1),
    )


def _schedule_on_leader(
    scheduler: AsyncIOScheduler,
    job: str,
    job_id: str,
    database_url: str,
    *,
    hours: int,
    first_in: timedelta,
) -> None:
    """A periodic job of the leader's, named by its module path (the job store keeps names)."""
    scheduler.add_job(
        job,
        "interval",
        hours=hours,
        id=job_id,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # Soon after an instance starts leading, so that frequent restarts never skip it.
        next_run_time=datetime.now(UTC) + first_in,
        kwargs={"database_url": database_url},
    )


async def report_retention_job(database_url: str) -> None:
    purge = _report_retention.get(database_url)
    if purge is not None:
        await purge()


# ---- personal data past its time (docs/privacy.md): the daily retention job, run by the leader

RETENTION_HOURS = 24
_retention: dict[str, Callable[[], Awaitable[None]]] = {}


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


def add_retention_job(app: web.Application, scheduler: AsyncIOScheduler) -> None:
    database_url = app[settings_key].database_url

    async def purge() -> None:
        await run_retention_tasks(app)

    _retention[database_url] = purge
    _schedule_on_leader(
        scheduler,
        "notifications.routes:retention_job",
        "personal-data-retention",
        database_url,
        hours=RETENTION_HOURS,
        first_in=timedelta(minutes=2),
    )


async def retention_job(database_url: str) -> None:
    purge = _retention.get(database_url)
    if purge is not None:
        await purge()


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
    app.router.add_routes(pages)
