"""Secure messages in Chromium, in Finnish and Swedish: an identified client writes to a unit
with a file, the caseworker answers from the unit's inbox, the client is told by an email that
says nothing of it (a real SMTP server), reads the answer, and sees the caseworker's read in
who has read their data. axe-core on every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.db import utcnow
from notifications.keys import outbox_sender_key
from server import create_app
from tests.booking.conftest import make_world
from tests.conftest import PASSWORD, make_settings
from tests.e2e.conftest import serious_accessibility_violations
from tests.identification.provider import FINNISH_PERSON, free_port, identification_on
from tests.messaging.conftest import NOTICE_SUBJECTS, PDF, smtp
from tests.mypages.test_my_pages import AINO, adult_services, book
from tests.notifications.conftest import Inbox, SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
__all__ = ["smtp"]

TEXTS = {
    "fi": {
        "method": "Suomi.fi-tunnistus",
        "write": "Kirjoita uusi viesti",
        "subject": "Aihe",
        "message": "Viesti",
        "file": "Liitä tiedosto",
        "send": "Lähetä viesti",
        "sent": "Viestisi lähetettiin.",
        "readers": "Kuka on katsonut tietojasi",
        "read": "Luki viestejäsi",
        "notice": "Uusi viesti Kohtaamossa",
    },
    "sv": {
        "method": "Suomi.fi-identifikation",
        "write": "Skriv ett nytt meddelande",
        "subject": "Ämne",
        "message": "Meddelande",
        "file": "Bifoga en fil",
        "send": "Skicka meddelandet",
        "sent": "Ditt meddelande skickades.",
        "readers": "Vem har läst dina uppgifter",
        "read": "Läste dina meddelanden",
        "notice": "Nytt meddelande i Kohtaamo",
    },
}
QUESTION = "Voinko tuoda tapaamiseen myös vuokrasopimuksen?"
ANSWER = "Kyllä, tuo se mukanasi."


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_a_client_and_the_unit_exchange_messages(
    browser: Any,
    aiohttp_server: Any,
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    smtp: tuple[Inbox, SmtpServer],
    language: str,
) -> None:
    words = TEXTS[language]
    inbox, smtp_server = smtp
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with identification_on(tmp_path, base_url, {"aino": FINNISH_PERSON}) as (settings, _p):
        app = create_app(
            make_settings(
                database_url,
                smtp_host="127.0.0.1",
                smtp_port=str(smtp_server.port),
                mail_from="kohtaamo@demokunta.example",
                file_store=str(tmp_path / "files"),
                **settings,
            )
        )
        server = await aiohttp_server(app, host="127.0.0.1", port=port)
        api = await aiohttp_client(server)
        family = await make_world(api)
        sanna, adult_type = await adult_services(api)
        await book(api, family, family.maria, family.meeting_type_id, 9, AINO)
        await book(api, family, sanna, adult_type, 11, AINO)
        attachment = tmp_path / "vuokrasopimus.pdf"
        attachment.write_bytes(PDF)

        client = await browser.new_page()
        await client.goto(f"{base_url}/language?lang={language}&next=/my/messages")
        await client.get_by_role("button", name=words["method"]).click()
        await client.get_by_role("button", name="Aino Asiakas").click()
        await client.wait_for_url(f"{base_url}/my/messages")
        assert await serious_accessibility_violations(client) == [], "messages"
        await client.get_by_role("link", name=words["write"]).click()
        assert await serious_accessibility_violations(client) == [], "new message"
        # To the unit (each caseworker met there is a choice of its own too).
        await client.get_by_label(
            "Perhepalvelut" if language == "fi" else "Familjetjänster", exact=True
        ).check()
        await client.get_by_label(words["subject"]).fill("Vuokrasopimus")
        await client.get_by_label(words["message"], exact=True).fill(QUESTION)
        await client.get_by_label(words["file"]).set_input_files(str(attachment))
        await client.get_by_role("button", name=words["send"]).click()
        await client.wait_for_url("**/my/messages/*?sent=1")
        assert words["sent"] in await client.locator("main").inner_text()
        assert "vuokrasopimus.pdf" in await client.locator("main").inner_text()
        assert await serious_accessibility_violations(client) == [], "the thread"
        thread_url = client.url.split("?")[0]

        staff = await browser.new_page()
        await staff.goto(f"{base_url}/language?lang={language}&next=/login?next=/staff/messages")
        await staff.locator("#email").fill("maria@example.com")
        await staff.locator("#password").fill(PASSWORD)
        await staff.locator("form[action='/login'] button").click()
        await staff.wait_for_url(f"{base_url}/staff/messages")
        assert await serious_accessibility_violations(staff) == [], "inbox"
        await staff.get_by_role("link", name="Vuokrasopimus").click()
        assert QUESTION in await staff.locator("main").inner_text()
        assert await serious_accessibility_violations(staff) == [], "the unit's thread"
        await staff.locator("#body").fill(ANSWER)
        await staff.locator("button[name='action'][value='send']").click()
        await staff.wait_for_url("**notice=sent")

        sender = app[outbox_sender_key]
        sender._clock = utcnow
        await sender.drain()
        notices = [m for _to, m in inbox.messages if str(m["Subject"]) in NOTICE_SUBJECTS]
        assert [str(m["Subject"]) for m in notices] == [words["notice"]]
        text = notices[0].get_body(("plain",)).get_content()
        assert ANSWER not in text and "Vuokrasopimus" not in text

        await client.goto(thread_url)
        assert ANSWER in await client.locator("main").inner_text()
        await client.goto(f"{base_url}/my/access-log")
        assert words["read"] in await client.locator("main").inner_text()
        assert await serious_accessibility_violations(client) == [], "who has read"
