"""My pages for an identified client: their bookings across units (with change, cancel and
join, no secret link needed) and who has read their data, downloadable. Work without
JavaScript; anyone not identified is sent to identify first and brought back."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from assessments.chart import results_chart
from core.i18n import N_
from core.request_keys import language_key
from core.templating import render, translate
from identification.keys import providers_key
from mypages.keys import identified_person, my_pages_service_key
from mypages.labels import read_name

pages = web.RouteTableDef()
ROLE_NAMES = {
    "admin": N_("Administrator"),
    "caseworker": N_("Caseworker"),
    "intake": N_("Intake worker"),
}
CSV_HEADERS = (N_("When"), N_("What"), N_("Role"), N_("Unit"))


@pages.get("/my", name="my_pages")
async def home(request: web.Request) -> web.Response:
    person = await identified_person(request, page=True)
    service = request.app[my_pages_service_key]
    overview = await service.overview(person)
    unread = await service.unread_messages(person)
    context = {"person": person, "overview": overview, "unread": unread}
    return render(request, "mypages/home.html", context)


@pages.get("/my/assessments", name="my_assessments")
async def questionnaires(request: web.Request) -> web.Response:
    person = await identified_person(request, page=True)
    answered = await request.app[my_pages_service_key].questionnaires(person)
    language = request[language_key]
    shown = [
        (
            questionnaire,
            results_chart(
                questionnaire.template,
                language,
                [
                    (booking.start.strftime("%d.%m.%Y"), r.score)
                    for booking, r in questionnaire.results
                ],
            ),
        )
        for questionnaire in answered
    ]
    return render(request, "mypages/assessments.html", {"questionnaires": shown})


@pages.get("/my/access-log", name="my_access_log")
async def access_log(request: web.Request) -> web.Response:
    person = await identified_person(request, page=True)
    reads = await request.app[my_pages_service_key].reads(person)
    context = {"person": person, "reads": reads, "read_name": read_name}
    return render(request, "mypages/access_log.html", context)


@pages.get("/my/access-log.csv", name="my_access_log_csv")
async def access_log_csv(request: web.Request) -> web.Response:
    """The same list as a spreadsheet file, in the reader's language."""
    person = await identified_person(request, page=True)
    reads = await request.app[my_pages_service_key].reads(person)
    language = request[language_key]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(request, header) for header in CSV_HEADERS])
    for read in reads:
        writer.writerow(
            [
                read.at.isoformat(),
                translate(request, read_name(read.action)),
                translate(request, ROLE_NAMES[read.role.value]) if read.role else "",
                read.unit.name_in(language) if read.unit else "",
            ]
        )
    return web.Response(
        body=out.getvalue().encode("utf-8-sig"),  # the mark lets spreadsheet programs read UTF-8
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="kohtaamo-access-log.csv"',
            "Cache-Control": "no-store",
        },
    )


def setup(app: web.Application) -> None:
    if app.get(providers_key):
        app.router.add_routes(pages)
