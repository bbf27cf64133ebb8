"""A school's concern report through the public pages in Chromium, in Swedish, with an
attachment: every page clean in axe-core, one report stored, its file encrypted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from core.app_keys import sessions_key
from core.settings import Settings
from reports.models import ConcernReport, ReportAttachment
from tests.conftest import make_settings
from tests.e2e.conftest import serious_accessibility_violations, url_of
from tests.reports.conftest import PNG, service_of

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        jurisdiction="se",
        default_language="sv",
        social_oncall_phone="08-123 456 78",
        file_store=str(tmp_path / "files"),
    )


async def test_a_teacher_reports_a_concern_in_swedish_with_a_drawing(
    browser: Any, live_server: TestServer, tmp_path: Path
) -> None:
    context = await browser.new_context(locale="sv-SE")
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    async def check(name: str) -> None:
        problems.extend(f"{name}: {line}" for line in await serious_accessibility_violations(page))

    async def fill(values: dict[str, str]) -> None:
        for name, value in values.items():
            await page.locator(f'[name="{name}"]:not([type="hidden"])').fill(value)

    async def next_page() -> None:
        await page.get_by_role("button", name="Fortsätt").click()
        await page.wait_for_load_state()

    try:
        await page.goto(url_of(live_server, "/report-a-concern"))
        assert "112" in await page.content()
        assert "08-123 456 78" in await page.content()
        await check("start")
        await page.get_by_role("link", name="Jag anmäler i min yrkesroll").click()
        await check("reporter")
        await fill(
            {
                "reporter-name": "Lärare Lisa",
                "reporter-role": "klasslärare",
                "reporter-organisation": "Björkskolan",
                "reporter-email": "lisa@skola.example.se",
            }
        )
        await next_page()

        # A wrong personnummer is refused in Swedish, and what was typed stays.
        await fill({"child-name": "Elsa Exempel", "child-identity_number": "20121212-1213"})
        await next_page()
        assert "kontrollsiffra" in (await page.content()).lower()
        shown = page.locator('[name="child-name"]:not([type="hidden"])')
        assert await shown.input_value() == "Elsa Exempel"
        await check("child with an error")
        await fill({"child-identity_number": "20121212-1212"})
        await next_page()

        await check("guardians")
        await next_page()
        await page.locator(
            'input[type="radio"][name="informed-guardians_told"][value="yes"]'
        ).check()
        await page.locator('input[type="radio"][name="informed-child_told"][value="yes"]').check()
        await check("informed")
        await next_page()
        await check("whereabouts")
        await next_page()
        await page.locator('input[type="checkbox"][value="neglect"]').check()
        await fill({"concern-description": "Kommer hungrig till skolan varje dag."})
        await check("concern")
        await next_page()

        drawing = tmp_path / "teckning.png"
        drawing.write_bytes(PNG)
        await page.locator('input[type="file"]').set_input_files(str(drawing))
        await page.get_by_role("button", name="Bifoga filen").click()
        await page.wait_for_load_state()
        assert "teckning.png" in await page.content()
        await check("attachments")
        await next_page()

        content = await page.content()
        assert "Elsa Exempel" in content and "teckning.png" in content
        await check("check your answers")
        await page.get_by_role("button", name="Skicka anmälan").click()
        await page.wait_for_load_state()
        receipt = await page.content()
        assert re.search(r"OR-\d{4}-\d{6}", receipt), receipt[:2000]
        await check("receipt")
    finally:
        await context.close()

    assert problems == []
    service = service_of(live_server.app)
    async with live_server.app[sessions_key]() as session:
        (report,) = (await session.scalars(select(ConcernReport))).all()
        (attachment,) = (await session.scalars(select(ReportAttachment))).all()
    assert report.jurisdiction == "se"
    assert service.store.read(attachment.blob_id) == PNG
    assert service.cipher.decrypt_text(attachment.filename) == "teckning.png"
