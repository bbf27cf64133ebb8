"""The client's week of free times: it starts today, moves by seven days, offers the next free
time when the week shown has none, and keeps seven days with their local times across the
change to winter time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from babel.dates import format_date

from accounts.service import SYSTEM
from booking.client_times import start_value
from booking.keys import booking_service_key
from booking.types import BookingRequest, ClientDetails
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeFields
from tests.booking.test_pages import (
    HELSINKI,
    Office,
    answer,
    form_of,
    forms_of,
    open_office,
    send,
    to_check,
    tomorrow_at,
    use_language,
)


@pytest.fixture
async def office(client: TestClient[Any, Any]) -> Office:
    return await open_office(client.app)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _day_headings(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", "", found).split())
        for found in re.findall(r'<h3 class="booking-day__title">(.*?)</h3>', html, re.S)
    ]


def _links(html: str) -> dict[str, str]:
    """Each link's text and address, with the address's HTML entities undone."""
    return {
        " ".join(re.sub(r"<[^>]+>", "", text).split()): href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    }


def _full_day(day: date, language: str) -> str:
    text = format_date(day, "full", locale=language)
    return text[:1].upper() + text[1:]


async def _time_page(client: TestClient[Any, Any], office: Office, meeting_type: str) -> str:
    page = await (await client.get("/book")).text()
    _, page = await answer(client, page, who=f"caseworker:{office.maria}")
    response, page = await answer(client, page, meeting_type_id=meeting_type)
    assert response.status == 200, page
    return page


def _today() -> date:
    return datetime.now(HELSINKI).date()


async def _away(client: TestClient[Any, Any], office: Office, first: date, days: int) -> None:
    """Maria is on holiday ``days`` days from ``first``."""
    await client.app[calendar_service_key].add_absence(
        SYSTEM,
        office.maria,
        "vacation",
        datetime.combine(first, time(0), HELSINKI).astimezone(UTC),
        datetime.combine(first + timedelta(days=days), time(0), HELSINKI).astimezone(UTC),
    )


async def test_the_week_starts_today_and_moves_by_seven_days(
    client: TestClient[Any, Any], office: Office
) -> None:
    await use_language(client, "fi")
    today = _today()
    page = await _time_page(client, office, office.phone_call)
    headings = _day_headings(page)
    assert headings == [_full_day(today + timedelta(days=n), "fi") for n in range(7)]
    links = _links(page)
    assert "Edellinen viikko" not in links  # nothing before today
    later = today + timedelta(days=7)
    assert f"week={later.isoformat()}" in links["Seuraava viikko"]

    page = await (await client.get(links["Seuraava viikko"])).text()
    assert _day_headings(page)[0] == _full_day(later, "fi")
    assert f"week={today.isoformat()}" in _links(page)["Edellinen viikko"]
    # The no-JavaScript form still carries the week it came from, and books from it.
    form = next(form for form in forms_of(page) if ("submitted", "time") in form.fields)
    assert ("week", later.isoformat()) in form.fields


async def test_an_old_monday_link_or_a_day_before_today_shows_no_past_days(
    client: TestClient[Any, Any], office: Office
) -> None:
    await use_language(client, "en")
    today = _today()
    page = await _time_page(client, office, office.phone_call)
    time_form = next(form for form in forms_of(page) if ("submitted", "time") in form.fields)
    path = time_form.action.split("?")[0]
    query = [(name, value) for name, value in time_form.fields if name not in ("week", "start")]
    for asked in (today - timedelta(days=today.weekday()), today - timedelta(days=3)):
        response = await client.get(path, params=[*query, ("week", asked.isoformat())])
        page = await response.text()
        assert _day_headings(page)[0] == _full_day(today, "en")
        assert "booking-day--past" not in page
    later = today + timedelta(days=10)
    page = await (await client.get(path, params=[*query, ("week", later.isoformat())])).text()
    assert _day_headings(page) == [_full_day(later + timedelta(days=n), "en") for n in range(7)]
    assert "booking-day--past" not in page


NEXT_FREE = {
    "fi": ("Tällä viikolla ei ole vapaita aikoja.", "Seuraava vapaa aika on {}", "EEEE d. MMMM"),
    "sv": ("Den här veckan finns inga lediga tider.", "Nästa lediga tid är {}", "EEEE d MMMM"),
    "en": ("There are no free times this week.", "The next free time is on {}", "EEEE d MMMM"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_week_without_free_times_links_to_the_next_free_time(
    client: TestClient[Any, Any], office: Office, language: str
) -> None:
    await use_language(client, language)
    today = _today()
    free_again = today + timedelta(days=9)
    await _away(client, office, today, 9)
    page = await _time_page(client, office, office.phone_call)
    none_this_week, jump, pattern = NEXT_FREE[language]
    assert none_this_week in _text(page)
    expected = jump.format(format_date(free_again, pattern, locale=language))
    links = _links(page)
    assert expected in links, links
    assert f"week={free_again.isoformat()}" in links[expected]

    page = await (await client.get(links[expected])).text()
    headings = _day_headings(page)
    assert headings[0] == _full_day(free_again, language)
    assert 'name="start"' in page
    assert none_this_week not in _text(page)


def _last_sunday_of_october(year: int) -> date:
    last = date(year, 10, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


async def test_a_week_across_the_change_to_winter_time_keeps_seven_days_and_local_times(
    client: TestClient[Any, Any], office: Office
) -> None:
    today = _today()
    change = _last_sunday_of_october(today.year)
    if change < today + timedelta(days=3):
        change = _last_sunday_of_october(today.year + 1)
    first_day = change - timedelta(days=3)
    long_ahead = await client.app[calendar_service_key].create_meeting_type(
        SYSTEM,
        MeetingTypeFields(
            name_fi="Pitkä aika",
            name_sv="Lång tid",
            name_en="Long appointment",
            duration_minutes=60,
            minimum_notice_minutes=0,
            horizon_days=365,
            slot_step_minutes=60,
            modes=("phone",),
        ),
        caseworker_id=office.maria,
    )
    await use_language(client, "fi")
    page = await _time_page(client, office, long_ahead.id)
    time_form = next(form for form in forms_of(page) if ("submitted", "time") in form.fields)
    query = [(name, value) for name, value in time_form.fields if name not in ("week", "start")]
    response = await client.get(
        time_form.action.split("?")[0], params=[*query, ("week", first_day.isoformat())]
    )
    page = await response.text()
    assert _day_headings(page) == [_full_day(first_day + timedelta(days=n), "fi") for n in range(7)]
    # 08:00 in Helsinki is 05:00 UTC in summer time and 06:00 UTC in winter time, on both
    # sides of the change; each day offers 8.00 to 15.00 (eight one-hour times).
    for offset in range(7):
        day = first_day + timedelta(days=offset)
        eight = datetime.combine(day, time(8), HELSINKI)
        assert f'value="{start_value(eight)}"' in page, day
        assert eight.astimezone(UTC).hour == (5 if day < change else 6)
    starts = re.findall(r'name="start" value="([^"]+)"', page)
    assert len(starts) == 7 * 8
    labels = re.findall(r'<label for="start[^"]*">([^<]+)</label>', page)
    assert labels[:8] == [f"{hour}.00" for hour in range(8, 16)]
    assert labels[-8:] == [f"{hour}.00" for hour in range(8, 16)]


async def test_moving_a_booking_offers_the_next_free_time_too(
    client: TestClient[Any, Any], office: Office
) -> None:
    today = _today()
    created = await client.app[booking_service_key].book(
        BookingRequest(
            meeting_type_id=office.phone_call,
            caseworker_id=office.maria,
            start=datetime.combine(today + timedelta(days=1), time(9), HELSINKI),
            mode="phone",
            language="en",
            client=ClientDetails(name="Liisa Asiakas", phone="040 123 4567"),
        )
    )
    await _away(client, office, today, 12)
    await use_language(client, "en")
    path = f"/manage/{created.manage_token}/reschedule"
    page = await (await client.get(path)).text()
    free_again = today + timedelta(days=12)
    assert "There are no free times this week." in _text(page)
    expected = "The next free time is on " + format_date(free_again, "EEEE d MMMM", locale="en")
    assert _links(page)[expected] == f"{path}?week={free_again.isoformat()}"
    page = await (await client.get(_links(page)[expected])).text()
    assert _day_headings(page)[0] == _full_day(free_again, "en")
    assert 'name="start"' in page


async def test_once_details_are_typed_the_jump_posts_them_along_instead_of_a_link(
    client: TestClient[Any, Any], office: Office
) -> None:
    today = _today()
    page = await to_check(client, office, tomorrow_at(10))
    await _away(client, office, today, 9)
    change_time = next(
        form
        for form in forms_of(page)
        if form.action.startswith("/book/time") and form.method == "post"
    )
    response, page = await send(client, change_time)
    assert response.status == 200, page
    assert "Tällä viikolla ei ole vapaita aikoja." in _text(page)
    free_again = today + timedelta(days=9)
    label = "Seuraava vapaa aika on " + format_date(free_again, "EEEE d. MMMM", locale="fi")
    assert label not in _links(page)  # the details must not travel in an address
    jump = form_of(page, label)
    assert jump.method == "post" and ("week", free_again.isoformat()) in jump.fields
    response, page = await send(client, jump)
    assert response.status == 200, page
    assert _day_headings(page)[0] == _full_day(free_again, "fi")
    assert "liisa@example.com" not in str(response.url)
