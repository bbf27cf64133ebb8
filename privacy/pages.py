"""The admin's page for a person's data requests: find, export (JSON or a readable HTML file)
and erase. The identifiers travel in form bodies only (POST), never in an address, so they end
up in no log, history or referrer. Works without JavaScript."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiMapping

from accounts.keys import staff_page
from core.errors import ValidationFailed
from core.i18n import N_
from core.principal import Role
from core.templating import page_context, render
from privacy.keys import personal_data_service_key
from privacy.service import PersonalData, PersonQuery

pages = web.RouteTableDef()

FIELDS = ("email", "phone", "identity_code")
TEMPLATE = "privacy/person.html"


def _query(form: MultiMapping[Any]) -> PersonQuery:
    return PersonQuery(*(str(form.get(name, ""))[:400] for name in FIELDS))


def _values(form: MultiMapping[Any]) -> dict[str, str]:
    return {name: str(form.get(name, ""))[:400] for name in (*FIELDS, "reason")}


@pages.get("/admin/personal-data", name="admin_personal_data")
async def person_form(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    return render(request, TEMPLATE, {"values": {}, "errors": {}, "found": None})


@pages.post("/admin/personal-data", name="admin_personal_data_search")
async def person_search(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    context: dict[str, Any] = {"values": _values(form), "errors": {}, "found": None}
    try:
        context["found"] = await request.app[personal_data_service_key].find(viewer, _query(form))
    except ValidationFailed as error:
        context["errors"] = error.fields
        return render(request, TEMPLATE, context, status=422)
    return render(request, TEMPLATE, context)


@pages.post("/admin/personal-data/export.{format:json|html}", name="admin_personal_data_export")
async def person_export(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    try:
        found = await request.app[personal_data_service_key].export(viewer, _query(form))
    except ValidationFailed as error:
        context = {"values": _values(form), "errors": error.fields, "found": None}
        return render(request, TEMPLATE, context, status=422)
    kind = request.match_info["format"]
    stamp = found.found_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    disposition = {"Content-Disposition": f'attachment; filename="personal-data-{stamp}.{kind}"'}
    if kind == "json":
        body = json.dumps(found.as_json(), ensure_ascii=False, indent=2)
        return web.Response(
            text=body, content_type="application/json", charset="utf-8", headers=disposition
        )
    return _export_page(request, found, disposition)


def _export_page(
    request: web.Request, found: PersonalData, headers: dict[str, str]
) -> web.Response:
    # A file to hand over: it stands alone (its style inside it), so it reads the same offline.
    context = page_context(request)
    context.update({"found": found, "data": found.as_json(), "now": datetime.now(UTC)})
    response = aiohttp_jinja2.render_template("privacy/export.html", request, context)
    response.headers.update(headers)
    response.headers["Content-Language"] = context["lang"]
    return response


@pages.post("/admin/personal-data/erase", name="admin_personal_data_erase")
async def person_erase(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    form = await request.post()
    service = request.app[personal_data_service_key]
    context: dict[str, Any] = {"values": _values(form), "errors": {}, "found": None}
    try:
        if form.get("confirm") != "yes":
            raise ValidationFailed({"confirm": N_("Confirm that the data is to be erased.")})
        context["erasure"] = await service.erase(viewer, _query(form), str(form.get("reason", "")))
    except ValidationFailed as error:
        context["errors"] = error.fields
    # What is left (or, after an error, what would be erased), the form kept as typed.
    with contextlib.suppress(ValidationFailed):
        context["found"] = await service.find(viewer, _query(form))
    return render(request, TEMPLATE, context, status=422 if context["errors"] else 200)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
