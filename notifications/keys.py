"""The notifications package's app keys."""

from __future__ import annotations

from aiohttp import web

from core.leadership import Leadership
from notifications.leader_jobs import LeaderJobs
from notifications.outbox import OutboxSender
from notifications.person_data import PersonMessages
from notifications.retention import OutboxRetention, RetentionTask
from notifications.service import BookingNotifier

notifier_key = web.AppKey("booking_notifier", BookingNotifier)
outbox_sender_key = web.AppKey("outbox_sender", OutboxSender)
leadership_key = web.AppKey("leadership", Leadership)
# The leader's periodic work (notifications/leader_jobs.py): running only on the leader.
leader_jobs_key = web.AppKey("leader_jobs", LeaderJobs)
outbox_retention_key = web.AppKey("outbox_retention", OutboxRetention)
person_messages_key = web.AppKey("person_messages", PersonMessages)
# The leader's daily retention job runs each of these in turn (notifications/routes.py).
retention_tasks_key = web.AppKey("retention_tasks", list[tuple[str, RetentionTask]])


def add_retention_task(app: web.Application, name: str, task: RetentionTask) -> None:
    """Have the leader run ``task`` daily (and soon after it starts leading); ``name`` says
    what it removes, in the job's log line. Called from a package's ``setup``."""
    app.setdefault(retention_tasks_key, []).append((name, task))
