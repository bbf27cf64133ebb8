"""Schemathesis drives every /api/v1 operation from the OpenAPI document against a live server.

No answer may be a 5xx, and every answer must match the documented status codes, content types
and schemas. Endpoints added later are covered here without touching this file.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server import create_app, openapi_key
from tests.conftest import DatabaseTemplate, fresh_database, make_settings


class ThreadedServer:
    """The real app on 127.0.0.1 in its own thread and loop, for a synchronous HTTP client."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.base_url = ""
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the test server did not start in 30 s")
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = create_app(make_settings(self.database_url, booking_rate_limit="0"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture(scope="module")
def live_api(
    database_template: DatabaseTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("contract")
    database_url = asyncio.run(fresh_database(database_template, directory))
    with ThreadedServer(database_url) as server:
        yield server.base_url


# The document the app serves, built without starting it (it is made from the route declarations).
schema = schemathesis.openapi.from_dict(
    create_app(make_settings("sqlite+aiosqlite://"))[openapi_key]
)


def test_the_served_document_is_the_one_under_test(live_api: str) -> None:
    with urllib.request.urlopen(f"{live_api}/api/v1/openapi.json", timeout=10) as answer:  # noqa: S310
        assert json.load(answer) == schema.raw_schema


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_match_the_openapi_document(case: Any, live_api: str) -> None:
    case.call_and_validate(
        base_url=live_api,
        timeout=10,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
