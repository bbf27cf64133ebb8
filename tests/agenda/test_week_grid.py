"""The caseworker's calendar: the week grid with bookings, absences and imported busy times at
their local times, one day's agenda to print, and marking a meeting held or a no-show from the
grid; only the caseworker's own bookings, every read in the access log."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from accounts.service import SYSTEM
from audit.service import AuditLog
from booking.keys import booking_service_key
from calendars.keys import calendar_service_key
from core.app_keys import sessions_key
from core.principal import Role
from tests.accounts.test_login import csrf_token
from tests.calendars.test_pages import (
    EN,
    Office,
    _viewer_of,
    at,
    book,
    helsinki_day,
    make_office,
    small_calendar,
)
from tests.conftest import create_user, log_in

FI = {"Accept-Language": "fi"}


@pytest.fixture
async def office(client: TestClient[Any, Any]) -> Office:
    return await make_office(client.app)


def day_of_grid(html: str, day: date) -> str:
    """The part of the grid that shows one day (up to the next day's column)."""
    start = html.index(f'id="day-{day.isoformat()}"')
    following = html.find('<li class="week-grid__day', start)
    return html[start : following if following != -1 else len(html)]


def entry_of(html: str, booking_id: str) -> str:
    start = html.index(f'id="booking-{booking_id}"')
    return html[start : html.index("</li>", start)]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_grid_shows_a_booking_an_absence_and_a_busy_time_at_local_times(
    client: TestClient[Any, Any], office: Office
) -> None:
    day = helsinki_day(1)
    booking_id = await book(client, office, at(day, 10))
    calendars = client.app[calendar_service_key]
    await calendars.add_absence(
        SYSTEM, office.maria, "training", at(day, 12).astimezone(UTC), at(day, 13).astimezone(UTC)
    )
    await calendars.add_absence(
        SYSTEM,
        office.maria,
        "vacation",
        at(day + timedelta(days=1), 0).astimezone(UTC),
        at(day + timedelta(days=2), 0).astimezone(UTC),
    )
    await calendars.import_file(
        SYSTEM, office.maria, small_calendar(at(day, 14, 30).astimezone(UTC))
    )
    await log_in(client, "maria@example.com")
    response = await client.get(f"/caseworker/week?week={day.isoformat()}", headers=FI)
    assert response.status == 200
    page = await response.text()
    assert "<title>Oma kalenteri – Kohtaamo</title>" in page
    shown = text_of(day_of_grid(page, day))
    assert "10.00–10.45 Liisa Asiakas Seurantatapaaminen · Videoyhteys Vahvistettu" in shown
    assert "12.00–13.00 Poissaolo: Koulutus" in shown
    assert "14.30–15.30 Varattu (tuotu kalenteri)" in shown
    assert shown.index("10.00") < shown.index("12.00") < shown.index("14.30")
    assert "Tiimipalaveri" not in page  # only the times of an imported event are kept
    if (day + timedelta(days=1)).weekday() != 0:  # the next day is in the same week
        assert "Koko päivän Poissaolo: Loma" in text_of(day_of_grid(page, day + timedelta(days=1)))
    assert f'href="/caseworker/bookings/{booking_id}"' in page
    assert "Merkitse pidetyksi" not in page  # the meeting has not started yet
    # The reading of the bookings is in the access log as the caseworker's own agenda.
    entries = await AuditLog(client.app[sessions_key]).entries_for(SYSTEM, "booking", booking_id)
    assert ("booking.list", office.maria) in [(entry.action, entry.user_id) for entry in entries]


async def test_the_grid_shows_times_in_the_caseworkers_own_zone(
    client: TestClient[Any, Any], office: Office
) -> None:
    day = helsinki_day(1)
    await book(client, office, at(day, 10))
    await client.app[calendar_service_key].set_profile(
        SYSTEM, office.maria, time_zone="Europe/Stockholm", languages=("fi", "sv")
    )
    await log_in(client, "maria@example.com")
    page = await (
        await client.get(
            f"/caseworker/week?week={day.isoformat()}", headers={"Accept-Language": "sv"}
        )
    ).text()
    assert "09:00–09:45" in text_of(day_of_grid(page, day))  # 10.00 in Helsinki
    assert "Europe/Stockholm" in page


async def test_the_print_view_lists_the_days_meetings_with_client_type_and_place(
    client: TestClient[Any, Any], office: Office
) -> None:
    day = helsinki_day(2)
    first = await book(client, office, at(day, 9))
    second = await book(client, office, at(day, 13, 15), name="Pekka Asiakas")
    cancelled = await book(client, office, at(day, 11), name="Outi Asiakas")
    maria = await _viewer_of(client, office.maria)
    await client.app[booking_service_key].cancel(maria, "", booking_id=cancelled)
    await log_in(client, "maria@example.com")
    grid = await (await client.get(f"/caseworker/week?week={day.isoformat()}", headers=EN)).text()
    assert f'href="/caseworker/day/{day.isoformat()}/print"' in grid

    response = await client.get(f"/caseworker/day/{day.isoformat()}/print", headers=EN)
    assert response.status == 200
    page = await response.text()
    rows = [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)]
    assert rows == [
        "9:00 AM–9:45 AM Liisa Asiakas Follow-up meeting Video",
        "1:15 PM–2:00 PM Pekka Asiakas Follow-up meeting Video",
    ]
    assert '<th scope="col">Way of meeting and place</th>' in page
    assert "Agenda for " in page and "Maria V" in page
    assert "Outi Asiakas" not in page
    entries = await AuditLog(client.app[sessions_key]).entries_for(SYSTEM, "booking", second)
    assert [entry.action for entry in entries].count("booking.list") == 2  # grid and print
    assert first != second
    assert (await client.get("/caseworker/day/not-a-day/print")).status == 404


async def test_a_meeting_is_marked_held_or_a_no_show_from_the_grid(
    client: TestClient[Any, Any], office: Office
) -> None:
    yesterday = helsinki_day(-1)
    held = await book(client, office, at(yesterday, 10))
    missed = await book(client, office, at(yesterday, 12), name="Pekka Asiakas")
    await log_in(client, "maria@example.com")
    grid = f"/caseworker/week?week={yesterday.isoformat()}"
    page = await (await client.get(grid, headers=EN)).text()
    entry = entry_of(page, held)
    assert "Mark as held" in entry and "Mark as a no-show" in entry
    action = f"/caseworker/week/bookings/{held}/completed"
    assert f'action="{action}"' in entry

    response = await client.post(action, data={"csrf_token": csrf_token(page)}, headers=EN)
    assert response.status == 200
    assert str(response.url).endswith(
        f"?notice=completed&week={yesterday - timedelta(days=yesterday.weekday())}"
    )
    page = await response.text()
    assert "The meeting was marked as held." in page
    entry = entry_of(page, held)
    assert '<strong class="tag tag--green">Held</strong>' in entry
    assert "Mark as held" not in entry and "Mark as a no-show" in entry

    response = await client.post(
        f"/caseworker/week/bookings/{missed}/no-show",
        data={"csrf_token": csrf_token(page)},
        headers=EN,
    )
    page = await response.text()
    assert "The meeting was marked as a no-show." in page
    assert '<strong class="tag tag--grey">No-show</strong>' in entry_of(page, missed)
    maria = await _viewer_of(client, office.maria)
    service = client.app[booking_service_key]
    assert (await service.booking(maria, held)).status == "completed"
    assert (await service.booking(maria, missed)).status == "no_show"


async def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient[Any, Any], office: Office
) -> None:
    held = await book(client, office, at(helsinki_day(-1), 10))
    await log_in(client, "maria@example.com")
    refused = await client.post(f"/caseworker/week/bookings/{held}/completed", data={})
    assert refused.status == 403
    maria = await _viewer_of(client, office.maria)
    assert (await client.app[booking_service_key].booking(maria, held)).status == "confirmed"


async def test_another_caseworkers_booking_is_neither_shown_nor_marked(
    client: TestClient[Any, Any], office: Office
) -> None:
    yesterday = helsinki_day(-1)
    booking_id = await book(client, office, at(yesterday, 10))
    await log_in(client, "johan@example.com")
    page = await (
        await client.get(f"/caseworker/week?week={yesterday.isoformat()}", headers=EN)
    ).text()
    assert booking_id not in page and "Liisa Asiakas" not in page
    refused = await client.post(
        f"/caseworker/week/bookings/{booking_id}/completed",
        data={"csrf_token": csrf_token(page)},
        headers=EN,
    )
    assert refused.status == 404
    printed = await (
        await client.get(f"/caseworker/day/{yesterday.isoformat()}/print", headers=EN)
    ).text()
    assert "Liisa Asiakas" not in printed
    maria = await _viewer_of(client, office.maria)
    assert (await client.app[booking_service_key].booking(maria, booking_id)).status == "confirmed"


async def test_only_caseworkers_have_the_calendar_and_visitors_are_sent_to_log_in(
    client: TestClient[Any, Any], office: Office
) -> None:
    today = datetime.now(UTC).date().isoformat()
    for path in ("/caseworker/week", f"/caseworker/day/{today}/print"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith("/login")
    await create_user(client.app, Role.INTAKE, "intake@example.com", name="Into Intake")
    await log_in(client, "intake@example.com")
    for path in ("/caseworker/week", f"/caseworker/day/{today}/print"):
        assert (await client.get(path)).status == 403


def _last_sunday_of_october(year: int) -> date:
    last = date(year, 10, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


async def test_a_week_ending_on_the_change_to_winter_time_keeps_local_times(
    client: TestClient[Any, Any], office: Office
) -> None:
    change = _last_sunday_of_october(helsinki_day(0).year)
    saturday = change - timedelta(days=1)
    calendars = client.app[calendar_service_key]
    for day in (saturday, change):  # 09.00 is 06.00 UTC in summer time, 07.00 in winter time
        await calendars.add_absence(
            SYSTEM,
            office.maria,
            "training",
            at(day, 9).astimezone(UTC),
            at(day, 10).astimezone(UTC),
        )
    # Through the night of the change: nine hours, not eight.
    await calendars.add_absence(
        SYSTEM,
        office.maria,
        "other",
        at(saturday, 22).astimezone(UTC),
        at(change, 6).astimezone(UTC),
    )
    await log_in(client, "maria@example.com")
    page = await (
        await client.get(f"/caseworker/week?week={change.isoformat()}", headers=FI)
    ).text()
    assert len(re.findall(r'<li class="week-grid__day', page)) == 7
    assert "9.00–10.00 Poissaolo: Koulutus" in text_of(day_of_grid(page, saturday))
    assert "22.00–23.59 Poissaolo: Muu poissaolo" in text_of(day_of_grid(page, saturday))
    sunday = text_of(day_of_grid(page, change))
    assert "0.00–6.00 Poissaolo: Muu poissaolo" in sunday
    assert "9.00–10.00 Poissaolo: Koulutus" in sunday
