"""The caseworker's calendar imports page: upload an .ics file, add an .ics address fetched
again on a schedule, or remove an imported calendar. Its busy times block bookings."""

from __future__ import annotations

import asyncio

from aiohttp import web

from accounts.keys import staff_page
from calendars.base_pages import caseworker_times, notice_of, redirect_to
from calendars.ics_import import MAX_ICS_BYTES, TOO_LARGE
from calendars.keys import calendar_service_key
from calendars.page_forms import Errors, field_text, first_message
from core.app_keys import cpu_executor_key
from core.errors import ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer
from core.templating import render

pages = web.RouteTableDef()

NOTICES = {
    "file-imported": N_("The calendar file was imported."),
    "url-imported": N_("The calendar address was added and imported."),
    "import-removed": N_("The imported calendar was removed."),
}


async def _imports_page(
    request: web.Request,
    viewer: Viewer,
    values: dict[str, str],
    errors: Errors,
    status: int = 200,
) -> web.Response:
    context = {
        "times": await caseworker_times(request, viewer),
        "imports": await request.app[calendar_service_key].imports(viewer, viewer.user_id),
        "values": values,
        "errors": errors,
        "notice": notice_of(request, NOTICES) if status == 200 else None,
    }
    return render(request, "calendars/imports.html", context, status=status)


@pages.get("/caseworker/calendar/imports", name="calendar_imports")
async def imports_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    return await _imports_page(request, viewer, {}, {})


@pages.post("/caseworker/calendar/imports/file", name="calendar_import_file")
async def import_file(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    # The CSRF check has read the whole form already (within the app's client_max_size).
    form = await request.post()
    upload = form.get("ics")
    if not isinstance(upload, web.FileField):
        errors = {"ics": N_("Choose a calendar file (.ics) to upload.")}
        return await _imports_page(request, viewer, {}, errors, status=422)
    try:
        data = await asyncio.get_running_loop().run_in_executor(
            request.app[cpu_executor_key], upload.file.read, MAX_ICS_BYTES + 1
        )
    finally:
        upload.file.close()
    if len(data) > MAX_ICS_BYTES:
        return await _imports_page(request, viewer, {}, {"ics": TOO_LARGE}, status=422)
    try:
        await request.app[calendar_service_key].import_file(viewer, viewer.user_id, data)
    except ValidationFailed as error:
        return await _imports_page(request, viewer, {}, error.fields, status=422)
    raise redirect_to(request, "calendar_imports", "file-imported")


@pages.post("/caseworker/calendar/imports/address", name="calendar_import_url")
async def importurl_of(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    form = await request.post()
    url = field_text(form, "url")
    try:
        await request.app[calendar_service_key].add_url_import(viewer, viewer.user_id, url)
    except ValidationFailed as error:
        errors = {"url": first_message(error)}
        return await _imports_page(request, viewer, {"url": url}, errors, status=422)
    raise redirect_to(request, "calendar_imports", "url-imported")


@pages.post("/caseworker/calendar/imports/{import_id}/remove", name="calendar_import_remove")
async def import_remove(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER)
    await request.app[calendar_service_key].remove_import(
        viewer, viewer.user_id, request.match_info["import_id"]
    )
    raise redirect_to(request, "calendar_imports", "import-removed")
