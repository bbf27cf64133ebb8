"""The shell every page and endpoint shares: languages, security headers, errors, operations."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import re
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from core.app_keys import settings_key
from core.templating import STATIC_DIR
from tests.accounts.test_login import csrf_token
from tests.conftest import TEST_SECRET_KEY


async def test_finnish_is_the_default_language(client: TestClient[Any, Any]) -> None:
    response = await client.get("/")
    body = await response.text()
    assert '<html lang="fi">' in body
    assert "Jos joku on välittömässä vaarassa, soita hätänumeroon 112." in body
    assert response.headers["Content-Language"] == "fi"


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        ("sv-FI,sv;q=0.9,en;q=0.5", "sv", "Om någon är i omedelbar fara"),
        ("en-GB,en;q=0.8", "en", "If someone is in immediate danger"),
        ("de-DE,en;q=0.3,fi;q=0.9", "fi", "Jos joku on välittömässä vaarassa"),
    ],
)
async def test_accept_language_chooses_the_page_language(
    client: TestClient[Any, Any], accept_language: str, lang: str, heading: str
) -> None:
    body = await (await client.get("/", headers={"Accept-Language": accept_language})).text()
    assert f'<html lang="{lang}">' in body
    assert heading in body


async def test_language_switcher_choice_sticks_in_a_cookie(client: TestClient[Any, Any]) -> None:
    response = await client.get("/language?lang=sv&next=/login", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    body = await (await client.get("/login", headers={"Accept-Language": "en"})).text()
    assert '<html lang="sv">' in body
    assert "Logga in" in body


async def test_language_switcher_never_redirects_off_site(client: TestClient[Any, Any]) -> None:
    response = await client.get("/language?lang=en&next=//evil.example/", allow_redirects=False)
    assert response.headers["Location"] == "/"


async def test_every_answer_carries_the_security_headers(client: TestClient[Any, Any]) -> None:
    for path in ("/", "/api/v1/auth/me", "/no-such-page", "/static/kohtaamo.css"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_public_pages_have_the_exit_button_and_a_skip_link(
    client: TestClient[Any, Any],
) -> None:
    body = await (await client.get("/", headers={"Accept-Language": "en"})).text()
    assert 'href="https://yle.fi/saa"' in body and "Exit this page" in body
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in body
    assert '<main id="main"' in body


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fi", "Sivua tai tietoa ei löytynyt."),
        ("sv", "Sidan eller uppgiften hittades inte."),
        ("en", "The page or item was not found."),
    ],
)
async def test_unknown_page_is_a_translated_404(
    client: TestClient[Any, Any], lang: str, message: str
) -> None:
    response = await client.get("/no/such/page", headers={"Accept-Language": lang})
    assert response.status == 404
    assert response.content_type == "text/html"
    assert f"<h1>{message}</h1>" in await response.text()


async def test_unknown_api_route_is_problem_json(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "sv"})
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert problem["status"] == 404
    assert problem["detail"] == "Sidan eller uppgiften hittades inte."
    assert problem["instance"] == "/api/v1/nothing-here"
    assert len(problem["request_id"]) == 32


async def test_malformed_json_is_a_400_problem(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data=b'{"email": "x@example.com", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400
    problem = await response.json(content_type=None)
    assert problem["detail"] == "Pyynnön sisältö ei ole kelvollista JSONia."


async def test_wrong_content_type_is_a_415_problem(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/v1/auth/login", data="email=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415
    assert response.content_type == "application/problem+json"


async def test_missing_fields_are_422_with_field_errors_in_the_users_language(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": "a@example.com", "extra": 1},
        headers={"Accept-Language": "en"},
    )
    assert response.status == 422
    problem = await response.json(content_type=None)
    assert {"field": "password", "message": "This field is required."} in problem["errors"]
    assert {"field": "extra", "message": "This field is not allowed."} in problem["errors"]


async def test_oversized_body_is_413(client: TestClient[Any, Any]) -> None:
    limit = client.app[settings_key].max_body_bytes
    too_big = b"{" + b" " * (limit + 10) + b"}"
    response = await client.post(
        "/api/v1/auth/login", data=io.BytesIO(too_big), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert response.content_type == "application/problem+json"
    page = await client.post(
        "/login",
        data=io.BytesIO(too_big),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status == 413
    assert "Lähettämäsi sisältö on liian suuri." in await page.text()


async def test_unexpected_error_shows_only_a_request_id_and_logs_the_traceback(
    aiohttp_client: Any, app: web.Application, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError(f"secret detail {TEST_SECRET_KEY}")

    app.router.add_get("/broken", broken)
    app.router.add_get("/api/v1/broken", broken)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR, logger="kohtaamo.error"):
        page = await client.get("/broken")
        api = await client.get("/api/v1/broken")
    body = await page.text()
    assert page.status == 500
    assert "secret detail" not in body and "Traceback" not in body
    request_id = page.headers["X-Request-ID"]
    assert f'<strong class="request-id">{request_id}</strong>' in body
    problem = await api.json(content_type=None)
    assert api.status == 500 and "secret detail" not in json.dumps(problem)
    logged = [
        record for record in caplog.records if getattr(record, "request_id", None) == request_id
    ]
    assert logged and logged[0].exc_info is not None


async def test_access_log_is_one_json_line_without_personal_data(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from core.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="kohtaamo.access"):
        await client.get("/login?email=maija@example.com")
    record = next(record for record in caplog.records if record.name == "kohtaamo.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/login"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)
    assert len(line["request_id"]) == 32
    assert "maija" not in json.dumps(line) and "127.0.0.1" not in json.dumps(line)


async def test_healthz_checks_the_database(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    report = await response.json()
    assert (report["status"], report["database"]) == ("ok", "ok")


async def test_metrics_show_how_long_the_event_loop_was_blocked(
    client: TestClient[Any, Any],
) -> None:
    """Something that holds the loop (here a sleep that blocks it for 0.3 s) shows in the loop
    lag histogram, as an observation over 0.25 s."""
    await asyncio.sleep(0.25)  # the watcher samples every 0.1 s
    time.sleep(0.3)  # noqa: ASYNC251 (the point: a blocked loop)
    await asyncio.sleep(0.25)
    text = await (await client.get("/metrics")).text()
    counts = {
        match[0]: float(match[1])
        for match in re.findall(
            r'kohtaamo_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', text
        )
    }
    assert counts["+Inf"] >= 3
    assert counts["0.25"] < counts["+Inf"], counts  # one sample waited over 0.25 s


async def test_metrics_count_requests_by_route_and_status(client: TestClient[Any, Any]) -> None:
    await client.get("/login")
    await client.get("/no-such-page")
    text = await (await client.get("/metrics")).text()
    assert 'kohtaamo_http_requests_total{method="GET",route="/login",status="200"} 1.0' in text
    assert 'kohtaamo_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'kohtaamo_http_request_duration_seconds_bucket{le="0.005",route="/login"}' in text


async def test_openapi_describes_every_api_route(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    served = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
        and route.resource.canonical != "/api/v1/openapi.json"
    }
    assert served
    assert served == documented


async def test_static_addresses_carry_a_hash_of_the_content(client: TestClient[Any, Any]) -> None:
    page = await (await client.get("/login")).text()
    [address] = re.findall(r'href="(/static/kohtaamo\.css\?v=[0-9a-f]{12})"', page)
    digest = hashlib.sha256((STATIC_DIR / "kohtaamo.css").read_bytes()).hexdigest()[:12]
    assert address.endswith(digest)
    assert (await client.get(address)).status == 200


async def test_a_nul_character_is_refused_as_bad_input_everywhere(
    client: TestClient[Any, Any],
) -> None:
    """PostgreSQL cannot store NUL in text: it must be refused before it gets that far."""
    query = await client.get("/api/v1/caseworkers", params={"unit_id": "a\x00b"})
    assert query.status == 422
    assert (await query.json())["errors"][0]["field"] == "unit_id"
    body = await client.post(
        "/api/v1/auth/login",
        data=b'{"email": "a\\u0000@example.com", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert body.status == 422
    path = await client.get("/api/v1/bookings/a%00b")
    assert path.status == 404
    login_page = await (await client.get("/login")).text()
    form = await client.post(
        "/login",
        data={"csrf_token": csrf_token(login_page), "email": "x\x00", "password": "y"},
    )
    assert form.status == 400
