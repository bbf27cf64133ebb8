"""Headless Chromium (Debian's /usr/bin/chromium) driven by playwright, and axe-core checks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

CHROMIUM = Path(os.environ.get("KOHTAAMO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_INSTALLED = CHROMIUM.exists()
AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM_INSTALLED:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and KOHTAAMO_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def live_server(aiohttp_server: Any, app: web.Application) -> TestServer:
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server


def url_of(server: TestServer, path: str) -> str:
    return str(server.make_url(path))


async def serious_accessibility_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    await page.evaluate(AXE_SCRIPT)
    results = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', "
        "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
