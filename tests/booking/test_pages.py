"""The client's booking pages and manage pages, driven through their forms as a browser would."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientResponse, ClientSession, TraceConfig, TraceRequestStartParams, web
from aiohttp.test_utils import TestClient
from icalendar import Calendar
from sqlalchemy import func, select

from accounts.keys import account_service_key
from accounts.service import SYSTEM
from booking.client_times import start_value
from booking.keys import booking_service_key
from booking.models import Booking
from booking.types import BookingRequest, ClientDetails, ManageToken
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeFields, PreMeetingQuestion
from calendars.working_time import OpeningInterval
from core.app_keys import sessions_key
from core.principal import Role
from core.settings import Settings
from server import create_app
from tests.conftest import create_user

HELSINKI = ZoneInfo("Europe/Helsinki")
EVERY_DAY_8_TO_16 = [OpeningInterval(weekday, time(8), time(16)) for weekday in range(7)]
QUESTIONS = (
    PreMeetingQuestion(
        "topic",
        "text",
        {
            "fi": "Mistä haluat puhua?",
            "sv": "Vad vill du prata om?",
            "en": "What would you like to talk about?",
        },
    ),
    PreMeetingQuestion(
        "interpreter",
        "yes_no",
        {
            "fi": "Tarvitsetko tulkin?",
            "sv": "Behöver du tolk?",
            "en": "Do you need an interpreter?",
        },
    ),
)


# ---- a small social services office, open every day 08–16 -------------------------------------


@dataclasses.dataclass(frozen=True)
class Office:
    unit_id: str
    maria: str
    johan: str
    follow_up: str  # the unit's meeting type: video, phone or in person, with questions
    phone_call: str  # Maria's own: phone only, no questions


async def open_office(app: web.Application) -> Office:
    accounts = app[account_service_key]
    calendars = app[calendar_service_key]
    municipality = await accounts.organisation.ensure_municipality("Testikunta")
    unit_id = await accounts.organisation.ensure_unit(
        municipality, name_fi="Perhepalvelut", name_sv="Familjetjänster", name_en="Family services"
    )
    maria = await create_user(app, Role.CASEWORKER, "maria@example.com", name="Maria Virtanen")
    johan = await create_user(app, Role.CASEWORKER, "johan@example.com", name="Johan Lindqvist")
    for person in (maria, johan):
        await accounts.assign_unit(SYSTEM, person, unit_id)
        await calendars.set_working_hours(person, "Europe/Helsinki", EVERY_DAY_8_TO_16)
    follow_up = await calendars.create_meeting_type(
        SYSTEM,
        MeetingTypeFields(
            name_fi="Seurantatapaaminen",
            name_sv="Uppföljningsmöte",
            name_en="Follow-up meeting",
            duration_minutes=45,
            minimum_notice_minutes=0,
            horizon_days=30,
            modes=("video", "phone", "in_person"),
            address="Sosiaalitoimisto, Kauppakatu 1",
            asks_pre_meeting_form=True,
            pre_meeting_questions=QUESTIONS,
        ),
        unit_id=unit_id,
    )
    phone_call = await calendars.create_meeting_type(
        SYSTEM,
        MeetingTypeFields(
            name_fi="Puhelinaika",
            name_sv="Telefontid",
            name_en="Phone appointment",
            duration_minutes=30,
            minimum_notice_minutes=0,
            horizon_days=30,
            modes=("phone",),
        ),
        caseworker_id=maria,
    )
    return Office(unit_id, maria, johan, follow_up.id, phone_call.id)


@pytest.fixture
async def office(client: TestClient[Any, Any]) -> Office:
    return await open_office(client.app)


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(HELSINKI).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), HELSINKI)


# ---- reading and sending forms as a browser does ------------------------------------------------


@dataclasses.dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]]
    buttons: list[str]


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._text = ""
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(attributes["action"], attributes.get("method", "get"), [], []))
        elif tag == "input" and self.forms and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind != "radio" or "checked" in attributes:
                self.forms[-1].fields.append((attributes["name"], attributes.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = attributes["name"], ""
        elif tag == "button":
            self._button = []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.forms[-1].fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self.forms[-1].buttons.append(" ".join("".join(self._button).split()))
            self._button = None


def forms_of(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def form_of(html: str, button: str) -> Form:
    """The form whose submit button reads ``button`` (the start of its text)."""
    found = [form for form in forms_of(html) if any(b.startswith(button) for b in form.buttons)]
    assert found, f"no form with a {button!r} button"
    return found[0]


async def send(
    client: TestClient[Any, Any], form: Form, **values: str
) -> tuple[ClientResponse, str]:
    """Submit a form with some fields filled in or changed, as the browser would send it."""
    fields = [(name, value) for name, value in form.fields if name not in values]
    fields.extend(values.items())
    if form.method == "get":  # the form's fields replace any query the action has
        response = await client.get(form.action.split("?")[0], params=fields)
    else:
        response = await client.post(form.action, data=fields)
    return response, await response.text()


async def answer(
    client: TestClient[Any, Any], html: str, **values: str
) -> tuple[ClientResponse, str]:
    """Send the page's own question form (not a back, change or week button)."""
    found = [form for form in forms_of(html) if any(n == "submitted" for n, _ in form.fields)]
    assert len(found) == 1, "the page has no question of its own"
    return await send(client, found[0], **values)


async def press(
    client: TestClient[Any, Any], html: str, button: str, **values: str
) -> tuple[ClientResponse, str]:
    return await send(client, form_of(html, button), **values)


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return " ".join(match.group(1).split())


def heading_of(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


async def use_language(client: TestClient[Any, Any], language: str) -> None:
    client.session.cookie_jar.update_cookies({"kohtaamo_lang": language})


async def bookings_count(client: TestClient[Any, Any]) -> int:
    async with client.app[sessions_key]() as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


# ---- going through the steps --------------------------------------------------------------------

WORDS = {
    "fi": {
        "who": "Kenet haluat tavata?",
        "meeting_type": "Millaisen tapaamisen tarvitset?",
        "time": "Valitse aika",
        "details": "Omat tietosi",
        "questions": "Ennen tapaamista",
        "check": "Tarkista varauksesi ennen kuin vahvistat sen",
        "booked": "Aikasi on varattu",
        "manage": "Varauksesi",
        "continue": "Jatka",
        "confirm": "Vahvista varaus",
        "first_available": "Ensimmäinen vapaa työntekijä",
        "meeting_type_name": "Seurantatapaaminen",
        "video": "Videotapaaminen",
        "at": "klo",
    },
    "sv": {
        "who": "Vem vill du träffa?",
        "meeting_type": "Vilket slags möte behöver du?",
        "time": "Välj en tid",
        "details": "Dina uppgifter",
        "questions": "Före mötet",
        "check": "Kontrollera din bokning innan du bekräftar den",
        "booked": "Din tid är bokad",
        "manage": "Din bokning",
        "continue": "Fortsätt",
        "confirm": "Bekräfta bokningen",
        "first_available": "Första lediga handläggare",
        "meeting_type_name": "Uppföljningsmöte",
        "video": "Videomöte",
        "at": "kl.",
    },
    "en": {
        "who": "Who would you like to meet?",
        "meeting_type": "What kind of meeting do you need?",
        "time": "Choose a time",
        "details": "Your details",
        "questions": "Before the meeting",
        "check": "Check your booking before confirming it",
        "booked": "Your time is booked",
        "manage": "Your booking",
        "continue": "Continue",
        "confirm": "Confirm booking",
        "first_available": "First available caseworker",
        "meeting_type_name": "Follow-up meeting",
        "video": "Video meeting",
        "at": "at",
    },
}

DETAILS = {"name": "Liisa Asiakas", "email": "liisa@example.com", "phone": "040 123 4567"}


async def to_details(
    client: TestClient[Any, Any], office: Office, when: datetime, *, caseworker: bool = False
) -> tuple[ClientResponse, str]:
    """Through the first three steps, by their GET forms, to the empty details form."""
    who = f"caseworker:{office.maria}" if caseworker else f"unit:{office.unit_id}"
    page = await (await client.get("/book")).text()
    _, page = await answer(client, page, who=who)
    _, page = await answer(client, page, meeting_type_id=office.follow_up)
    return await answer(client, page, start=start_value(when))


async def to_check(
    client: TestClient[Any, Any], office: Office, when: datetime, **details: str
) -> str:
    _, page = await to_details(client, office, when, caseworker=True)
    _, page = await press(
        client, page, "Jatka", **{**DETAILS, "mode": "video", "language": "fi", **details}
    )
    assert heading_of(page) == "Ennen tapaamista"
    response, page = await press(client, page, "Jatka", **{"answer-topic": "Asunto"})
    assert response.status == 200, page
    assert heading_of(page) == WORDS["fi"]["check"]
    return page


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_every_step_speaks_the_page_language(
    client: TestClient[Any, Any], office: Office, language: str
) -> None:
    words = WORDS[language]
    await use_language(client, language)
    when = tomorrow_at(10)

    response = await client.get("/book")
    page = await response.text()
    assert response.status == 200
    assert heading_of(page) == words["who"]
    assert f'<html lang="{language}">' in page
    assert words["first_available"] in page and "Maria Virtanen" in page

    response, page = await press(client, page, words["continue"], who=f"unit:{office.unit_id}")
    assert response.url.path == "/book/meeting-type"
    assert heading_of(page) == words["meeting_type"]
    assert words["meeting_type_name"] in page

    response, page = await press(client, page, words["continue"], meeting_type_id=office.follow_up)
    assert response.url.path == "/book/time"
    assert heading_of(page) == words["time"]
    assert 'type="radio" id="start" name="start"' in page

    response, page = await press(client, page, words["continue"], start=start_value(when))
    assert response.url.path == "/book/details"
    assert heading_of(page) == words["details"]
    assert f'value="{language}" checked' in page  # the meeting's language defaults to the page's

    response, page = await press(client, page, words["continue"], **DETAILS, mode="video")
    assert heading_of(page) == words["questions"]
    assert QUESTIONS[0].label_in(language) in page

    response, page = await press(client, page, words["continue"], **{"answer-interpreter": "no"})
    assert heading_of(page) == words["check"]
    assert words["video"] in page and words["at"] in page and "Liisa Asiakas" in page

    response, page = await press(client, page, words["confirm"])
    assert response.status == 200
    assert heading_of(page) == words["booked"]
    token = response.url.path.split("/")[2]
    manage = await client.get(f"/manage/{token}")
    assert heading_of(await manage.text()) == words["manage"]


async def test_the_whole_flow_books_once_and_shows_the_manage_link(
    client: TestClient[Any, Any], office: Office
) -> None:
    when = tomorrow_at(11, 15)
    page = await to_check(client, office, when)
    assert "Maria Virtanen" in page and "Asunto" in page

    confirm = form_of(page, "Vahvista varaus")
    response = await client.post(confirm.action, data=confirm.fields, allow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/manage/[A-Za-z0-9_-]{43}/confirmation", location)

    confirmation = await (await client.get(location)).text()
    token = location.split("/")[2]
    assert heading_of(confirmation) == "Aikasi on varattu"
    assert f'href="/manage/{token}"' in confirmation
    assert f"http://127.0.0.1:8080/manage/{token}" in confirmation
    assert f'href="/manage/{token}/booking.ics"' in confirmation
    assert f'href="/manage/{token}/join"' in confirmation
    assert "15 minuuttia ennen tapaamista" in confirmation

    view = await client.app[booking_service_key].booking(ManageToken(token))
    assert view.start == when
    assert view.caseworker.id == office.maria
    assert view.client_phone == "+358401234567"
    assert view.answers == {"topic": "Asunto"}
    assert await bookings_count(client) == 1


async def test_a_double_click_on_confirm_books_once_and_both_answers_show_the_booking(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await to_check(client, office, tomorrow_at(13))
    confirm = form_of(page, "Vahvista varaus")
    first, second = await asyncio.gather(
        client.post(confirm.action, data=confirm.fields, allow_redirects=False),
        client.post(confirm.action, data=confirm.fields, allow_redirects=False),
    )
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]
    again = await client.post(confirm.action, data=confirm.fields, allow_redirects=False)
    assert again.headers["Location"] == first.headers["Location"]
    assert await bookings_count(client) == 1


async def test_a_repeat_of_the_confirmation_on_another_instance_shows_the_same_booking(
    client: TestClient[Any, Any], office: Office, aiohttp_client: Any, settings: Settings
) -> None:
    page = await to_check(client, office, tomorrow_at(13))
    confirm = form_of(page, "Vahvista varaus")
    first = await client.post(confirm.action, data=confirm.fields, allow_redirects=False)
    # The same browser's repeat reaches another instance, which never saw the first send.
    other: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    other.session.cookie_jar.update_cookies(
        {cookie.key: cookie.value for cookie in client.session.cookie_jar}
    )
    again = await other.post(confirm.action, data=confirm.fields, allow_redirects=False)
    assert first.status == again.status == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert await bookings_count(client) == 1


async def test_choices_travel_in_the_address_but_personal_details_never_do(
    client: TestClient[Any, Any], office: Office
) -> None:
    addresses: list[str] = []

    async def remember(
        _session: ClientSession, _context: SimpleNamespace, sent: TraceRequestStartParams
    ) -> None:
        addresses.append(str(sent.url))

    trace = TraceConfig()
    trace.on_request_start.append(remember)
    trace.freeze()
    client.session.trace_configs.append(trace)
    page = await to_check(client, office, tomorrow_at(9))
    # Change the time from the check page: the details come along in hidden fields.
    _, page = await press(client, page, "Muuta – Aika")
    assert heading_of(page) == "Valitse aika"
    later = tomorrow_at(14, 30)
    _, page = await press(client, page, "Jatka", start=start_value(later))
    assert heading_of(page) == WORDS["fi"]["check"]
    assert "Liisa Asiakas" in page and "Asunto" in page
    assert "14.30" in page
    # Back links while only choices are known are plain links with those choices.
    details = await client.get(
        "/book/details",
        params={
            "caseworker_id": office.maria,
            "meeting_type_id": office.follow_up,
            "start": start_value(later),
        },
    )
    assert re.search(
        r'<a class="back-link" href="/book/time\?[^"]*caseworker_id=', await details.text()
    )
    assert any("/book/time?" in address for address in addresses)
    # Switching the language reloads the page's address. This check page answered the time
    # form, whose address holds the other choices: the client gets that step again, in Swedish.
    switch = re.search(r'<a href="(/language\?lang=sv[^"]*)"', page)
    assert switch
    swedish = await client.get(switch.group(1).replace("&amp;", "&"))
    assert swedish.url.path == "/book/time"
    assert heading_of(await swedish.text()) == "Välj en tid"
    reloaded = await client.get("/book/check", params={"caseworker_id": office.maria})
    assert reloaded.url.path == "/book/meeting-type"  # never a 405 for a reloaded answer page
    for address in addresses:
        assert "Liisa" not in address and "liisa" not in address and "4567" not in address
        assert "Asunto" not in address


async def test_change_buttons_go_back_to_their_step_and_keep_everything_typed(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await to_check(client, office, tomorrow_at(9))

    # A detail: straight back to the check page, the questions already answered stay answered.
    _, page = await press(client, page, "Muuta – Nimi")
    assert heading_of(page) == "Omat tietosi"
    assert dict(form_of(page, "Jatka").fields)["name"] == "Liisa Asiakas"
    _, page = await answer(client, page, name="Liisa Uusi-Asiakas")
    assert heading_of(page) == WORDS["fi"]["check"]
    assert "Liisa Uusi-Asiakas" in page and "Asunto" in page

    # Who: the meeting type and a time are asked again, for the new choice.
    _, page = await press(client, page, "Muuta – Kenet tapaat")
    assert heading_of(page) == "Kenet haluat tavata?"
    assert f'value="caseworker:{office.maria}" checked' in page
    _, page = await answer(client, page, who=f"unit:{office.unit_id}")
    assert heading_of(page) == "Millaisen tapaamisen tarvitset?"
    _, page = await answer(client, page)
    assert heading_of(page) == "Valitse aika"
    _, page = await answer(client, page)
    assert heading_of(page) == WORDS["fi"]["check"]
    assert "Ensimmäinen vapaa työntekijä, Perhepalvelut" in page
    assert "Liisa Uusi-Asiakas" in page and "Asunto" in page
    assert "klo 9.00–9.45" in page


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (
            {"email": "", "phone": ""},
            "email",
            "Ange en e-postadress eller ett telefonnummer så att vi kan nå dig.",
        ),
        (
            {"email": "liisa at example"},
            "email",
            "Skriv e-postadressen i rätt format, till exempel namn@exempel.se.",
        ),
        ({"phone": "12"}, "phone", "Skriv ett telefonnummer, till exempel 040 123 4567"),
    ],
)
async def test_bad_details_come_back_with_errors_in_the_page_language_and_what_was_typed(
    client: TestClient[Any, Any],
    office: Office,
    typed: dict[str, str],
    field: str,
    message: str,
) -> None:
    await use_language(client, "sv")
    _, page = await to_details(client, office, tomorrow_at(10))
    values = {**DETAILS, "mode": "phone", **typed}
    response, page = await press(client, page, "Fortsätt", **values)
    assert response.status == 422
    assert title_of(page).startswith("Fel: Dina uppgifter")
    assert f'<a href="#{field}">' in page
    assert message in page
    kept = dict(form_of(page, "Fortsätt").fields)
    assert {name: kept[name] for name in values} == values


async def test_a_phone_meeting_needs_a_phone_number(
    client: TestClient[Any, Any], office: Office
) -> None:
    _, page = await to_details(client, office, tomorrow_at(10))
    response, page = await press(
        client, page, "Jatka", name="Liisa", email="l@example.com", mode="phone"
    )
    assert response.status == 422
    assert "Anna puhelinnumero, jotta työntekijä voi soittaa sinulle." in page


async def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient[Any, Any], office: Office
) -> None:
    _, page = await to_details(client, office, tomorrow_at(10))
    form = form_of(page, "Jatka")
    fields = [(name, value) for name, value in form.fields if name != "csrf_token"]
    response = await client.post(form.action, data=[*fields, *DETAILS.items(), ("mode", "video")])
    assert response.status == 403
    assert "Lomake on vanhentunut." in await response.text()
    assert await bookings_count(client) == 0


async def test_a_time_taken_meanwhile_offers_free_times_and_keeps_the_details(
    client: TestClient[Any, Any], office: Office
) -> None:
    when = tomorrow_at(12)
    page = await to_check(client, office, when)
    # Someone else books Maria at that time while the client reads the check page.
    await client.app[booking_service_key].book(
        BookingRequest(
            meeting_type_id=office.follow_up,
            start=when,
            mode="phone",
            language="fi",
            client=ClientDetails(name="Toinen Asiakas", phone="040 765 4321"),
            caseworker_id=office.maria,
        )
    )
    response, page = await press(client, page, "Vahvista varaus")
    assert response.status == 409
    assert "Valitettavasti joku muu ehti juuri varata tämän ajan." in page
    assert heading_of(page) == "Omat tietosi"
    assert 'value="Liisa Asiakas"' in page
    alternatives = [
        form
        for form in forms_of(page)
        if ("submitted", "time") in form.fields and dict(form.fields).get("start")
    ]
    assert alternatives, "no free times offered"
    response, page = await send(client, alternatives[0])
    assert heading_of(page) == WORDS["fi"]["check"]
    response, page = await press(client, page, "Vahvista varaus")
    assert heading_of(page) == "Aikasi on varattu"
    assert await bookings_count(client) == 2


async def test_an_error_found_at_confirmation_goes_back_to_its_step(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await to_check(client, office, tomorrow_at(10))
    confirm = form_of(page, "Vahvista varaus")
    # A time in the past, as if the check page had been left open overnight.
    response, page = await send(
        client, confirm, start=start_value(datetime.now(HELSINKI) - timedelta(hours=1))
    )
    assert response.status == 422
    assert heading_of(page) == "Valitse aika"
    assert title_of(page).startswith("Virhe:")
    assert '<a href="#start">Valitse tuleva aika.</a>' in page
    assert 'name="name" value="Liisa Asiakas"' in page  # still carried along, hidden
    assert await bookings_count(client) == 0


async def test_a_wrong_or_old_manage_link_is_the_normal_not_found_page(
    client: TestClient[Any, Any], office: Office
) -> None:
    for path in (
        "/manage/not-a-real-token",
        "/manage/x/booking.ics",
        "/manage/x/join",
        "/manage/x/cancel",
    ):
        response = await client.get(path)
        assert response.status == 404, path
        assert "Sivua tai tietoa ei löytynyt." in await response.text()


async def test_moving_and_cancelling_through_the_manage_pages(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await to_check(client, office, tomorrow_at(10))
    response, page = await press(client, page, "Vahvista varaus")
    token = response.url.path.split("/")[2]

    first_ics = Calendar.from_ical(await (await client.get(f"/manage/{token}/booking.ics")).read())
    assert first_ics["METHOD"] == "REQUEST"

    manage = await (await client.get(f"/manage/{token}")).text()
    assert "Varattu" in manage
    assert f'href="/manage/{token}/reschedule"' in manage

    reschedule = await (await client.get(f"/manage/{token}/reschedule")).text()
    assert heading_of(reschedule) == "Valitse uusi aika"
    new_time = tomorrow_at(15)
    response = await client.post(
        f"/manage/{token}/reschedule",
        data=[
            *form_of(reschedule, "Siirrä varaus tähän aikaan").fields,
            ("start", start_value(new_time)),
        ],
    )
    moved = await response.text()
    assert response.url.path == f"/manage/{token}"
    assert "Varauksesi siirrettiin uuteen aikaan." in moved
    assert "15.00–15.45" in moved
    view = await client.app[booking_service_key].booking(ManageToken(token))
    assert view.start == new_time

    without_time = await client.post(
        f"/manage/{token}/reschedule", data=form_of(reschedule, "Siirrä varaus").fields
    )
    assert without_time.status == 422
    assert '<a href="#start">Valitse aika.</a>' in await without_time.text()

    cancel = await (await client.get(f"/manage/{token}/cancel")).text()
    assert heading_of(cancel) == "Haluatko perua varauksesi?"
    assert "(valinnainen)" in cancel
    response, page = await press(client, cancel, "Peru varaus", reason="Sairastuin")
    assert response.url.path == f"/manage/{token}/cancelled"
    assert heading_of(page) == "Varauksesi on peruttu"
    view = await client.app[booking_service_key].booking(ManageToken(token))
    assert view.status == "cancelled"
    assert view.cancel_reason == "Sairastuin"
    manage = await (await client.get(f"/manage/{token}")).text()
    assert "Peruttu" in manage and "/reschedule" not in manage

    second_ics = Calendar.from_ical(await (await client.get(f"/manage/{token}/booking.ics")).read())
    assert second_ics["METHOD"] == "CANCEL"
    event = second_ics.walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == first_ics.walk("VEVENT")[0]["UID"]


async def test_the_join_page_says_plainly_when_the_video_room_opens(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await to_check(client, office, tomorrow_at(10))
    response, page = await press(client, page, "Vahvista varaus")
    token = response.url.path.split("/")[2]
    await use_language(client, "en")
    join = await client.get(f"/manage/{token}/join")
    assert join.status == 200
    text = await join.text()
    # The meeting is at 10:00; its room opens 15 minutes before, and the page says when.
    assert "The video room is not open yet" in text
    assert "The room opens at" in text
    assert "9:45 AM" in text or "9:45 AM" in text


async def test_a_meeting_type_without_questions_skips_that_step(
    client: TestClient[Any, Any], office: Office
) -> None:
    page = await (await client.get("/book")).text()
    _, page = await press(client, page, "Jatka", who=f"caseworker:{office.maria}")
    assert "Puhelinaika" in page and "Seurantatapaaminen" in page
    _, page = await press(client, page, "Jatka", meeting_type_id=office.phone_call)
    _, page = await press(client, page, "Jatka", start=start_value(tomorrow_at(8, 30)))
    assert 'value="phone" checked' in page  # the only way of meeting is chosen already
    _, page = await press(client, page, "Jatka", name="Liisa Asiakas", phone="0401234567")
    assert heading_of(page) == WORDS["fi"]["check"]
    assert "Puhelu" in page
