"""The publicinfo package's setup: its services, its JSON API and its retention job (the pages set up their own
routes: publicinfo/pages.py, lost_link_pages.py, admin_pages.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from booking.keys import booking_service_key, limit_public
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import catalogs_key, person_hasher_key, sessions_key, settings_key
from core.i18n import N_
from core.request_keys import language_key
from core.templating import translate
from notifications.keys import add_retention_task
from publicinfo.feedback import AccessibilityFeedbackQueue
from publicinfo.keys import (
    accessibility_feedback_key,
    lost_link_requests_key,
    service_information_key,
)
from publicinfo.lost_links import LostLinkRequests
from publicinfo.schemas import FeedbackIn, FeedbackOut, LostLinkIn, LostLinkOut
from publicinfo.service import ServiceInformation

api = ApiRoutes("service information")
LINKS_ON_THEIR_WAY = N_(
    "If there are upcoming bookings made with what you gave, new links to them are on their way "
    "there. They can take a few minutes to arrive."
)


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


@api.post(
    "/api/v1/accessibility-feedback",
    summary="Send accessibility feedback (no account; contact details only for an answer)",
    body=FeedbackIn,
    response=FeedbackOut,
    status=201,
    errors=(429,),
)
async def api_feedback(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, FeedbackIn)
    queue = request.app[accessibility_feedback_key]
    await queue.submit(
        message=body.message,
        page=body.page,
        name=body.name,
        contact=body.contact,
        language=request[language_key],
    )
    return json_response(FeedbackOut(answer_days=queue.answer_days), status=201)


@api.post(
    "/api/v1/lost-links",
    summary="Send new manage links of the upcoming bookings made with an email address or "
    "phone number, by that channel; the same answer whatever is found",
    body=LostLinkIn,
    response=LostLinkOut,
    status=202,
    errors=(429,),
)
async def api_lost_links(request: web.Request) -> web.Response:
    await limit_public(request)
    body = await parse_body(request, LostLinkIn)
    await request.app[lost_link_requests_key].request(body.contact, request[language_key])
    return json_response(LostLinkOut(detail=translate(request, LINKS_ON_THEIR_WAY)), status=202)


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(publicinfo_context)
    app.router.add_routes(api.table)
    add_retention_task(app, "accessibility feedback", lambda: _delete_answered_feedback(app))
