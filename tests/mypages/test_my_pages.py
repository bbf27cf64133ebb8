"""An identified client's own pages: their bookings from two units with change, cancel and join
without the secret link, and who has read their data; nobody else gets in."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from accounts.keys import account_service_key
from accounts.service import SYSTEM
from booking.keys import booking_service_key
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeFields
from core.principal import Role, Viewer
from server import create_app
from tests.booking.conftest import EVERY_DAY, BookingWorld, booking_body, make_world
from tests.conftest import PASSWORD, create_user, make_settings
from tests.identification.provider import (
    walk,
)

pytestmark = pytest.mark.timeout(120)
AINO, ERKKI = "010280-952L", "131052-308T"


@pytest.fixture
async def world(
    aiohttp_client: Any, database_url: str, shared_identification: dict[str, str]
) -> AsyncIterator[tuple[TestClient[Any, Any], dict[str, str]]]:
    settings = shared_identification
    client = await aiohttp_client(create_app(make_settings(database_url, **settings)))
    family = await make_world(client)
    sanna, adult_type = await adult_services(client)
    made = {
        "family": await book(client, family, family.maria, family.meeting_type_id, 9, AINO),
        "adult": await book(client, family, sanna, adult_type, 11, AINO),
        "erkki": await book(client, family, family.johan, family.meeting_type_id, 13, ERKKI),
    }
    yield client, made


async def adult_services(client: TestClient[Any, Any]) -> tuple[str, str]:
    accounts = client.app[account_service_key]
    unit = await accounts.organisation.create_unit(
        SYSTEM, None, {"fi": "Aikuissosiaalityö", "sv": "Socialt arbete för vuxna", "en": "Adult"}
    )
    sanna = await create_user(client.app, Role.CASEWORKER, "sanna@example.com", name="Sanna K")
    await accounts.assign_unit(SYSTEM, sanna, unit.id)
    calendars = client.app[calendar_service_key]
    await calendars.set_working_hours(sanna, "Europe/Helsinki", EVERY_DAY)
    fields = MeetingTypeFields(
        name_fi="Aikuisten neuvonta",
        name_sv="Rådgivning för vuxna",
        name_en="Advice for adults",
        duration_minutes=45,
        buffer_before_minutes=0,
        buffer_after_minutes=0,
        minimum_notice_minutes=0,
        horizon_days=30,
        slot_step_minutes=15,
        modes=("video", "phone"),
        address="",
    )
    created = await calendars.create_meeting_type(SYSTEM, fields, unit_id=unit.id)
    return sanna, created.id


async def book_with_link(
    client: TestClient[Any, Any],
    world: BookingWorld,
    caseworker: str,
    meeting_type: str,
    hour: int,
    identity_code: str,
) -> tuple[str, str]:
    """A booking made with email only, which its caseworker links to the client's code."""
    body = booking_body(
        world,
        world.tomorrow_at(hour),
        caseworker_id=caseworker,
        meeting_type_id=meeting_type,
        client={"name": "Asiakas", "email": f"asiakas{hour}@example.com"},
    )
    answer = await client.post("/api/v1/bookings", json=body)
    assert answer.status == 201, await answer.text()
    created = await answer.json()
    viewer = Viewer(caseworker, "", "", Role.CASEWORKER, "")
    await client.app[booking_service_key].set_identity_code(viewer, created["id"], identity_code)
    return str(created["id"]), str(created["manage_token"])


async def book(
    client: TestClient[Any, Any],
    world: BookingWorld,
    caseworker: str,
    meeting_type: str,
    hour: int,
    identity_code: str,
) -> str:
    booking_id, _manage_token = await book_with_link(
        client, world, caseworker, meeting_type, hour, identity_code
    )
    return booking_id


async def test_an_identified_client_sees_their_bookings_from_two_units(world: Any) -> None:
    client, made = world
    await walk(client, "suomifi", person="aino", next_path="/my")
    page = await (await client.get("/my")).text()
    assert "Omat sivusi" in page
    assert "Seurantatapaaminen" in page and "Maria Virtanen" in page
    assert "Aikuisten neuvonta" in page and "Sanna K" in page
    assert "Johan Lindqvist" not in page  # Erkki's booking
    mine = await (await client.get("/api/v1/my/bookings")).json()
    assert sorted(item["booking"]["id"] for item in mine["upcoming"]) == sorted(
        [made["family"], made["adult"]]
    )
    assert mine["past"] == []


async def test_my_pages_open_change_and_cancel_without_the_secret_link(world: Any) -> None:
    client, made = world
    await walk(client, "suomifi", person="aino", next_path="/my")
    mine = await (await client.get("/api/v1/my/bookings")).json()
    token = next(i["link_token"] for i in mine["upcoming"] if i["booking"]["id"] == made["adult"])
    manage = await client.get(f"/manage/{token}")
    assert manage.status == 200
    assert "Aikuisten neuvonta" in await manage.text()
    assert (await client.get(f"/manage/{token}/join")).status == 200
    form = await (await client.get(f"/manage/{token}/cancel")).text()
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    cancelled = await client.post(
        f"/manage/{token}/cancel", data={"csrf_token": csrf, "reason": ""}, allow_redirects=False
    )
    assert cancelled.status == 303
    after = await (await client.get("/api/v1/my/bookings")).json()
    assert [item["booking"]["id"] for item in after["upcoming"]] == [made["family"]]
    assert [item["booking"]["status"] for item in after["past"]] == ["cancelled"]
    # A changed letter, or another person's booking under Aino's signature, opens nothing.
    assert (await client.get(f"/manage/{token[:-2]}xx")).status == 404
    forged = token.replace(made["adult"], made["erkki"])
    assert (await client.get(f"/manage/{forged}")).status == 404


async def test_another_person_and_the_unidentified_get_nothing(world: Any) -> None:
    client, made = world
    first = await client.get("/my", allow_redirects=False)
    assert (first.status, first.headers["Location"]) == (303, "/identify?next=/my")
    assert (await client.get("/api/v1/my/bookings")).status == 401
    assert (await client.get("/api/v1/my/access-log")).status == 401
    assert (await client.get("/my/access-log.csv", allow_redirects=False)).status == 303
    await walk(client, "suomifi", person="aino", next_path="/my")
    aino = await (await client.get("/api/v1/my/bookings")).json()
    client.session.cookie_jar.clear()
    await walk(client, "suomifi", person="erkki", next_path="/my")
    erkki = await (await client.get("/api/v1/my/bookings")).json()
    assert [item["booking"]["id"] for item in erkki["upcoming"]] == [made["erkki"]]
    # Aino's links open nothing for Erkki, nor for anyone not identified, on pages or the API.
    for item in aino["upcoming"]:
        token = item["link_token"]
        assert (await client.get(f"/manage/{token}")).status == 404
        assert (await client.get(f"/manage/{token}/join")).status == 404
        bearer = {"Authorization": f"Bearer {token}"}
        api = await client.get(f"/api/v1/bookings/{item['booking']['id']}", headers=bearer)
        assert api.status == 404
    client.session.cookie_jar.clear()
    assert (await client.get(f"/manage/{aino['upcoming'][0]['link_token']}")).status == 404


async def test_the_client_sees_who_has_read_their_data(world: Any) -> None:
    client, made = world
    # Maria opens the family booking through the API as caseworkers do.
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as staff:
        login = await staff.post(
            "/api/v1/auth/login", json={"email": "maria@example.com", "password": PASSWORD}
        )
        assert login.status == 200
        assert (await staff.get(f"/api/v1/bookings/{made['family']}")).status == 200
        assert (await staff.get(f"/api/v1/bookings/{made['erkki']}")).status == 404
    await walk(client, "suomifi", person="aino", next_path="/my")
    page = await (await client.get("/my/access-log")).text()
    assert "Kuka on katsonut tietojasi" in page
    assert "Avasi varauksesi" in page
    assert "Sosiaalityöntekijä" in page and "Perhepalvelut" in page
    reads = (await (await client.get("/api/v1/my/access-log")).json())["reads"]
    opened = [read for read in reads if read["action"] == "booking.read"]
    assert [(r["item"], r["role"], r["unit"]) for r in opened] == [
        (f"booking {made['family']}", "caseworker", "Perhepalvelut")
    ]
    download = await client.get("/my/access-log.csv")
    assert download.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO((await download.read()).decode("utf-8-sig"))))
    assert rows[0] == ["Milloin", "Mitä", "Rooli", "Yksikkö"]
    assert ["Avasi varauksesi", "Sosiaalityöntekijä", "Perhepalvelut"] in [
        row[1:] for row in rows[1:]
    ]


async def test_the_openapi_document_lists_the_identified_clients_api(world: Any) -> None:
    client, _made = world
    paths = (await (await client.get("/api/v1/openapi.json")).json())["paths"]
    for path in (
        "/api/v1/my/bookings",
        "/api/v1/my/threads",
        "/api/v1/my/documents",
        "/api/v1/my/consents",
        "/api/v1/my/plans",
        "/api/v1/threads/{thread_id}/export",
    ):
        assert path in paths, path
