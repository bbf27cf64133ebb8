"""Consents' pages: the client's consents on their own pages (give, withdraw, download the log),
and the recipient unit's list of clients whose results it may see. Work without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.keys import account_service_key, staff_page
from consents.keys import consent_service_key
from consents.service import KINDS, RESULTS_TO_UNIT, STAFF_ROLES, ConsentMissing, consent_json
from core.errors import ValidationFailed
from core.http import json_download
from core.request_keys import language_key
from core.templating import render
from identification.keys import identified_client, providers_key
from identification.service import ClientIdentity

pages = web.RouteTableDef()
CONSENT_ID = "{consent_id:[0-9a-f-]{36}}"


@pages.get("/my/consents", name="my_consents")
async def my_consents(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    return await _my_page(request, person, {}, {})


@pages.post("/my/consents")
async def give(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    form = await request.post()
    values = {"unit_id": str(form.get("unit_id", ""))[:36]}
    try:
        await request.app[consent_service_key].give(
            person, RESULTS_TO_UNIT, values["unit_id"], request[language_key]
        )
    except ValidationFailed as error:
        return await _my_page(request, person, values, error.fields, 422)
    raise web.HTTPSeeOther("/my/consents?notice=given")


@pages.post("/my/consents/" + CONSENT_ID + "/withdraw", name="my_consent_withdraw")
async def withdraw(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    await request.app[consent_service_key].withdraw(person, request.match_info["consent_id"])
    raise web.HTTPSeeOther("/my/consents?notice=withdrawn")


@pages.get("/my/consents.json", name="my_consents_json")
async def consent_log(request: web.Request) -> web.Response:
    person = await identified_client(request, page=True)
    found = await request.app[consent_service_key].of_person(person)
    log = [consent_json(consent) for consent in found]
    return json_download({"consents": log}, "kohtaamo-consents.json")


async def _my_page(
    request: web.Request,
    person: ClientIdentity,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    consents = await request.app[consent_service_key].of_person(person)
    units = await request.app[account_service_key].organisation.units()
    language = request[language_key]
    context: dict[str, Any] = {
        "consents": consents,
        "units": units,
        "wording": KINDS[RESULTS_TO_UNIT][language if language in ("fi", "sv", "en") else "fi"],
        "values": values,
        "errors": errors,
        "notice": request.query.get("notice", ""),
    }
    return render(request, "consents/my_consents.html", context, status=status)


@pages.get("/staff/consents", name="staff_consents")
async def unit_consents(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF_ROLES)
    found = await request.app[consent_service_key].shared_with_unit(viewer)
    return render(request, "consents/unit_consents.html", {"consents": found})


@pages.get("/staff/consents/" + CONSENT_ID, name="staff_consent_results")
async def shared_results(request: web.Request) -> web.Response:
    viewer = staff_page(request, *STAFF_ROLES)
    try:
        consent, results = await request.app[consent_service_key].results_under_consent(
            viewer, request.match_info["consent_id"]
        )
    except ConsentMissing as missing:
        return render(request, "consents/withdrawn.html", {"message": missing.title}, status=403)
    context = {"consent": consent, "results": results}
    return render(request, "consents/shared_results.html", context)


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
