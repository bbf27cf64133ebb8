"""My pages' API for an identified client (the ``kohtaamo_client`` session cookie): their own
bookings and who has read their data, for a municipality's own front end or app. Registered by
``setup(app)`` (server.create_app) only when identification is on; the pages are in
mypages/pages.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import account_service_key
from assessments.keys import assessment_service_key
from audit.service import AuditLog
from booking.keys import booking_service_key
from booking.person_data import OwnBooking
from booking.schemas import booking_out
from core.api import ApiRoutes, json_response
from core.app_keys import sessions_key
from core.request_keys import language_key
from core.templating import translate
from documents.keys import document_service_key
from identification.keys import providers_key
from messaging.keys import messaging_service_key
from mypages.keys import identified_person, my_pages_service_key
from mypages.labels import read_name
from mypages.schemas import (
    OwnBookingOut,
    OwnBookingsOut,
    QuestionnaireOut,
    QuestionnairesOut,
    StaffReadOut,
    StaffReadsOut,
)
from mypages.service import MyPagesService, StaffRead

api = ApiRoutes("my pages")
CLIENT_SESSION = ("clientSession",)


async def my_pages_context(app: web.Application) -> AsyncIterator[None]:
    app[my_pages_service_key] = MyPagesService(
        app[booking_service_key],
        AuditLog(app[sessions_key]),
        app[account_service_key],
        app[messaging_service_key],
        app[document_service_key],
        app[assessment_service_key],
    )
    yield


def own_booking_out(item: OwnBooking, language: str) -> OwnBookingOut:
    return OwnBookingOut(booking=booking_out(item.booking, language), link_token=item.token)


def staff_read_out(request: web.Request, read: StaffRead) -> StaffReadOut:
    language = request[language_key]
    return StaffReadOut(
        at=read.at,
        action=read.action,
        what=translate(request, read_name(read.action)),
        item=f"{read.subject_type} {read.subject_id}",
        role=read.role.value if read.role else None,
        unit=read.unit.name_in(language) if read.unit else None,
    )


@api.get(
    "/api/v1/my/assessments",
    summary="The questionnaires the identified client has answered, each result over time",
    response=QuestionnairesOut,
    auth=CLIENT_SESSION,
    errors=(401,),
)
async def api_own_questionnaires(request: web.Request) -> web.Response:
    person = await identified_person(request, page=False)
    answered = await request.app[my_pages_service_key].questionnaires(person)
    language = request[language_key]
    return json_response(
        QuestionnairesOut(questionnaires=[QuestionnaireOut.of(a, language) for a in answered])
    )


@api.get(
    "/api/v1/my/bookings",
    summary="The identified client's own bookings, upcoming and past",
    response=OwnBookingsOut,
    auth=CLIENT_SESSION,
    errors=(401,),
)
async def api_own_bookings(request: web.Request) -> web.Response:
    person = await identified_person(request, page=False)
    overview = await request.app[my_pages_service_key].overview(person)
    language = request[language_key]
    return json_response(
        OwnBookingsOut(
            upcoming=[own_booking_out(item, language) for item in overview.upcoming],
            past=[own_booking_out(item, language) for item in overview.past],
        )
    )


@api.get(
    "/api/v1/my/access-log",
    summary="Who has read the identified client's data (staff reads, newest first)",
    response=StaffReadsOut,
    auth=CLIENT_SESSION,
    errors=(401,),
)
async def api_access_log(request: web.Request) -> web.Response:
    person = await identified_person(request, page=False)
    reads = await request.app[my_pages_service_key].reads(person)
    return json_response(StaffReadsOut(reads=[staff_read_out(request, r) for r in reads]))


def setup(app: web.Application) -> None:
    if not app.get(providers_key):
        return
    app.cleanup_ctx.append(my_pages_context)
    app.router.add_routes(api.table)
