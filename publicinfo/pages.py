"""The public service information pages (contact and help, privacy notices, the accessibility
statement and its feedback form, cookies), linked from every page's footer. No JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from babel.dates import format_date

from accounts.keys import account_service_key
from booking.keys import limit_public
from core.errors import ValidationFailed
from core.request_keys import language_key
from core.templating import render
from publicinfo.keys import accessibility_feedback_key, service_information_key
from publicinfo.texts import CONFORMANCE, COOKIES, PROCESSINGS

pages = web.RouteTableDef()
FEEDBACK_FIELDS = ("message", "page", "name", "contact")


async def _page_context(request: web.Request, page: str) -> dict[str, Any]:
    language = request[language_key]
    text = await request.app[service_information_key].page(page, language)
    return {"text": text, "kind": text.kind}


@pages.get("/contact", name="contact_page")
async def contact(request: web.Request) -> web.Response:
    context = await _page_context(request, "contact")
    # The units and their phones, as the admin keeps them on the units' page.
    units = await request.app[account_service_key].organisation.units()
    language = request[language_key]
    context["units"] = sorted(
        ((unit.name_in(language), unit.phone) for unit in units), key=lambda unit: unit[0]
    )
    return render(request, "publicinfo/contact.html", context)


@pages.get("/privacy", name="privacy_notices")
async def privacy_notices(request: web.Request) -> web.Response:
    return render(request, "publicinfo/privacy_list.html", {"processings": PROCESSINGS})


@pages.get("/privacy/{processing:[a-z]+}", name="privacy_notice")
async def privacy_notice(request: web.Request) -> web.Response:
    processing = request.match_info["processing"]
    context = await _page_context(request, f"privacy.{processing}")
    context["processings"] = PROCESSINGS
    context["processing"] = processing
    return render(request, "publicinfo/privacy.html", context)


@pages.get("/accessibility", name="accessibility_statement")
async def accessibility(request: web.Request) -> web.Response:
    context = await _page_context(request, "accessibility")
    text = context["text"]
    context["status"] = CONFORMANCE.get(text.fields.get("status", ""), CONFORMANCE["partial"])
    context["reviewed"] = _date(request, text.fields.get("reviewed", ""))
    context["answer_days"] = request.app[accessibility_feedback_key].answer_days
    return render(request, "publicinfo/accessibility.html", context)


@pages.get("/cookies", name="cookie_statement")
async def cookies(request: web.Request) -> web.Response:
    context = await _page_context(request, "cookies")
    context["cookies"] = COOKIES
    return render(request, "publicinfo/cookies.html", context)


@pages.get("/accessibility/feedback", name="accessibility_feedback")
async def feedback_form(request: web.Request) -> web.Response:
    return _feedback_form(request, {"page": request.query.get("page", "")[:300]}, {})


@pages.post("/accessibility/feedback")
async def feedback_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    form = await request.post()
    values = {name: str(form.get(name, ""))[:5000] for name in FEEDBACK_FIELDS}
    try:
        await request.app[accessibility_feedback_key].submit(
            message=values["message"],
            page=values["page"],
            name=values["name"],
            contact=values["contact"],
            language=request[language_key],
        )
    except ValidationFailed as invalid:
        return _feedback_form(request, values, invalid.fields, status=422)
    raise web.HTTPSeeOther("/accessibility/feedback/sent")


@pages.get("/accessibility/feedback/sent", name="accessibility_feedback_sent")
async def feedback_sent(request: web.Request) -> web.Response:
    answer_days = request.app[accessibility_feedback_key].answer_days
    return render(request, "publicinfo/feedback_sent.html", {"answer_days": answer_days})


def _feedback_form(
    request: web.Request, values: dict[str, str], errors: dict[str, str], *, status: int = 200
) -> web.Response:
    context = {
        "values": values,
        "errors": errors,
        "answer_days": request.app[accessibility_feedback_key].answer_days,
    }
    return render(request, "publicinfo/feedback.html", context, status=status)


def _date(request: web.Request, value: str) -> str:
    try:
        return format_date(date.fromisoformat(value), "long", locale=request[language_key])
    except ValueError:
        return value


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
