"""A group discussion in Chromium: the host (Maria, on her console in English) runs a session with
pre-moderation; two people join from the public list in Finnish or Swedish with nicknames, one
of them on a 320 px wide phone and by keyboard only. A message waits for approval, is approved
and reaches the other participant (and their live region); a hidden message disappears from the
participants' pages; a removed participant is refused when they try again from that browser;
"Exit this page" leaves at once.
axe-core on the public list, the session's page before and in the room, the staff's list, the
planning form with errors and the console."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from discussions.keys import group_sessions_key
from tests.booking.conftest import make_world
from tests.conftest import PASSWORD
from tests.discussions.conftest import JUST_BEFORE, PLANNED, as_viewer, fields
from tests.e2e.conftest import serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WAIT_MS = 10_000

WORDS = {
    "fi": {
        "topic": "Arki teini-ikäisen kanssa",
        "nickname": "Nimimerkkisi",
        "join": "Liity keskusteluun",
        "message": "Viestisi",
        "send": "Lähetä",
        "in": "Olet mukana keskustelussa.",
        "held": "Viestisi odottaa vetäjän hyväksyntää",
        "removed": "Vetäjä poisti sinut keskustelusta.",
        "rules": "Keskustelun säännöt",
        "exit": "Poistu sivulta",
    },
    "sv": {
        "topic": "Vardag med en tonåring",
        "nickname": "Ditt smeknamn",
        "join": "Gå med i diskussionen",
        "message": "Ditt meddelande",
        "send": "Skicka",
        "in": "Du är med i diskussionen.",
        "held": "Ditt meddelande väntar på samtalsledarens godkännande",
        "removed": "Samtalsledaren tog bort dig från diskussionen.",
        "rules": "Diskussionens regler",
        "exit": "Lämna sidan",
    },
}
QUESTION = {"fi": "Miten saan teinin puhumaan?", "sv": "Hur får jag min tonåring att prata?"}
RUDE = "Tämä on loukkaava viesti."


async def axe_clean(page: Any, where: str) -> None:
    assert await serious_accessibility_violations(page) == [], where


async def shows(page: Any, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector)?.textContent.includes(text)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


async def lacks(page: Any, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([selector, text]) => !document.querySelector(selector)?.textContent.includes(text)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


async def host_console(browser: Any, server: TestServer, session_id: str) -> Any:
    """Maria logged in, in English, on her session's page with the console connected."""
    page = await (await browser.new_context(locale="en-GB")).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    target = f"/staff/groups/{session_id}"
    await page.goto(str(server.make_url(f"/language?lang=en&next=/login?next={target}")))
    await page.locator("#email").fill("maria@example.com")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form[action='/login'] button").click()
    await page.wait_for_url(f"**{target}")
    await shows(page, "#group-status", "You are in the discussion.")
    return page


async def participant(
    browser: Any, server: TestServer, language: str, nickname: str, *, phone: bool = False
) -> Any:
    """Someone who finds the discussion on the public list and joins with a nickname."""
    options: dict[str, Any] = {"locale": f"{language}-FI"}
    if phone:
        options["viewport"] = {"width": 320, "height": 640}
    page = await (await browser.new_context(**options)).new_page()
    await page.goto(str(server.make_url(f"/language?lang={language}&next=/groups")))
    await page.get_by_role("link", name=WORDS[language]["topic"]).click()
    await page.get_by_label(WORDS[language]["nickname"]).fill(nickname)
    if phone:  # by keyboard: Enter submits the form
        await page.get_by_label(WORDS[language]["nickname"]).press("Enter")
    else:
        await page.get_by_role("button", name=WORDS[language]["join"]).click()
    await shows(page, "#group-status", WORDS[language]["in"])
    return page


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_a_moderated_group_discussion(
    browser: Any, aiohttp_server: Any, aiohttp_client: Any, app: Any, language: str
) -> None:
    words = WORDS[language]
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    api: TestClient[Any, Any] = await aiohttp_client(server)
    family = await make_world(api)
    service = app[group_sessions_key]
    service._clock = lambda: PLANNED
    maria = as_viewer(family.maria, "Maria Virtanen")
    planned = await service.create(
        maria,
        fields(topic=words["topic"], language=language, host_id=family.maria),
    )
    service._clock = lambda: JUST_BEFORE

    host = await host_console(browser, server, planned.id)
    await axe_clean(host, "the host's console")

    anna = await participant(browser, server, language, "Anna", phone=True)
    assert words["rules"] in await anna.locator("main").inner_text()
    await axe_clean(anna, "the session's page in the room")
    width = await anna.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width} px wide on a 320 px phone"
    ben = await participant(browser, server, language, "Ben")

    # Anna writes (Enter sends); it waits for the host, and Ben sees nothing yet.
    await anna.get_by_label(words["message"]).fill(QUESTION[language])
    await anna.get_by_label(words["message"]).press("Enter")
    await shows(anna, "#group-status", words["held"])
    await shows(host, "#group-held", QUESTION[language])
    assert QUESTION[language] not in await ben.locator("#group-log").inner_text()
    await axe_clean(host, "the console with a message waiting")
    await host.get_by_role("button", name="Approve the message from Anna").click()
    await shows(ben, "#group-log", QUESTION[language])
    await shows(ben, "#group-announcer", QUESTION[language])
    await shows(host, "#group-log", QUESTION[language])

    # Ben's rude message is approved by mistake, then hidden: it disappears from the pages.
    await ben.get_by_label(words["message"]).fill(RUDE)
    await ben.get_by_role("button", name=words["send"], exact=True).click()
    await host.get_by_role("button", name="Approve the message from Ben").click()
    await shows(anna, "#group-log", RUDE)
    await host.get_by_role("button", name="Hide the message from Ben").click()
    await lacks(anna, "#group-log", RUDE)
    await lacks(ben, "#group-log", RUDE)
    await shows(host, "#group-log", RUDE)  # staff still see it, marked hidden

    # Ben is removed; his browser is refused when he tries again under another nickname.
    await host.get_by_role("button", name="Remove Ben").click()
    await shows(ben, "#group-status", words["removed"])
    await ben.reload()
    await ben.get_by_label(words["nickname"]).fill("Bertta")
    await ben.get_by_role("button", name=words["join"]).click()
    await shows(ben, "#group-nickname-error", words["removed"])
    await shows(host, "#group-count", "2")
    await axe_clean(ben, "the session's page, refused")

    # "Exit this page" leaves the discussion at once: Anna's place is free, her nickname too.
    await anna.get_by_role("link", name=words["exit"]).click()
    await shows(host, "#group-count", "1")

    # The public list and the staff's own pages.
    listing = await (await browser.new_context(locale=f"{language}-FI")).new_page()
    await listing.goto(str(server.make_url(f"/language?lang={language}&next=/groups")))
    await axe_clean(listing, "the public list")
    await host.goto(str(server.make_url("/staff/groups")))
    await axe_clean(host, "the staff's list")
    await host.goto(str(server.make_url("/staff/groups/new")))
    await host.get_by_role("button", name="Plan the discussion").click()
    await host.wait_for_selector(".error-summary")
    await axe_clean(host, "the planning form with errors")
