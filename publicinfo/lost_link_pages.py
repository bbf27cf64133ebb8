""" "Did you lose your link?": one question, then the same answer whatever was typed (once it is an
email address or a phone number), so the page tells nobody whether a booking exists."""

from __future__ import annotations

from aiohttp import web

from booking.keys import limit_public
from core.errors import ValidationFailed
from core.request_keys import language_key
from core.templating import render
from publicinfo.keys import lost_link_requests_key

pages = web.RouteTableDef()


@pages.get("/lost-link", name="lost_link")
async def lost_link_form(request: web.Request) -> web.Response:
    return render(request, "publicinfo/lost_link.html", {"values": {}, "errors": {}})


@pages.post("/lost-link")
async def lost_link_submit(request: web.Request) -> web.Response:
    await limit_public(request)
    form = await request.post()
    typed = str(form.get("contact", ""))[:200]
    try:
        await request.app[lost_link_requests_key].request(typed, request[language_key])
    except ValidationFailed as invalid:
        context = {"values": {"contact": typed}, "errors": invalid.fields}
        return render(request, "publicinfo/lost_link.html", context, status=422)
    raise web.HTTPSeeOther("/lost-link/sent")


@pages.get("/lost-link/sent", name="lost_link_sent")
async def lost_link_sent(request: web.Request) -> web.Response:
    return render(request, "publicinfo/lost_link_sent.html")


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
