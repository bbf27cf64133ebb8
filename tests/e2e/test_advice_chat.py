"""The advice chat in Chromium: two workers go on duty on the console; two anonymous people write
in Finnish or Swedish and see their places in the queue; a worker takes the first, they talk,
she passes the chat to her colleague with a note, who offers a booking and ends the chat; the
person follows the offer and books a time; with the chat closed, the page points elsewhere.
axe-core on the person's page (before, in the queue, chatting), the console and the closed page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chat.keys import chat_services_key
from core.principal import Role
from tests.booking.conftest import make_world
from tests.chat.conftest import SLUG, WEDNESDAY, add_service
from tests.conftest import PASSWORD, create_user
from tests.e2e.conftest import serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WAIT_MS = 10_000

WORDS = {
    "fi": {
        "name": "Perheneuvonta",
        "message": "Viestisi",
        "send": "Lähetä",
        "first": "Olet jonossa 1.",
        "second": "Olet jonossa 2.",
        "joined": "Sosiaalityöntekijä Maria tuli keskusteluun.",
        "book": "Varaa aika",
        "ended": "Sosiaalityöntekijä lopetti keskustelun.",
        "closed": "Chat on nyt suljettu.",
        "johan": "Sosiaalityöntekijä Johan tuli keskusteluun.",
        "continue": "Jatka",
        "meeting_type": "Seurantatapaaminen",
        "name_field": "Nimesi",
        "email": "Sähköpostiosoite",
        "video": "Videotapaaminen",
        "confirm": "Vahvista varaus",
        "booked": "Aikasi on varattu",
    },
    "sv": {
        "name": "Familjerådgivning",
        "message": "Ditt meddelande",
        "send": "Skicka",
        "first": "Du är nummer 1 i kön.",
        "second": "Du är nummer 2 i kön.",
        "joined": "Socialarbetaren Maria kom med i chatten.",
        "book": "Boka en tid",
        "ended": "Socialarbetaren avslutade chatten.",
        "closed": "Chatten är stängd just nu.",
        "johan": "Socialarbetaren Johan kom med i chatten.",
        "continue": "Fortsätt",
        "meeting_type": "Uppföljningsmöte",
        "name_field": "Ditt namn",
        "email": "E-postadress",
        "video": "Videomöte",
        "confirm": "Bekräfta bokningen",
        "booked": "Din tid är bokad",
    },
}
QUESTION = {"fi": "Miten saan apua kotiin?", "sv": "Hur får jag hjälp hemma?"}
ANSWER = "Kerron mielelläni. Minkä ikäisiä lapsia perheessänne on?"
NOTE = "Kysyy kotipalvelusta, lapset 3 ja 5 v."
JOHANS_ANSWER = "Hei, jatkan tästä. Varataanko aika?"


async def axe_clean(page: Any, where: str) -> None:
    assert await serious_accessibility_violations(page) == [], where


async def shows(page: Any, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector)?.textContent.includes(text)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


async def on_duty(browser: Any, server: TestServer, email: str) -> Any:
    """A worker logged in on the console in English, on duty for the family advice chat."""
    worker = await (await browser.new_context(locale="en-GB")).new_page()
    await worker.goto(str(server.make_url("/language?lang=en&next=/login?next=/staff/chat")))
    await worker.locator("#email").fill(email)
    await worker.locator("#password").fill(PASSWORD)
    await worker.locator("form[action='/login'] button").click()
    await worker.wait_for_url("**/staff/chat")
    await shows(worker, "#console-status", "Connected.")
    await worker.get_by_label("Family advice").check()
    return worker


async def book_the_offered_time(page: Any, words: dict[str, str]) -> None:
    """From the chat's offer: the unit is chosen; the person picks the meeting, the first free
    time and gives their details, and the time is booked."""
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["meeting_type"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await page.locator("input[name=start]").first.check()
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["name_field"]).fill("Anonyymi Vanhempi")
    await page.get_by_label(words["email"]).fill("vanhempi@example.com")
    await page.get_by_label(words["video"]).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_role("button", name=words["confirm"]).click()
    await page.wait_for_url("**/confirmation")
    assert await page.locator("h1").inner_text() == words["booked"]


async def person_writes(browser: Any, server: TestServer, language: str, text: str) -> Any:
    context = await browser.new_context(locale=f"{language}-FI")
    page = await context.new_page()
    await page.goto(str(server.make_url(f"/language?lang={language}&next=/chat/{SLUG}")))
    await page.get_by_label(WORDS[language]["message"]).fill(text)
    await page.get_by_role("button", name=WORDS[language]["send"], exact=True).click()
    return page


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_anonymous_advice_in_real_time(
    browser: Any, aiohttp_server: Any, aiohttp_client: Any, app: Any, language: str
) -> None:
    words = WORDS[language]
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    api: TestClient[Any, Any] = await aiohttp_client(server)
    family = await make_world(api)
    await create_user(app, Role.ADMIN, "admin@example.com")
    await add_service(api, family.unit_id)
    app[chat_services_key]._clock = lambda: WEDNESDAY

    worker = await on_duty(browser, server, "maria@example.com")
    await axe_clean(worker, "the console")
    colleague = await on_duty(browser, server, "johan@example.com")

    first = await person_writes(browser, server, language, QUESTION[language])
    await shows(first, "#chat-status", words["first"])
    await axe_clean(first, "the person's page in the queue")
    second = await person_writes(browser, server, language, "Hei")
    await shows(second, "#chat-status", words["second"])
    await shows(worker, "#queue", QUESTION[language])

    await worker.get_by_role("button", name="Take the next chat").click()
    await shows(first, "#chat-status", words["joined"])
    await shows(second, "#chat-status", words["first"])
    await shows(worker, "#chats", QUESTION[language])
    await worker.get_by_label("Answer").fill(ANSWER)
    await worker.locator("#chats").get_by_role("button", name="Send").click()
    await shows(first, "#chat-log", ANSWER)
    await shows(first, "#chat-announcer", ANSWER)
    await axe_clean(first, "the person's page in a chat")
    await axe_clean(worker, "the console with a chat")

    # Maria passes the chat to Johan with a note only he sees; he carries on.
    await worker.get_by_text("End, pass on or offer a time").click()
    await worker.get_by_label("Pass on to").select_option(label="Johan Lindqvist")
    await worker.get_by_label("A note for the colleague").fill(NOTE)
    await worker.get_by_role("button", name="Pass on", exact=True).click()
    await shows(worker, "#console-announcer", "The chat was passed on.")
    await shows(colleague, "#chats", NOTE)
    await shows(colleague, "#chats", ANSWER)
    await shows(first, "#chat-status", words["johan"])
    assert NOTE not in await first.locator("main").inner_text()
    await colleague.get_by_label("Answer").fill(JOHANS_ANSWER)
    await colleague.locator("#chats").get_by_role("button", name="Send").click()
    await shows(first, "#chat-log", JOHANS_ANSWER)

    await colleague.get_by_text("End, pass on or offer a time").click()
    await colleague.get_by_role("button", name="Offer a booking").click()
    offer = first.locator("#chat-log").get_by_role("link", name=words["book"])
    await offer.wait_for(timeout=WAIT_MS)
    await colleague.get_by_label("Topic, for statistics").select_option("parenting")
    await colleague.get_by_role("button", name="End the chat").click()
    await shows(first, "#chat-status", words["ended"])
    await offer.click()
    await first.wait_for_url(f"**/book**unit_id={family.unit_id}**")
    await book_the_offered_time(first, words)

    app[chat_services_key]._clock = lambda: datetime(2027, 12, 6, 10, 0, tzinfo=UTC)
    later = await (await browser.new_context(locale=f"{language}-FI")).new_page()
    await later.goto(str(server.make_url(f"/language?lang={language}&next=/chat/{SLUG}")))
    assert words["closed"] in await later.locator("main").inner_text()
    assert "112" in await later.locator("main").inner_text()
    await axe_clean(later, "the closed chat")


async def test_the_chat_fits_a_320_pixel_wide_phone(
    browser: Any, aiohttp_server: Any, aiohttp_client: Any, app: Any
) -> None:
    """The person's page, queued and chatting, and the worker's console: no sideways scrolling
    at 320 px, the width of the smallest phones in use."""
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    api: TestClient[Any, Any] = await aiohttp_client(server)
    family = await make_world(api)
    await create_user(app, Role.ADMIN, "admin@example.com")
    await add_service(api, family.unit_id)
    app[chat_services_key]._clock = lambda: WEDNESDAY
    worker = await on_duty(browser, server, "maria@example.com")
    phone = {"width": 320, "height": 640}
    person = await (await browser.new_context(locale="fi-FI", viewport=phone)).new_page()
    await person.goto(str(server.make_url(f"/language?lang=fi&next=/chat/{SLUG}")))
    await person.get_by_label(WORDS["fi"]["message"]).fill(QUESTION["fi"])
    await person.get_by_role("button", name=WORDS["fi"]["send"], exact=True).click()
    await shows(person, "#chat-status", WORDS["fi"]["first"])
    await no_sideways_scrolling(person, "the person's page in the queue")
    await worker.get_by_role("button", name="Take the next chat").click()
    await worker.get_by_label("Answer").fill(ANSWER)
    await worker.locator("#chats").get_by_role("button", name="Send").click()
    await shows(person, "#chat-log", ANSWER)
    await no_sideways_scrolling(person, "the person's page in a chat")
    await worker.set_viewport_size(phone)
    await no_sideways_scrolling(worker, "the console")


async def no_sideways_scrolling(page: Any, where: str) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px"
