"""The caseworker's agenda, booking and calendar settings pages, and the admin's units page."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient

from accounts.keys import account_service_key
from accounts.service import SYSTEM
from audit.service import AuditLog
from booking.keys import booking_service_key
from booking.types import BookingRequest, ClientDetails
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeFields, PreMeetingQuestion
from calendars.working_time import OpeningInterval
from core.app_keys import sessions_key
from core.db import utcnow
from core.principal import Role, Viewer
from tests.accounts.test_login import csrf_token
from tests.conftest import create_user, log_in

HELSINKI = ZoneInfo("Europe/Helsinki")
EVERY_DAY = [OpeningInterval(weekday, time(8, 0), time(16, 0)) for weekday in range(7)]
EN = {"Accept-Language": "en"}
LANGUAGES = ("fi", "sv", "en")


@dataclasses.dataclass(frozen=True)
class Office:
    unit_id: str
    maria: str
    johan: str
    meeting_type_id: str


async def make_office(app: web.Application) -> Office:
    """A unit with two caseworkers open 08:00–16:00 every day and one bookable meeting type."""
    accounts = app[account_service_key]
    calendars = app[calendar_service_key]
    municipality = await accounts.organisation.ensure_municipality("Testikunta")
    unit_id = await accounts.organisation.ensure_unit(
        municipality, name_fi="Perhepalvelut", name_sv="Familjetjänster", name_en="Family services"
    )
    maria = await create_user(app, Role.CASEWORKER, "maria@example.com", name="Maria V")
    johan = await create_user(app, Role.CASEWORKER, "johan@example.com", name="Johan L")
    for person in (maria, johan):
        await accounts.assign_unit(SYSTEM, person, unit_id)
        await calendars.set_working_hours(person, "Europe/Helsinki", EVERY_DAY)
    fields = MeetingTypeFields(
        name_fi="Seurantatapaaminen",
        name_sv="Uppföljningsmöte",
        name_en="Follow-up meeting",
        duration_minutes=45,
        minimum_notice_minutes=0,
        horizon_days=30,
        modes=("video", "phone"),
        asks_pre_meeting_form=True,
        pre_meeting_questions=(
            PreMeetingQuestion("topic", "text", {"fi": "Aihe", "sv": "Ämne", "en": "Topic"}),
            PreMeetingQuestion(
                "interpreter", "yes_no", {"fi": "Tulkki", "sv": "Tolk", "en": "Interpreter"}
            ),
        ),
        max_active_bookings_per_client=5,
    )
    created = await calendars.create_meeting_type(SYSTEM, fields, unit_id=unit_id)
    return Office(unit_id, maria, johan, created.id)


@pytest.fixture
async def office(client: TestClient[Any, Any]) -> Office:
    return await make_office(client.app)


def helsinki_day(days_from_today: int) -> date:
    return datetime.now(HELSINKI).date() + timedelta(days=days_from_today)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI)


async def book(
    client: TestClient[Any, Any] | web.Application,
    office: Office,
    start: datetime,
    *,
    name: str = "Liisa Asiakas",
) -> str:
    """A booking with Maria; a start in the past is booked with the service's clock turned back."""
    app = client if isinstance(client, web.Application) else client.app
    service = app[booking_service_key]
    real_clock = service._clock
    if start <= utcnow():
        service._clock = lambda: start.astimezone(UTC) - timedelta(hours=1)
    try:
        created = await service.book(
            BookingRequest(
                meeting_type_id=office.meeting_type_id,
                caseworker_id=office.maria,
                start=start,
                mode="video",
                language="fi",
                client=ClientDetails(name=name, email="liisa@example.com", phone="040 123 4567"),
                answers={"topic": "Toimeentulotuki ja vuokra", "interpreter": "yes"},
            )
        )
    finally:
        service._clock = real_clock
    return created.booking.id


async def page_token(client: TestClient[Any, Any], path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return csrf_token(await response.text())


async def post_form(
    client: TestClient[Any, Any], path: str, data: dict[str, Any], **headers: str
) -> Any:
    form = {"csrf_token": await page_token(client, path), **data}
    return await client.post(path, data=form, headers=headers)


# ---- every page, every language, and who may see it ---------------------------------------------

CASEWORKER_PAGES = (
    "/caseworker",
    "/caseworker/calendar",
    "/caseworker/calendar/profile",
    "/caseworker/calendar/hours",
    "/caseworker/calendar/dates",
    "/caseworker/calendar/absences",
    "/caseworker/calendar/imports",
    "/caseworker/calendar/meeting-types",
    "/caseworker/calendar/meeting-types/new",
    "/caseworker/calendar/feed",
)
HEADINGS = {
    "fi": ("Omat tapaamiset", "Kalenterin asetukset", "Työaika", "Poissaolot"),
    "sv": ("Dina möten", "Kalenderinställningar", "Arbetstid", "Frånvaro"),
    "en": ("Your agenda", "Calendar settings", "Working hours", "Absences"),
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_caseworker_pages_render_in_each_language(
    client: TestClient[Any, Any], office: Office, language: str
) -> None:
    booking_id = await book(client, office, at(helsinki_day(1), 10))
    await log_in(client, "maria@example.com")
    headers = {"Accept-Language": language}
    paths = (
        *CASEWORKER_PAGES,
        f"/caseworker/bookings/{booking_id}",
        f"/caseworker/bookings/{booking_id}/cancel",
    )
    bodies = []
    for path in paths:
        response = await client.get(path, headers=headers)
        assert response.status == 200, path
        assert response.headers["Content-Language"] == language
        body = await response.text()
        assert f'<html lang="{language}">' in body, path
        bodies.append(body)
    agenda, settings, *_ = bodies
    hours = bodies[paths.index("/caseworker/calendar/hours")]
    absences = bodies[paths.index("/caseworker/calendar/absences")]
    agenda_heading, settings_heading, hours_heading, absences_heading = HEADINGS[language]
    assert f"<h1>{agenda_heading}</h1>" in agenda
    assert f"<h1>{settings_heading}</h1>" in settings
    assert f"<h1>{hours_heading}</h1>" in hours
    assert f"<h1>{absences_heading}</h1>" in absences


@pytest.mark.parametrize("language", LANGUAGES)
async def test_admin_units_page_renders_in_each_language(
    client: TestClient[Any, Any], office: Office, admin: str, language: str
) -> None:
    headers = {"Accept-Language": language}
    response = await client.get("/admin/units", headers=headers)
    body = await response.text()
    assert response.status == 200
    unit_name, type_name = {
        "fi": ("Perhepalvelut", "Seurantatapaaminen"),
        "sv": ("Familjetjänster", "Uppföljningsmöte"),
        "en": ("Family services", "Follow-up meeting"),
    }[language]
    assert f'<h2 id="unit-1">{unit_name}</h2>' in body and type_name in body
    new = await client.get(f"/admin/units/{office.unit_id}/meeting-types/new", headers=headers)
    assert new.status == 200
    edit = await client.get(
        f"/admin/units/{office.unit_id}/meeting-types/{office.meeting_type_id}", headers=headers
    )
    assert edit.status == 200
    assert 'value="Follow-up meeting"' in await edit.text()


async def test_other_roles_are_refused_and_visitors_sent_to_login(
    client: TestClient[Any, Any], office: Office
) -> None:
    booking_id = await book(client, office, at(helsinki_day(1), 10))
    caseworker_only = (*CASEWORKER_PAGES, f"/caseworker/bookings/{booking_id}")
    for path in (*caseworker_only, "/admin/units"):
        anonymous = await client.get(path, allow_redirects=False)
        assert anonymous.status == 303, path
        assert anonymous.headers["Location"] == f"/login?next={path}"

    await create_user(client.app, Role.INTAKE, "ilkka@example.com")
    await create_user(client.app, Role.ADMIN, "aino@example.com")
    for email in ("ilkka@example.com", "aino@example.com"):
        await log_in(client, email)
        for path in caseworker_only:
            assert (await client.get(path)).status == 403, (email, path)
    for email in ("ilkka@example.com", "maria@example.com"):
        await log_in(client, email)
        refused = await client.get("/admin/units")
        assert refused.status == 403
        assert "Sinulla ei ole oikeutta tähän." in await refused.text()


async def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    await client.get("/caseworker/calendar/hours")
    response = await client.post(
        "/caseworker/calendar/hours",
        data={"time_zone": "Europe/Helsinki", "hours-0-1-start": "09:00"},
        headers=EN,
    )
    assert response.status == 403
    assert "This form has expired." in await response.text()
    hours = await client.app[calendar_service_key].working_hours(office.maria)
    assert hours == EVERY_DAY


# ---- working hours ---------------------------------------------------------------------------------


async def test_working_hours_form_saves_and_shows_the_hours_again(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    response = await post_form(
        client,
        "/caseworker/calendar/hours",
        {
            "periods": "2",
            "time_zone": "Europe/Stockholm",
            "hours-0-1-start": "08:30",
            "hours-0-1-end": "11:30",
            "hours-0-2-start": "12:15",
            "hours-0-2-end": "15:45",
            "hours-2-1-start": "9.00",
            "hours-2-1-end": "14:00",
        },
        **EN,
    )
    body = await response.text()
    assert response.status == 200
    assert str(response.url).endswith("/caseworker/calendar/hours?notice=hours-saved")
    assert "Your working hours were saved." in body
    assert 'value="08:30"' in body and 'value="15:45"' in body and 'value="09:00"' in body
    assert '<option value="Europe/Stockholm" selected>' in body
    calendars = client.app[calendar_service_key]
    assert await calendars.time_zone_of(office.maria) == "Europe/Stockholm"
    assert await calendars.working_hours(office.maria) == [
        OpeningInterval(0, time(8, 30), time(11, 30)),
        OpeningInterval(0, time(12, 15), time(15, 45)),
        OpeningInterval(2, time(9, 0), time(14, 0)),
    ]


async def test_reversed_and_overlapping_hours_show_errors_and_keep_what_was_typed(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    response = await post_form(
        client,
        "/caseworker/calendar/hours",
        {
            "periods": "2",
            "time_zone": "Europe/Helsinki",
            "hours-0-1-start": "12:00",
            "hours-0-1-end": "09:00",
            "hours-1-1-start": "08:00",
            "hours-1-1-end": "12:00",
            "hours-1-2-start": "11:00",
            "hours-1-2-end": "15:00",
            "hours-2-1-start": "08:00",
            "hours-3-1-start": "half past",
            "hours-3-1-end": "10:00",
        },
        **EN,
    )
    body = await response.text()
    assert response.status == 422
    assert "<title>Error: Working hours – Kohtaamo</title>" in body
    assert '<a href="#hours-0-1-end">Monday: The end time must be after the start time.</a>' in body
    assert (
        '<a href="#hours-1-2-start">Tuesday: Working hours on the same day must not overlap.</a>'
        in body
    )
    assert '<a href="#hours-2-1-end">Wednesday: Enter both a start and an end time.</a>' in body
    assert '<a href="#hours-3-1-start">Thursday: Enter a time like 08:30.</a>' in body
    assert 'id="hours-0-1-end" name="hours-0-1-end" type="time" value="09:00"' in body
    assert 'value="half past"' in body
    assert 'aria-invalid="true"' in body
    # Nothing was saved.
    assert await client.app[calendar_service_key].working_hours(office.maria) == EVERY_DAY


# ---- time zone and languages ---------------------------------------------------------------------


async def test_profile_saves_zone_and_languages_and_needs_a_language(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    none = await post_form(
        client, "/caseworker/calendar/profile", {"time_zone": "Europe/Helsinki"}, **EN
    )
    assert none.status == 422
    assert '<a href="#languages">Choose at least one language.</a>' in await none.text()

    path = "/caseworker/calendar/profile"
    token = await page_token(client, path)
    form = FormData(
        [
            ("csrf_token", token),
            ("time_zone", "Europe/Mariehamn"),
            ("languages", "sv"),
            ("languages", "fi"),
        ]
    )
    saved = await client.post(path, data=form, headers={"Accept-Language": "sv"})
    assert saved.status == 200
    assert "Din tidszon och dina mötesspråk har sparats." in await saved.text()
    calendars = client.app[calendar_service_key]
    assert await calendars.time_zone_of(office.maria) == "Europe/Mariehamn"
    assert (await calendars.languages_of([office.maria]))[office.maria] == ("fi", "sv")


# ---- date overrides ---------------------------------------------------------------------------------


async def test_a_closed_day_is_saved_listed_and_removed(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    day = helsinki_day(3)
    response = await post_form(
        client, "/caseworker/calendar/dates", {"day": day.isoformat(), "closed": "yes"}, **EN
    )
    body = await response.text()
    assert response.status == 200
    assert "The hours for the date were saved." in body
    assert "Closed all day" in body
    calendars = client.app[calendar_service_key]
    (override,) = await calendars.day_overrides(office.maria)
    assert override.day == day and override.intervals == ()

    removed = await client.post(
        f"/caseworker/calendar/dates/{day.isoformat()}/remove",
        data={"csrf_token": csrf_token(body)},
        headers=EN,
    )
    assert "The date was removed." in await removed.text()
    assert await calendars.day_overrides(office.maria) == []


async def test_a_date_with_other_hours_is_saved(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    day = helsinki_day(5)
    response = await post_form(
        client,
        "/caseworker/calendar/dates",
        {"day": f"{day.day}.{day.month}.{day.year}", "start-1": "10:00", "end-1": "12:00"},
    )
    assert response.status == 200
    (override,) = await client.app[calendar_service_key].day_overrides(office.maria)
    assert override.intervals == ((time(10), time(12)),)


async def test_a_date_needs_times_or_closed_and_a_real_date(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    empty = await post_form(
        client, "/caseworker/calendar/dates", {"day": helsinki_day(2).isoformat()}, **EN
    )
    assert empty.status == 422
    body = await empty.text()
    assert "Enter the opening times, or choose closed all day." in body
    assert f'value="{helsinki_day(2).isoformat()}"' in body
    bad = await post_form(
        client,
        "/caseworker/calendar/dates",
        {"day": "31.2.2030", "start-1": "14:00", "end-1": "10:00"},
        **EN,
    )
    body = await bad.text()
    assert bad.status == 422
    assert '<a href="#day">Enter a date like 31.12.2027.</a>' in body
    assert '<a href="#end-1">The end time must be after the start time.</a>' in body
    assert await client.app[calendar_service_key].day_overrides(office.maria) == []


# ---- absences ----------------------------------------------------------------------------------------


async def test_an_absence_is_added_listed_and_removed(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    first, last = helsinki_day(7), helsinki_day(11)
    response = await post_form(
        client,
        "/caseworker/calendar/absences",
        {"kind": "vacation", "start_day": first.isoformat(), "end_day": last.isoformat()},
        **{"Accept-Language": "fi"},
    )
    body = await response.text()
    assert response.status == 200
    assert "Poissaolo lisättiin." in body
    assert "Loma" in body
    calendars = client.app[calendar_service_key]
    maria = await _viewer_of(client, office.maria)
    (absence,) = await calendars.absences(maria, office.maria)
    assert absence.kind == "vacation"
    assert absence.starts_at == at(first, 0)
    assert absence.ends_at == at(last + timedelta(days=1), 0)

    removed = await client.post(
        f"/caseworker/calendar/absences/{absence.id}/remove",
        data={"csrf_token": csrf_token(body)},
        headers=EN,
    )
    assert "The absence was removed." in await removed.text()
    assert await calendars.absences(maria, office.maria) == []


async def test_a_bad_absence_shows_errors_and_keeps_what_was_typed(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    day = helsinki_day(4)
    response = await post_form(
        client,
        "/caseworker/calendar/absences",
        {
            "kind": "training",
            "start_day": day.isoformat(),
            "start_time": "13:00",
            "end_day": day.isoformat(),
            "end_time": "09:00",
        },
        **EN,
    )
    body = await response.text()
    assert response.status == 422
    assert '<a href="#end_day">The end must be after the start.</a>' in body
    assert 'value="13:00"' in body and 'value="training" checked' in body
    missing = await post_form(client, "/caseworker/calendar/absences", {"start_day": "x"}, **EN)
    body = await missing.text()
    assert '<a href="#kind">Choose the kind of absence.</a>' in body
    assert '<a href="#start_day">Enter the start date, like 31.12.2027.</a>' in body
    assert '<a href="#end_day">Enter the end date, like 31.12.2027.</a>' in body


async def test_an_absence_over_the_spring_change_is_stored_in_utc(
    client: TestClient[Any, Any], office: Office
) -> None:
    # Helsinki moves from UTC+2 to UTC+3 at 03:00 on 28 March 2027: that day has 23 hours.
    await log_in(client, "maria@example.com")
    await post_form(
        client,
        "/caseworker/calendar/absences",
        {"kind": "other", "start_day": "2027-03-28", "end_day": "28.3.2027", "end_time": "12:00"},
    )
    window = (datetime(2027, 3, 27, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC))
    availability = await client.app[calendar_service_key].availability([office.maria], *window)
    (blocked,) = availability[office.maria].blocked
    assert blocked.start == datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
    assert blocked.end == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)


async def _viewer_of(client: TestClient[Any, Any], user_id: str) -> Viewer:
    person = await client.app[account_service_key].staff_member(user_id)
    return Viewer(person.id, person.name, person.email, Role.CASEWORKER, "")


# ---- calendar imports ------------------------------------------------------------------------------


def small_calendar(*starts: datetime) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:test-{index}@example.com\r\n"
        f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Tiimipalaveri\r\n"
        "END:VEVENT\r\n"
        for index, start in enumerate(starts)
    )
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\n{events}END:VCALENDAR\r\n"
    ).encode()


async def upload(client: TestClient[Any, Any], data: bytes, filename: str = "work.ics") -> Any:
    form = FormData()
    form.add_field("csrf_token", await page_token(client, "/caseworker/calendar/imports"))
    form.add_field("ics", data, filename=filename, content_type="text/calendar")
    return await client.post("/caseworker/calendar/imports/file", data=form, headers=EN)


async def test_an_uploaded_calendar_imports_busy_times_and_a_broken_one_keeps_them(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    tomorrow = at(helsinki_day(1), 12).astimezone(UTC)
    response = await upload(client, small_calendar(tomorrow, tomorrow + timedelta(days=2)))
    body = await response.text()
    assert response.status == 200
    assert "The calendar file was imported." in body
    assert "<dt>Busy times</dt><dd>2</dd>" in body
    assert "Tiimipalaveri" not in body

    broken = await upload(client, b"this is not a calendar")
    body = await broken.text()
    assert broken.status == 422
    assert "<title>Error: Calendar import – Kohtaamo</title>" in body
    assert '<a href="#ics">The file is not a calendar (.ics) file.</a>' in body
    assert "<dt>Busy times</dt><dd>2</dd>" in body
    maria = await _viewer_of(client, office.maria)
    (kept,) = await client.app[calendar_service_key].imports(maria, office.maria)
    assert kept.busy_count == 2

    removed = await client.post(
        f"/caseworker/calendar/imports/{kept.id}/remove",
        data={"csrf_token": csrf_token(body)},
        headers=EN,
    )
    assert "The imported calendar was removed." in await removed.text()
    assert await client.app[calendar_service_key].imports(maria, office.maria) == []


async def test_an_upload_without_a_file_or_with_a_bad_address_shows_an_error(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    form = FormData()
    form.add_field("csrf_token", await page_token(client, "/caseworker/calendar/imports"))
    form.add_field("ics", b"", filename="", content_type="application/octet-stream")
    empty = await client.post("/caseworker/calendar/imports/file", data=form, headers=EN)
    assert empty.status == 422
    assert "Choose a calendar file (.ics) to upload." in await empty.text()
    bad = await client.post(
        "/caseworker/calendar/imports/address",
        data={
            "csrf_token": await page_token(client, "/caseworker/calendar/imports"),
            "url": "ftp://example.com/x.ics",
        },
        headers=EN,
    )
    body = await bad.text()
    assert bad.status == 422
    assert '<a href="#url">Enter the calendar\'s address, starting with https://.</a>' in body
    assert 'value="ftp://example.com/x.ics"' in body


# ---- meeting types ---------------------------------------------------------------------------------

GOOD_MEETING_TYPE = {
    "name_fi": "Puhelinaika",
    "name_sv": "Telefontid",
    "name_en": "Phone time",
    "duration_minutes": "30",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "10",
    "minimum_notice_minutes": "60",
    "horizon_days": "14",
    "slot_step_minutes": "15",
    "modes": "phone",
    "address": "",
    "max_active_bookings_per_client": "1",
    "is_active": "yes",
}


async def test_a_meeting_type_with_bad_values_shows_field_errors(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    path = "/caseworker/calendar/meeting-types/new"
    bad = {
        **GOOD_MEETING_TYPE,
        "name_sv": "",
        "duration_minutes": "600",
        "horizon_days": "two weeks",
        "modes": "in_person",
    }
    response = await post_form(client, path, bad, **EN)
    body = await response.text()
    assert response.status == 422
    assert "<title>Error: Add a meeting type – Kohtaamo</title>" in body
    summary = re.findall(r'<li><a href="#([a-z_]+)">([^<]+)</a></li>', body)
    assert summary == [
        ("name_sv", "Enter a name of at most 200 characters."),
        ("duration_minutes", "Enter a number in the allowed range."),
        ("horizon_days", "Enter a whole number."),
        ("address", "Enter the address for meetings in person."),
    ]
    assert 'value="two weeks"' in body and 'value="Puhelinaika"' in body
    assert 'value="in_person" checked' in body
    offered = await client.app[calendar_service_key].meeting_types_for(
        [(office.maria, office.unit_id)], active_only=False
    )
    assert [item.id for item in offered[office.maria]] == [office.meeting_type_id]


async def test_a_caseworker_adds_and_changes_a_meeting_type_of_their_own(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    created = await post_form(
        client, "/caseworker/calendar/meeting-types/new", GOOD_MEETING_TYPE, **EN
    )
    body = await created.text()
    assert created.status == 200
    assert "The meeting type was added." in body and "Phone time" in body
    calendars = client.app[calendar_service_key]
    offered = await calendars.meeting_types_for([(office.maria, office.unit_id)])
    (own,) = [item for item in offered[office.maria] if item.caseworker_id == office.maria]
    assert (own.duration_minutes, own.buffer_after_minutes, own.modes) == (30, 10, ("phone",))

    path = f"/caseworker/calendar/meeting-types/{own.id}"
    changed = {**GOOD_MEETING_TYPE, "duration_minutes": "40"}
    del changed["is_active"]
    saved = await post_form(client, path, changed, **EN)
    assert "The meeting type was saved." in await saved.text()
    again = await calendars.meeting_type(own.id)
    assert again.duration_minutes == 40 and not again.is_active
    # The unit's meeting type is not the caseworker's to change.
    unit_type = await client.get(f"/caseworker/calendar/meeting-types/{office.meeting_type_id}")
    assert unit_type.status == 404


async def test_admin_adds_and_changes_a_unit_meeting_type(
    client: TestClient[Any, Any], office: Office, admin: str
) -> None:
    path = f"/admin/units/{office.unit_id}/meeting-types/new"
    response = await post_form(client, path, GOOD_MEETING_TYPE, **EN)
    body = await response.text()
    assert str(response.url).endswith("/admin/units?notice=meeting-type-created")
    assert "The meeting type was added." in body and "Phone time" in body
    calendars = client.app[calendar_service_key]
    names = {item.names["en"]: item for item in await calendars.unit_meeting_types(office.unit_id)}
    assert set(names) == {"Phone time", "Follow-up meeting"}

    edit = f"/admin/units/{office.unit_id}/meeting-types/{names['Phone time'].id}"
    bad = await post_form(client, edit, {**GOOD_MEETING_TYPE, "modes": ""}, **EN)
    assert bad.status == 422
    assert '<a href="#modes">Choose at least one way of meeting.</a>' in await bad.text()
    saved = await post_form(client, edit, {**GOOD_MEETING_TYPE, "name_en": "Phone call"}, **EN)
    assert "The meeting type was saved." in await saved.text()
    assert (await calendars.meeting_type(names["Phone time"].id)).names["en"] == "Phone call"
    elsewhere = await client.get(
        f"/admin/units/no-such-unit/meeting-types/{office.meeting_type_id}"
    )
    assert elsewhere.status == 404


# ---- the subscription feed -----------------------------------------------------------------------


async def test_the_feed_address_is_shown_once_serves_the_calendar_and_can_be_stopped(
    client: TestClient[Any, Any], office: Office, aiohttp_client: Any
) -> None:
    await book(client, office, at(helsinki_day(1), 10))
    await log_in(client, "maria@example.com")
    page = await (await client.get("/caseworker/calendar/feed", headers=EN)).text()
    assert "Create a feed address" in page
    created = await client.post(
        "/caseworker/calendar/feed", data={"csrf_token": csrf_token(page)}, headers=EN
    )
    body = await created.text()
    assert created.status == 200
    match = re.search(
        r'<code class="feed-address">http://127\.0\.0\.1:8080(/calendars/feed/[\w-]+\.ics)</code>',
        body,
    )
    assert match, body
    feed_path = match.group(1)
    assert "Stop the feed address" in body and "Create a new address" in body

    shown_again = await (await client.get("/caseworker/calendar/feed", headers=EN)).text()
    assert feed_path not in shown_again
    subscriber = await aiohttp_client(client.server)
    feed = await subscriber.get(feed_path)
    assert feed.status == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert "Liisa Asiakas" in await feed.text()

    stopped = await client.post(
        "/caseworker/calendar/feed/stop",
        data={"csrf_token": csrf_token(shown_again)},
        headers=EN,
    )
    assert "The feed address was stopped." in await stopped.text()
    assert (await subscriber.get(feed_path)).status == 404


# ---- the agenda and a booking ---------------------------------------------------------------------


async def test_the_agenda_lists_a_booking_in_its_week(
    client: TestClient[Any, Any], office: Office
) -> None:
    day = helsinki_day(1)
    booking_id = await book(client, office, at(day, 10))
    await log_in(client, "maria@example.com")
    response = await client.get(
        f"/caseworker?week={day.isoformat()}", headers={"Accept-Language": "fi"}
    )
    body = await response.text()
    assert response.status == 200
    assert f'<a href="/caseworker/bookings/{booking_id}">Liisa Asiakas</a>' in body
    assert "10.00–10.45" in body
    assert "Seurantatapaaminen · Videoyhteys" in body and "Vahvistettu" in body
    monday = day - timedelta(days=day.weekday())
    assert f'href="/caseworker?week={(monday + timedelta(days=7)).isoformat()}#week"' in body
    assert f'href="/caseworker?week={(monday - timedelta(days=7)).isoformat()}#week"' in body
    other_week = await client.get(f"/caseworker?week={(day + timedelta(days=7)).isoformat()}")
    assert booking_id not in await other_week.text()
    johan = await client.app[account_service_key].staff_member(office.johan)
    assert johan.name not in body


async def test_the_booking_page_shows_contact_details_and_answers_and_logs_the_read(
    client: TestClient[Any, Any], office: Office
) -> None:
    booking_id = await book(client, office, at(helsinki_day(2), 9, 15))
    await log_in(client, "maria@example.com")
    response = await client.get(f"/caseworker/bookings/{booking_id}", headers=EN)
    body = await response.text()
    assert response.status == 200
    assert "liisa@example.com" in body and "+358401234567" in body
    assert '<dt>Topic</dt><dd class="preserve-lines">Toimeentulotuki ja vuokra</dd>' in body
    assert '<dt>Interpreter</dt><dd class="preserve-lines">Yes</dd>' in body
    assert "9:15\u202fAM–10:00\u202fAM" in body
    assert "Mark as held" not in body  # the meeting has not started
    records = await AuditLog(client.app[sessions_key]).entries_for(SYSTEM, "booking", booking_id)
    assert [(record.action, record.user_id) for record in records] == [
        ("booking.read", office.maria)
    ]


async def test_another_caseworker_cannot_open_the_booking(
    client: TestClient[Any, Any], office: Office
) -> None:
    booking_id = await book(client, office, at(helsinki_day(1), 11))
    await log_in(client, "johan@example.com")
    assert (await client.get(f"/caseworker/bookings/{booking_id}")).status == 404
    assert (await client.get(f"/caseworker/bookings/{booking_id}/cancel")).status == 404
    page = await (await client.get("/caseworker")).text()
    refused = await client.post(
        f"/caseworker/bookings/{booking_id}/cancel", data={"csrf_token": csrf_token(page)}
    )
    assert refused.status == 404


async def test_the_caseworker_cancels_a_booking_with_a_message(
    client: TestClient[Any, Any], office: Office
) -> None:
    booking_id = await book(client, office, at(helsinki_day(1), 13))
    await log_in(client, "maria@example.com")
    path = f"/caseworker/bookings/{booking_id}/cancel"
    too_long = await post_form(client, path, {"reason": "x" * 1001}, **EN)
    assert too_long.status == 422
    assert "The message must be at most 1000 characters long." in await too_long.text()

    message = "Olen sairaana. Soitan sinulle ja sovitaan uusi aika."
    response = await post_form(client, path, {"reason": message}, **EN)
    body = await response.text()
    assert str(response.url).endswith(f"/caseworker/bookings/{booking_id}?notice=cancelled")
    assert "The booking was cancelled." in body
    assert message in body and "Cancelled" in body
    assert "Cancel the booking" not in body
    again = await client.get(path, allow_redirects=False)
    assert again.status == 303
    assert again.headers["Location"] == f"/caseworker/bookings/{booking_id}"
    view = await client.app[booking_service_key].booking(
        await _viewer_of(client, office.maria), booking_id
    )
    assert (view.status, view.cancel_reason, view.cancelled_by) == (
        "cancelled",
        message,
        "caseworker",
    )


async def test_the_outcome_is_recorded_once_the_meeting_has_started(
    client: TestClient[Any, Any], office: Office
) -> None:
    held = await book(client, office, at(helsinki_day(-1), 10))
    missed = await book(client, office, at(helsinki_day(-1), 12), name="Pekka Asiakas")
    coming = await book(client, office, at(helsinki_day(1), 10), name="Outi Asiakas")
    await log_in(client, "maria@example.com")
    page = await (await client.get(f"/caseworker/bookings/{held}", headers=EN)).text()
    assert "Mark as held" in page and "Mark as a no-show" in page
    response = await client.post(
        f"/caseworker/bookings/{held}/completed",
        data={"csrf_token": csrf_token(page)},
        headers=EN,
    )
    body = await response.text()
    assert "The meeting was marked as held." in body
    assert '<strong class="tag tag--green">Held</strong>' in body
    assert "Mark as held" not in body
    no_show = await client.post(
        f"/caseworker/bookings/{missed}/no-show", data={"csrf_token": csrf_token(page)}, headers=EN
    )
    assert "The meeting was marked as a no-show." in await no_show.text()
    too_early = await client.post(
        f"/caseworker/bookings/{coming}/completed",
        data={"csrf_token": csrf_token(page)},
        headers=EN,
    )
    assert too_early.status == 409
    assert "The outcome can be recorded once the meeting has started." in await too_early.text()


async def test_a_meeting_type_form_sets_its_reminders(
    client: TestClient[Any, Any], office: Office
) -> None:
    await log_in(client, "maria@example.com")
    path = "/caseworker/calendar/meeting-types/new"
    bad = await post_form(
        client, path, {**GOOD_MEETING_TYPE, "reminder_minutes": "a day before"}, **EN
    )
    assert bad.status == 422
    assert "Give at most four reminders, each 1 to 20160 minutes before." in await bad.text()
    saved = await post_form(
        client, path, {**GOOD_MEETING_TYPE, "reminder_minutes": "30, 2880"}, **EN
    )
    assert saved.status == 200
    calendars = client.app[calendar_service_key]
    offered = await calendars.meeting_types_for([(office.maria, office.unit_id)])
    (own,) = [item for item in offered[office.maria] if item.caseworker_id == office.maria]
    assert own.reminder_minutes == (2880, 30)
    form = await (await client.get(f"/caseworker/calendar/meeting-types/{own.id}")).text()
    assert 'value="2880, 30"' in form
