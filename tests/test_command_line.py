"""The command line: create-user reads the password from stdin; demo can run twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from server import create_app
from tests.conftest import TEST_DATA_KEY, log_in, make_settings

REPOSITORY = Path(__file__).resolve().parents[1]


def run(
    database_url: str, *arguments: str, stdin: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KOHTAAMO_")
    }
    environment.update(settings)
    environment["KOHTAAMO_DATABASE_URL"] = database_url
    environment["KOHTAAMO_SECRET_KEY"] = "cli-test-secret-key-0123456789abcdef"
    environment["KOHTAAMO_DATA_KEYS"] = TEST_DATA_KEY
    return subprocess.run(
        [sys.executable, "server.py", *arguments],
        cwd=REPOSITORY,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_create_user_then_log_in_with_that_password(
    aiohttp_client: Any, database_url: str
) -> None:
    created = run(
        database_url,
        "create-user",
        "--role",
        "caseworker",
        "--email",
        "Maria@Example.com",
        "--name",
        "Maria Virtanen",
        "--password-stdin",
        stdin="a password from stdin\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "kohtaamo: created caseworker Maria@Example.com"
    app: web.Application = create_app(make_settings(database_url))
    client = await aiohttp_client(app)
    await log_in(client, "maria@example.com", "a password from stdin")


def test_create_user_refuses_a_short_password_with_a_clear_message(database_url: str) -> None:
    refused = run(
        database_url,
        "create-user",
        "--role",
        "admin",
        "--email",
        "a@example.com",
        "--name",
        "A",
        "--password-stdin",
        stdin="short\n",
    )
    assert refused.returncode == 1
    assert "password: The password must be at least 12 characters long." in refused.stderr


async def test_demo_is_idempotent_and_its_logins_work(
    aiohttp_client: Any, database_url: str
) -> None:
    first = run(database_url, "demo")
    second = run(database_url, "demo")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert "caseworker maria.virtanen@demokunta.example" in " ".join(first.stdout.split())
    assert "/chat/perheneuvonta" in first.stdout
    password = first.stdout.split("password is ")[1].split()[0]
    app: web.Application = create_app(make_settings(database_url))
    client = await aiohttp_client(app)
    await log_in(client, "admin@demokunta.example", password)
    users = await (await client.get("/admin/users")).text()
    assert users.count("<tr>") == 1 + 5  # header row and five people, not ten
    for email in ("intake@demokunta.example", "sanna.korhonen@demokunta.example"):
        assert email in users


async def test_demo_calendars_have_meeting_types_bookings_and_free_slots(
    aiohttp_client: Any, database_url: str
) -> None:
    assert run(database_url, "demo").returncode == 0
    run(database_url, "demo")
    app: web.Application = create_app(make_settings(database_url))
    client = await aiohttp_client(app)
    units = (await (await client.get("/api/v1/units", headers={"Accept-Language": "en"})).json())[
        "units"
    ]
    family = next(unit for unit in units if unit["name"] == "Family services")
    people = (await (await client.get(f"/api/v1/caseworkers?unit_id={family['id']}")).json())[
        "caseworkers"
    ]
    durations = sorted(item["duration_minutes"] for item in people[0]["meeting_types"])
    assert durations == [30, 45, 60]
    video = next(item for item in people[0]["meeting_types"] if item["duration_minutes"] == 45)
    today = date.today()
    slots = await client.get(
        f"/api/v1/slots?meeting_type_id={video['id']}&unit_id={family['id']}&from={today}&to={today + timedelta(days=20)}"
    )
    assert len((await slots.json())["slots"]) > 50
    booked = 0
    for person in ("maria.virtanen", "johan.lindqvist"):
        await log_in(client, f"{person}@demokunta.example", "kohtaamo-demo-2026")
        agenda = await client.get(
            f"/api/v1/me/bookings?from={today}&to={today + timedelta(days=30)}"
        )
        booked += len((await agenda.json())["bookings"])
        await client.post("/api/v1/auth/logout")
    assert booked == 4  # the demo's four clients, booked once even though the demo ran twice


def test_turn_credential_prints_a_coturn_rest_credential_for_janus(database_url: str) -> None:
    done = run(
        database_url,
        "turn-credential",
        "janus",
        "--days",
        "30",
        KOHTAAMO_TURN_URLS="turn:turn.example.fi:3478",
        KOHTAAMO_TURN_SECRET="shared-turn-secret",
    )
    assert done.returncode == 0, done.stderr
    user_line, password_line = done.stdout.splitlines()
    username = user_line.split('"')[1]
    expiry, name = username.split(":")
    assert name == "janus"
    assert 29 * 86400 < int(expiry) - time.time() <= 30 * 86400
    digest = hmac.new(b"shared-turn-secret", username.encode(), hashlib.sha1).digest()
    assert password_line == f'turn_pwd = "{base64.b64encode(digest).decode()}"'

    missing = run(database_url, "turn-credential", "janus")
    assert missing.returncode == 2
    assert "KOHTAAMO_TURN_SECRET is not set" in missing.stderr
