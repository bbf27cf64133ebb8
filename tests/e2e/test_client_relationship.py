"""The client relationship between meetings in Chromium, in Finnish and Swedish: the caseworker
shares a summary and drafts the wellbeing plan; the identified client reads the summary,
accepts the plan, gives a consent and withdraws it, and sees the caseworker's reads. axe-core
on every page, the caseworker's and the client's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assessments.keys import assessment_service_key
from core.principal import Role, Viewer
from server import create_app
from tests.booking.conftest import make_world
from tests.conftest import PASSWORD, make_settings
from tests.e2e.conftest import serious_accessibility_violations
from tests.identification.provider import FINNISH_PERSON, free_port, identification_on
from tests.mypages.test_my_pages import AINO, adult_services, book

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WORDS = {
    "fi": {
        "method": "Suomi.fi-tunnistus",
        "share": "Jaa asiakkaalle",
        "save_plan": "Tallenna uutena versiona",
        "accept": "Hyväksyn suunnitelman",
        "accepted": "Hyväksyit suunnitelman.",
        "consent": "Annan suostumukseni",
        "given": "Suostumuksesi tallennettiin.",
        "withdrawn": "Suostumuksesi peruttiin.",
        "shared_read": "Jakoi sinulle asiakirjan",
        "adult": "Aikuissosiaalityö",
        "who5": "WHO-5-hyvinvointi-indeksi",
    },
    "sv": {
        "method": "Suomi.fi-identifikation",
        "share": "Dela med klienten",
        "save_plan": "Spara som ny version",
        "accept": "Jag godkänner planen",
        "accepted": "Du godkände planen.",
        "consent": "Jag ger mitt samtycke",
        "given": "Ditt samtycke sparades.",
        "withdrawn": "Ditt samtycke återkallades.",
        "shared_read": "Delade ett dokument med dig",
        "adult": "Socialt arbete för vuxna",
        "who5": "WHO-5",
    },
}
SUMMARY = "Sovimme seuraavat askeleet."
WHO5 = ("cheerful", "calm", "active", "rested", "interest")
GOAL = "Arki sujuu"


async def axe_clean(page: Any, where: str) -> None:
    assert await serious_accessibility_violations(page) == [], where


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_summary_plan_and_consent_between_meetings(
    browser: Any,
    aiohttp_server: Any,
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    language: str,
) -> None:
    words = WORDS[language]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with identification_on(tmp_path, base_url, {"aino": FINNISH_PERSON}) as (settings, _p):
        app = create_app(
            make_settings(database_url, file_store=str(tmp_path / "files"), **settings)
        )
        server = await aiohttp_server(app, host="127.0.0.1", port=port)
        api = await aiohttp_client(server)
        family = await make_world(api)
        await adult_services(api)
        booking_id = await book(api, family, family.maria, family.meeting_type_id, 9, AINO)
        maria = Viewer(family.maria, "Maria Virtanen", "", Role.CASEWORKER, "")
        await api.app[assessment_service_key].submit_on_behalf(
            maria, booking_id, "who-5", dict.fromkeys(WHO5, "most")
        )

        staff = await browser.new_page()
        await staff.goto(f"{base_url}/language?lang={language}&next=/login")
        await staff.locator("#email").fill("maria@example.com")
        await staff.locator("#password").fill(PASSWORD)
        await staff.locator("form[action='/login'] button").click()
        await staff.wait_for_url(f"{base_url}/staff")
        await staff.goto(f"{base_url}/caseworker/bookings/{booking_id}/documents")
        await axe_clean(staff, "sharing")
        await staff.locator("#title").fill("Yhteenveto")
        await staff.locator("#summary").fill(SUMMARY)
        await staff.get_by_role("button", name=words["share"]).click()
        await staff.wait_for_url("**notice=shared")
        await staff.goto(f"{base_url}/caseworker/bookings/{booking_id}/plan")
        await axe_clean(staff, "the plan's form")
        await staff.locator("[id='goals.0.goal']").fill(GOAL)
        await staff.locator("[id='goals.0.actions.0.what']").fill("Käy kaupassa")
        await staff.locator("[id='goals.0.actions.0.who']").fill("Aino")
        await staff.get_by_role("button", name=words["save_plan"]).click()
        await staff.wait_for_url("**saved=1")
        await axe_clean(staff, "the saved plan")

        client = await browser.new_page()
        await client.goto(f"{base_url}/language?lang={language}&next=/my")
        await client.get_by_role("button", name=words["method"]).click()
        await client.get_by_role("button", name="Aino Asiakas").click()
        await client.wait_for_url(f"{base_url}/my")
        await axe_clean(client, "my pages")

        await client.goto(f"{base_url}/my/documents")
        await axe_clean(client, "documents")
        await client.get_by_role("link", name="Yhteenveto").click()
        assert SUMMARY in await client.locator("main").inner_text()
        await axe_clean(client, "a document")

        await client.goto(f"{base_url}/my/assessments")
        assert words["who5"] in await client.locator("main").inner_text()
        await axe_clean(client, "questionnaires")

        await client.goto(f"{base_url}/my/plans")
        await axe_clean(client, "plans")
        await client.locator("main .item-list a").first.click()
        assert GOAL in await client.locator("main").inner_text()
        await axe_clean(client, "the plan")
        await client.get_by_role("button", name=words["accept"]).click()
        await client.wait_for_url("**notice=accepted")
        assert words["accepted"] in await client.locator("main").inner_text()

        await client.goto(f"{base_url}/my/consents")
        await axe_clean(client, "consents")
        await client.get_by_label(words["adult"]).check()
        await client.get_by_role("button", name=words["consent"]).click()
        await client.wait_for_url("**notice=given")
        assert words["given"] in await client.locator("main").inner_text()
        await axe_clean(client, "a consent given")
        await client.locator("form[action$='/withdraw'] button").click()
        await client.wait_for_url("**notice=withdrawn")
        assert words["withdrawn"] in await client.locator("main").inner_text()

        await client.goto(f"{base_url}/my/access-log")
        assert words["shared_read"] in await client.locator("main").inner_text()
        await axe_clean(client, "who has read")
