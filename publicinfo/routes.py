"""The publicinfo package's setup: its services and its retention job (the pages set up their own
routes: publicinfo/pages.py, lost_link_pages.py, admin_pages.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from booking.keys import booking_service_key
from core.app_keys import catalogs_key, person_hasher_key, sessions_key, settings_key
from notifications.keys import add_retention_task
from publicinfo.feedback import AccessibilityFeedbackQueue
from publicinfo.keys import (
    accessibility_feedback_key,
    lost_link_requests_key,
    service_information_key,
)
from publicinfo.lost_links import LostLinkRequests
from publicinfo.service import ServiceInformation


async def publicinfo_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    sessions = app[sessions_key]
    app[service_information_key] = ServiceInformation(sessions, settings, app[catalogs_key])
    app[accessibility_feedback_key] = AccessibilityFeedbackQueue(sessions, settings)
    app[lost_link_requests_key] = LostLinkRequests(
        sessions,
        settings,
        app[booking_service_key],
        app[person_hasher_key],
        app[catalogs_key],
    )
    yield
    await app[lost_link_requests_key].settled()


async def _delete_answered_feedback(app: web.Application) -> int:
    return await app[accessibility_feedback_key].delete_expired()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(publicinfo_context)
    add_retention_task(app, "accessibility feedback", lambda: _delete_answered_feedback(app))
