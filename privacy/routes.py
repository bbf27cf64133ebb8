"""The person's-rights API for admins: find and export a person's data, erase it on request.

Registered by ``setup(app)`` (server.create_app), which also makes the service when the app
starts; the admin's pages are in privacy/pages.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import account_service_key, current_viewer
from assessments.keys import assessment_service_key
from audit.service import AuditLog
from booking.keys import booking_service_key
from consents.keys import consent_service_key
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import person_hasher_key, sessions_key
from core.principal import Role
from documents.keys import document_service_key
from messaging.keys import messaging_service_key
from notifications.keys import person_messages_key
from privacy.client_records import IdentifiedClientRecords
from privacy.keys import personal_data_service_key
from privacy.schemas import ErasureIn, ErasureOut, PersonalDataOut, PersonQueryIn
from privacy.service import PersonalDataService, PersonQuery
from publicinfo.keys import accessibility_feedback_key
from reports.keys import report_service_key
from video.keys import meeting_service_key

api = ApiRoutes("privacy")
ADMIN_SESSION = ("session",)


async def privacy_context(app: web.Application) -> AsyncIterator[None]:
    app[personal_data_service_key] = PersonalDataService(
        app[person_hasher_key],
        app[account_service_key],
        AuditLog(app[sessions_key]),
        app[booking_service_key],
        app[assessment_service_key],
        app[meeting_service_key],
        app[person_messages_key],
        app[report_service_key],
        client_records(app),
        feedback=app[accessibility_feedback_key],
    )
    yield


def client_records(app: web.Application) -> IdentifiedClientRecords | None:
    """Only with identification on do those features exist."""
    if messaging_service_key not in app:
        return None
    return IdentifiedClientRecords(
        app[messaging_service_key], app[document_service_key], app[consent_service_key]
    )


def person_query(body: PersonQueryIn) -> PersonQuery:
    return PersonQuery(body.email, body.phone, body.identity_code)


@api.post(
    "/api/v1/personal-data/search",
    summary="Everything held about one person, by email, phone or identity code (admins)",
    body=PersonQueryIn,
    response=PersonalDataOut,
    auth=ADMIN_SESSION,
    errors=(403,),
)
async def api_personal_data(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.ADMIN)
    body = await parse_body(request, PersonQueryIn)
    found = await request.app[personal_data_service_key].export(viewer, person_query(body))
    return json_response(PersonalDataOut.model_validate(found.as_json()))


@api.post(
    "/api/v1/personal-data/erasure",
    summary="Erase a person's past bookings and sent messages, with the reason (admins)",
    body=ErasureIn,
    response=ErasureOut,
    auth=ADMIN_SESSION,
    errors=(403,),
)
async def api_erase_personal_data(request: web.Request) -> web.Response:
    viewer = current_viewer(request, Role.ADMIN)
    body = await parse_body(request, ErasureIn)
    erasure = await request.app[personal_data_service_key].erase(
        viewer, person_query(body), body.reason
    )
    return json_response(ErasureOut(**dataclasses.asdict(erasure)))


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(privacy_context)
    app.router.add_routes(api.table)
