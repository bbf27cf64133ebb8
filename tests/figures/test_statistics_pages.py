"""The month's statistics as the admin sees them: counts that match what happened, small
counts hidden, local-time months, the same numbers in the CSV; nobody else may look."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from aiohttp.test_utils import TestClient

from accounts.keys import account_service_key
from core.principal import Role
from tests.booking.conftest import BookingWorld, accounts_set_unit
from tests.conftest import create_user, log_in
from tests.figures.conftest import add_booking, add_report, local

MARCH = "2026-03"  # summer time begins on 29 March in Helsinki


def cell(html: str, label: str) -> str:
    """The value the table shows on the row named ``label`` (its first such row)."""
    match = re.search(
        rf'<th scope="row">{re.escape(label)}</th><td class="numeric">([^<]*)</td>'
        r'<td class="numeric">([^<]*)</td>',
        html,
    )
    assert match, f"no row {label!r}"
    return match.group(1)


def share(html: str, label: str) -> str:
    match = re.search(
        rf'<th scope="row">{re.escape(label)}</th><td class="numeric">[^<]*</td>'
        r'<td class="numeric">([^<]*)</td>',
        html,
    )
    assert match, f"no row {label!r}"
    return match.group(1)


async def march_of_bookings(client: TestClient[Any, Any], world: BookingWorld) -> None:
    """Six video meetings and three phone calls in March, local time; two just outside it."""
    app, maria, kind = client.app, world.maria, world.meeting_type_id
    # 00:30 on 1 March in Helsinki is still February in UTC; 23:30 on 31 March is March in both.
    video_starts = [local(2026, 3, 1, 0, 30), local(2026, 3, 31, 23, 0)]
    video_starts += [local(2026, 3, day) for day in (3, 10, 17, 24)]
    for index, starts in enumerate(video_starts):
        status = "no_show" if index == 0 else "completed"
        await add_booking(app, maria, kind, starts, status=status)
    for day in (4, 11, 30):
        await add_booking(
            app,
            maria,
            kind,
            local(2026, 3, day),
            mode="phone",
            status="cancelled",
            cancelled_by="client",
        )
    # 00:30 on 1 April in Helsinki (summer time) is 31 March in UTC: April's, not March's.
    await add_booking(app, maria, kind, local(2026, 4, 1, 0, 30), mode="phone")
    # 23:30 on 28 February is February's in both.
    await add_booking(app, maria, kind, local(2026, 2, 28, 23, 30), mode="phone")


async def test_month_of_bookings_is_counted_in_local_time_with_small_counts_hidden(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    await march_of_bookings(client, world)
    response = await client.get(
        f"/admin/statistics?unit={world.unit_id}&month={MARCH}",
        headers={"Accept-Language": "en"},
    )
    assert response.status == 200
    html = await response.text()
    assert "March 2026" in html
    assert cell(html, "Video") == "6"
    assert cell(html, "Phone") == "&lt; 5"
    assert cell(html, "In person") == "0"
    assert cell(html, "Follow-up meeting") == "9"
    assert cell(html, "Total") == "9"
    assert cell(html, "Held") == "5"
    assert cell(html, "Not held: the client did not come") == "&lt; 5"
    assert cell(html, "Cancelled by the client") == "&lt; 5"
    # Each section draws its chart with one chart module; a hidden count has no bar.
    assert html.count('role="img"') >= 5
    assert '<title id="bookings-by-mode-title">Bookings by how the meeting is held</title>' in html
    chart = html[html.index('<svg class="chart"', html.index('id="bookings-by-mode"')) :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 1  # Video only; Phone is "< 5" and In person is 0
    assert "&lt; 5" in chart


async def test_csv_has_the_same_numbers_and_the_same_rule(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    await march_of_bookings(client, world)
    response = await client.get(
        f"/admin/statistics.csv?unit={world.unit_id}&month={MARCH}",
        headers={"Accept-Language": "en"},
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Section", "Figure", "Value", "Share"]
    values = {(row[1], row[2]): row[3] for row in rows[1:]}
    mode = "Bookings by how the meeting is held"
    assert values[(mode, "Video")] == "6"
    assert values[(mode, "Phone")] == "< 5"
    assert values[(mode, "Total")] == "9"
    assert values[("What became of the bookings", "Held")] == "5"
    assert all(row[0] == MARCH for row in rows[1:])


async def test_a_unit_counts_only_its_own_caseworkers_bookings(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    await march_of_bookings(client, world)
    accounts = client.app[account_service_key]
    municipality = await accounts.organisation.ensure_municipality("Testikunta")
    other_unit = await accounts.organisation.ensure_unit(
        municipality, name_fi="Aikuissosiaalityö", name_sv="Vuxensocialarbete", name_en="Adults"
    )
    other = await create_user(client.app, Role.CASEWORKER, "other@example.com")
    await accounts_set_unit(client, other, other_unit)
    for day in (5, 6):
        await add_booking(client.app, other, world.meeting_type_id, local(2026, 3, day))

    async def video(query: str) -> str:
        response = await client.get(
            f"/admin/statistics?month={MARCH}{query}", headers={"Accept-Language": "en"}
        )
        return cell(await response.text(), "Video")

    assert await video(f"&unit={world.unit_id}") == "6"
    assert await video(f"&unit={other_unit}") == "&lt; 5"
    assert await video("") == "8"  # every unit
    response = await client.get(
        f"/admin/statistics?month={MARCH}&unit=no-such-unit", headers={"Accept-Language": "en"}
    )
    assert response.status == 422


async def test_concern_report_figures_of_a_month_and_its_year(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    app = client.app
    monday = local(2026, 3, 9)
    # Seven reports on 9 March: assessed the next day (one a day late), six decided.
    for index in range(7):
        await add_report(
            app,
            monday,
            reporter_kind="private" if index == 6 else "professional",
            assessed=local(2026, 3, 11 if index == 0 else 10),
            # Three working days, the last one nine (and late: the deadline is 18 March).
            decided=None if index == 6 else local(2026, 3, 20 if index == 0 else 12),
            child=f"child-{index % 3}",
        )
    await add_report(app, local(2026, 1, 15), child="child-9")  # the same year, not the month
    await add_report(app, local(2026, 4, 1, 0, 30))  # April in local time: the year's only
    response = await client.get(
        f"/admin/statistics?month={MARCH}", headers={"Accept-Language": "en"}
    )
    html = await response.text()
    assert cell(html, "Reported by a professional") == "6"
    assert cell(html, "Reported by a private person") == "&lt; 5"
    assert cell(html, "Protection assessments made") == "7"
    assert cell(html, "Protection assessments made on time") == "6"
    assert share(html, "Protection assessments made on time") == "86%"
    assert cell(html, "Decisions made") == "6"
    assert cell(html, "Decisions made on time") == "5"
    assert share(html, "Decisions made on time") == "71%"
    assert cell(html, "Median working days from receipt to decision") == "3"
    assert cell(html, "Concern reports received in the year") == "9"
    assert cell(html, "Distinct children reported in the year") == "&lt; 5"


async def test_page_is_in_finnish_and_swedish(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    for language, title in (("fi", "Tilastot"), ("sv", "Statistik")):
        response = await client.get(
            f"/admin/statistics?month={MARCH}", headers={"Accept-Language": language}
        )
        assert response.status == 200
        assert f"<h1>{title}" in await response.text()


async def test_a_month_that_is_no_month_is_refused_with_a_message(
    client: TestClient[Any, Any], admin: str
) -> None:
    response = await client.get(
        "/admin/statistics?month=2026-13", headers={"Accept-Language": "en"}
    )
    assert response.status == 422
    assert "Enter the month as year and month" in await response.text()


async def test_caseworker_and_anonymous_may_not_see_statistics(
    client: TestClient[Any, Any],
) -> None:
    for path in ("/admin/statistics", "/admin/statistics.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/login")
    await create_user(client.app, Role.CASEWORKER, "case@example.com")
    await log_in(client, "case@example.com")
    for path in ("/admin/statistics", "/admin/statistics.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 403
