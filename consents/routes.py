"""The consents API: the identified client gives, withdraws and lists their consents; a worker
of the unit a consent names reads what it allows while it holds. Registered by ``setup(app)``
(server.create_app) only when identification is on."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from accounts.keys import account_service_key, current_viewer
from assessments.keys import assessment_service_key
from booking.keys import booking_service_key
from consents.keys import consent_service_key
from consents.schemas import ConsentIn, ConsentOut, ConsentsOut, CreatedOut, SharedResultsOut
from consents.service import STAFF_ROLES, ConsentService
from core.api import ApiRoutes, json_response, parse_body
from core.app_keys import sessions_key
from core.request_keys import language_key
from identification.keys import identified_client, providers_key

api = ApiRoutes("consents")
CLIENT_SESSION = ("clientSession",)
STAFF_SESSION = ("session",)


async def consents_context(app: web.Application) -> AsyncIterator[None]:
    app[consent_service_key] = ConsentService(
        app[sessions_key],
        app[account_service_key],
        app[booking_service_key],
        app[assessment_service_key],
    )
    yield


@api.get(
    "/api/v1/my/consents",
    summary="The identified client's consents, given and withdrawn (the consent log)",
    response=ConsentsOut,
    auth=CLIENT_SESSION,
)
async def api_my_consents(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    found = await request.app[consent_service_key].of_person(person)
    language = request[language_key]
    return json_response(ConsentsOut(consents=[ConsentOut.of(c, language) for c in found]))


@api.post(
    "/api/v1/my/consents",
    summary="Give a consent (in the words of the request's language)",
    body=ConsentIn,
    response=CreatedOut,
    status=201,
    auth=CLIENT_SESSION,
)
async def api_give(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    body = await parse_body(request, ConsentIn)
    consent_id = await request.app[consent_service_key].give(
        person, body.kind, body.unit_id, request[language_key]
    )
    return json_response(CreatedOut(id=consent_id), status=201)


@api.post(
    "/api/v1/my/consents/{consent_id}/withdraw",
    summary="Withdraw a consent; it stops the next read at once",
    status=204,
    auth=CLIENT_SESSION,
)
async def api_withdraw(request: web.Request) -> web.Response:
    person = await identified_client(request, page=False)
    await request.app[consent_service_key].withdraw(person, request.match_info["consent_id"])
    return web.Response(status=204)


@api.get(
    "/api/v1/consents",
    summary="Consents in force that share clients' results with the viewer's unit",
    response=ConsentsOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_unit_consents(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF_ROLES)
    found = await request.app[consent_service_key].shared_with_unit(viewer)
    language = request[language_key]
    return json_response(
        ConsentsOut(consents=[ConsentOut.of(c, language, for_staff=True) for c in found])
    )


@api.get(
    "/api/v1/consents/{consent_id}/results",
    summary="The client's questionnaire results, while their consent holds",
    response=SharedResultsOut,
    auth=STAFF_SESSION,
    errors=(403,),
)
async def api_shared_results(request: web.Request) -> web.Response:
    viewer = current_viewer(request, *STAFF_ROLES)
    consent, results = await request.app[consent_service_key].results_under_consent(
        viewer, request.match_info["consent_id"]
    )
    language = request[language_key]
    return json_response(
        SharedResultsOut(
            consent=ConsentOut.of(consent, language, for_staff=True),
            results=[result.as_json() for result in results],
        )
    )


def setup(app: web.Application) -> None:
    if not app.get(providers_key):
        return
    app.cleanup_ctx.append(consents_context)
    app.router.add_routes(api.table)
