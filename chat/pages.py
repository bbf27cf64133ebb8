"""The advice chat's pages: the public list of chats, each chat's own page (its hours, what to do
when it is closed, and the chat itself, which needs JavaScript), and the worker's console."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime

from aiohttp import web
from babel.dates import format_date, get_day_names

from accounts.keys import account_service_key, staff_page
from chat.keys import CHAT_COOKIE, chat_desks_key, chat_services_key
from chat.service import ServiceView
from chat.types import TOPICS
from core.app_keys import settings_key
from core.principal import Role
from core.request_keys import language_key
from core.templating import render, translate
from identification.keys import client_identity

pages = web.RouteTableDef()
# How far ahead the chat's page lists the days with their own hours.
EXCEPTIONS_SHOWN_DAYS = 31
# The crisis lines shown with every chat (the country's own, by jurisdiction).
CRISIS_LINES = {
    "fi": ("Kriisipuhelin", "09 2525 0111"),
    "se": ("Självmordslinjen", "90101"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class ChatState:
    service: ServiceView
    open_now: bool
    on_duty: int
    next_opening: datetime | None

    @property
    def can_start(self) -> bool:
        return self.open_now and self.on_duty > 0


async def _state(request: web.Request, service: ServiceView) -> ChatState:
    services = request.app[chat_services_key]
    on_duty, _ = (await request.app[chat_desks_key].counts()).get(service.info.id, (0, 0))
    return ChatState(service, services.is_open(service), on_duty, services.next_opening(service))


@pages.get("/chat", name="chats")
async def chat_list(request: web.Request) -> web.Response:
    found = [view for view in await request.app[chat_services_key].services() if view.active]
    states = [await _state(request, view) for view in found]
    return render(request, "chat/list.html", {"states": states})


@pages.get("/chat/{slug:[a-z0-9-]{3,60}}", name="chat_page")
async def chat_page(request: web.Request) -> web.Response:
    service = await request.app[chat_services_key].by_slug(request.match_info["slug"])
    state = await _state(request, service)
    identity = await client_identity(request)
    settings = request.app[settings_key]
    language = request[language_key]
    context = {
        "state": state,
        "hours": [
            (get_day_names("wide", locale=language)[day].capitalize(), opens, closes)
            for day, (opens, closes) in sorted(service.hours.weekly.items())
        ],
        "exceptions": [
            (format_date(day, "cccc d.M.yyyy", locale=language).capitalize(), opening)
            for day, opening in service.hours.exceptions_from(
                request.app[chat_services_key].today(), EXCEPTIONS_SHOWN_DAYS
            )
        ],
        "other_help": service.other_help_in(language),
        "identity": identity,
        "crisis": CRISIS_LINES["se" if settings.jurisdiction == "se" else "fi"],
        "booking_url": service.info.booking_url(),
    }
    response = render(request, "chat/chat.html", context)
    if CHAT_COOKIE not in request.cookies:
        response.set_cookie(
            CHAT_COOKIE,
            secrets.token_urlsafe(16),
            httponly=True,
            samesite="Strict",
            secure=settings.secure_cookies,
            path="/",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.get("/staff/chat", name="chat_console")
async def console(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.CASEWORKER, Role.INTAKE)
    unit_id = await request.app[account_service_key].unit_of(viewer, Role.CASEWORKER, Role.INTAKE)
    services = [
        view
        for view in await request.app[chat_services_key].services()
        if view.active and view.info.unit_id in (None, unit_id)
    ]
    language = request[language_key]
    all_services = {
        view.info.id: view.info.name_in(language)
        for view in await request.app[chat_services_key].services()
        if view.active
    }
    context = {
        "services": services,
        "all_services": all_services,
        "topics": [(key, translate(request, label)) for key, label in TOPICS.items()],
        "crisis": CRISIS_LINES["se" if request.app[settings_key].jurisdiction == "se" else "fi"],
    }
    return render(request, "chat/console.html", context)


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
