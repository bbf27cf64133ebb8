"""The statistics page and its CSV: the month's figures of one unit (or every unit).

Thin handlers: read the month and unit from the address, ask the figure service (which checks
the role), build the sections (figures/sections.py) and render them, each with its chart and
table, or write them as one CSV. No access log line: nothing here is about a person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from aiohttp import web
from babel.dates import format_date

from accounts.keys import account_service_key, staff_page
from booking.keys import booking_service_key
from calendars.keys import calendar_service_key
from core.app_keys import settings_key
from core.db import utcnow
from core.errors import ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer
from core.request_keys import language_key
from core.templating import render, translate
from figures.chart import bar_chart
from figures.sections import Section, sections
from figures.service import FigureService, Month, MonthFigures
from reports.keys import report_service_key

pages = web.RouteTableDef()

CSV_HEADERS = (N_("Month"), N_("Section"), N_("Figure"), N_("Value"), N_("Share"))
CHART_DESCRIPTION = N_("The same numbers are in the table beside the chart.")


def figure_service(request: web.Request) -> FigureService:
    app = request.app
    return FigureService(
        app[account_service_key],
        app[calendar_service_key],
        app[booking_service_key],
        app[report_service_key],
        app[settings_key].zone,
    )


async def _figures(request: web.Request, viewer: Viewer) -> MonthFigures:
    service = figure_service(request)
    text = request.query.get("month", "")
    month = Month.parse(text) if text else service.this_month(utcnow())
    unit_id = request.query.get("unit") or None
    return await service.month(viewer, month, unit_id)


def _sections(request: web.Request, figures: MonthFigures) -> list[Section]:
    gettext: Callable[[str], str] = lambda message: translate(request, message)  # noqa: E731
    return sections(figures, gettext, request[language_key])


@pages.get("/admin/statistics", name="admin_statistics")
async def statistics_page(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    units = await request.app[account_service_key].organisation.units()
    try:
        figures = await _figures(request, viewer)
    except ValidationFailed as invalid:
        context = {
            "units": units,
            "errors": invalid.fields,
            "month": request.query.get("month", "")[:20],
            "month_name": "",
            "unit_id": request.query.get("unit", ""),
            "sections": [],
        }
        return render(request, "figures/statistics.html", context, status=422)
    shown = _sections(request, figures)
    description = translate(request, CHART_DESCRIPTION)
    charts = {
        section.key: bar_chart(section.key, section.title, description, section.bars())
        for section in shown
        if section.bars()
    }
    context = {
        "units": units,
        "errors": {},
        "month": str(figures.month),
        "month_name": format_date(
            figures.month.first_day(), "LLLL y", locale=request[language_key]
        ),
        "unit_id": figures.unit_id or "",
        "sections": shown,
        "charts": charts,
        "previous": str(figures.month.previous()),
        "next": str(figures.month.next()),
    }
    return render(request, "figures/statistics.html", context)


@pages.get("/admin/statistics.csv", name="admin_statistics_csv")
async def statistics_csv(request: web.Request) -> web.Response:
    """Every section of the page in one file: the same numbers, "< 5" and all."""
    viewer = staff_page(request, Role.ADMIN)
    figures = await _figures(request, viewer)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(request, header) for header in CSV_HEADERS])
    for section in _sections(request, figures):
        for line in section.lines:
            writer.writerow([str(figures.month), section.title, line.label, line.value, line.share])
    return web.Response(
        body=out.getvalue().encode("utf-8-sig"),  # the mark lets spreadsheet programs read UTF-8
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="kohtaamo-statistics-{figures.month}.csv"',
            "Cache-Control": "no-store",
        },
    )


def setup(app: web.Application) -> None:
    app.router.add_routes(pages)
