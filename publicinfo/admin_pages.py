"""The admin's pages: the service information in each language, and the accessibility feedback
queue. Work without JavaScript; the service checks the role."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from accounts.keys import staff_page
from core.errors import ValidationFailed
from core.i18n import SUPPORTED_LANGUAGES
from core.principal import Role
from core.templating import render
from publicinfo.keys import accessibility_feedback_key, service_information_key
from publicinfo.texts import CONFORMANCE, page_kinds

pages = web.RouteTableDef()
PAGE = "/admin/service-information/{page:[a-z.]{1,40}}/{language:[a-z]{2}}"


@pages.get("/admin/service-information", name="admin_service_information")
async def page_list(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    edited = await request.app[service_information_key].edited()
    context = {
        "kinds": page_kinds(),
        "languages": SUPPORTED_LANGUAGES,
        "edited": edited,
        "notice": request.query.get("notice", ""),
    }
    return render(request, "publicinfo/admin_list.html", context)


@pages.get(PAGE, name="admin_service_page")
async def page_form(request: web.Request) -> web.Response:
    staff_page(request, Role.ADMIN)
    page, language = request.match_info["page"], request.match_info["language"]
    text = await request.app[service_information_key].page(page, language)
    return _form(request, page, language, text.fields, {})


@pages.post(PAGE)
async def page_submit(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    page, language = request.match_info["page"], request.match_info["language"]
    form = await request.post()
    values = {key: str(value)[:6000] for key, value in form.items() if key != "csrf_token"}
    try:
        await request.app[service_information_key].save(viewer, page, language, values)
    except ValidationFailed as invalid:
        return _form(request, page, language, values, invalid.fields, status=422)
    raise web.HTTPSeeOther("/admin/service-information?notice=saved")


@pages.post(f"{PAGE}/restore", name="admin_service_page_restore")
async def page_restore(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    page, language = request.match_info["page"], request.match_info["language"]
    await request.app[service_information_key].restore_defaults(viewer, page, language)
    raise web.HTTPSeeOther("/admin/service-information?notice=restored")


def _form(
    request: web.Request,
    page: str,
    language: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> web.Response:
    kind = next(kind for kind in page_kinds() if kind.page == page)
    context = {
        "kind": kind,
        "page": page,
        "language": language,
        "values": values,
        "errors": errors,
        "conformance": list(CONFORMANCE.items()),
    }
    return render(request, "publicinfo/admin_form.html", context, status=status)


@pages.get("/admin/accessibility-feedback", name="admin_accessibility_feedback")
async def feedback_queue(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    queue = request.app[accessibility_feedback_key]
    context = {
        "feedback": await queue.queue(viewer),
        "answer_days": queue.answer_days,
        "notice": request.query.get("notice", ""),
    }
    return render(request, "publicinfo/admin_feedback.html", context)


@pages.post(
    "/admin/accessibility-feedback/{feedback_id:[0-9a-f-]{36}}/answered",
    name="admin_accessibility_feedback_answered",
)
async def feedback_answered(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    await request.app[accessibility_feedback_key].mark_answered(
        viewer, request.match_info["feedback_id"]
    )
    raise web.HTTPSeeOther("/admin/accessibility-feedback?notice=answered")


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
