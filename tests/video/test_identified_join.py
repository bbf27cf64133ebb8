"""A meeting type that requires identification: the client's join link sends them to identify
first, the caseworker's lobby shows who identified, with which method and how strongly, and a
person other than the one the booking belongs to is let in only on the caseworker's confirmation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from audit.models import AccessLogEntry
from booking.models import Booking
from calendars.models import MeetingType
from core.app_keys import sessions_key
from server import create_app
from tests.conftest import PASSWORD, make_settings
from tests.identification.provider import (
    FINNISH_PERSON,
    OTHER_FINNISH_PERSON,
    identification_on,
    walk,
)
from tests.video.conftest import CASEWORKER_EMAIL, VideoMeeting, make_video_meeting
from tests.video.test_signaling import closed_with, expect, join_as_host

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestClient[Any, Any], VideoMeeting, aiohttp.ClientSession]]:
    people = {"aino": FINNISH_PERSON, "erkki": OTHER_FINNISH_PERSON}
    async with identification_on(tmp_path, "http://127.0.0.1:8080", people) as (settings, _p):
        client = await aiohttp_client(create_app(make_settings(database_url, **settings)))
        meeting = await make_video_meeting(client)
        async with client.app[sessions_key].begin() as session:
            await session.execute(update(MeetingType).values(requires_identification=True))
        async with aiohttp.ClientSession(
            base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as host_session:
            answer = await host_session.post(
                "/api/v1/auth/login", json={"email": CASEWORKER_EMAIL, "password": PASSWORD}
            )
            assert answer.status == 200
            yield client, meeting, host_session


async def test_the_join_link_asks_to_identify_and_the_lobby_shows_who_did(world: Any) -> None:
    client, meeting, host_session = world
    join = f"/manage/{meeting.manage_token}/join"
    first = await client.get(join, allow_redirects=False)
    assert first.status == 303
    assert first.headers["Location"] == f"/identify?next={join}"
    unidentified = await client.ws_connect(meeting.ws_path)
    await unidentified.send_json(meeting.client_hello)
    assert (await closed_with(unidentified))[0] == 4401

    back, _ = await walk(client, "suomifi", person="aino", next_path=join)
    assert back.headers["Location"] == join
    assert (await client.get(join)).status == 200  # the room page

    socket = await client.ws_connect(meeting.ws_path)
    await socket.send_json(meeting.client_hello)
    welcome = await expect(socket, "welcome")
    assert (welcome["state"], welcome["you"]["name"]) == ("lobby", "Aino Asiakas")
    host = await join_as_host(host_session, meeting)
    [waiting] = (await expect(host, "lobby"))["waiting"]
    identity = waiting["identity"]
    assert identity["name"] == "Aino Asiakas"
    assert identity["method"]["fi"] == "Suomi.fi-tunnistus"
    assert (identity["assurance"], identity["mismatch"]) == ("substantial", False)
    await host.send_json({"type": "admit", "participant": waiting["id"]})
    await expect(socket, "admitted")


async def test_someone_else_than_the_bookings_person_needs_the_hosts_confirmation(
    world: Any,
) -> None:
    client, meeting, host_session = world
    # The caseworker knows the client: Aino, whose code they type in (in lower case).
    saved = await enter_identity_code(host_session, meeting.id, "010280-952l")
    assert saved.status == 200
    page = await saved.text()
    assert "Asiakkaan henkilötunnus tallennettiin." in page
    assert "010280-952L" in page
    await walk(client, "suomifi", person="erkki", next_path=f"/manage/{meeting.manage_token}/join")
    socket = await client.ws_connect(meeting.ws_path)
    await socket.send_json(meeting.client_hello)
    await expect(socket, "welcome")
    host = await join_as_host(host_session, meeting)
    [waiting] = (await expect(host, "lobby"))["waiting"]
    assert (waiting["identity"]["name"], waiting["identity"]["mismatch"]) == (
        "Erkki Esimerkki",
        True,
    )
    await host.send_json({"type": "admit", "participant": waiting["id"]})
    refused = await expect(host, "error")
    assert refused["code"] == "identity-mismatch"
    await host.send_json({"type": "admit", "participant": waiting["id"], "confirm_mismatch": True})
    await expect(socket, "admitted")


async def enter_identity_code(
    host_session: aiohttp.ClientSession, booking_id: str, code: str
) -> aiohttp.ClientResponse:
    page = await (await host_session.get(f"/caseworker/bookings/{booking_id}")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return await host_session.post(
        f"/caseworker/bookings/{booking_id}/identity-code",
        data={"csrf_token": token.group(1), "identity_code": code},
    )


async def test_a_mistyped_identity_code_is_named_kept_and_not_stored(world: Any) -> None:
    client, meeting, host_session = world
    answer = await enter_identity_code(host_session, meeting.id, "010280-952X")
    assert answer.status == 422
    page = await answer.text()
    assert "Henkilötunnuksen tarkistusmerkki on väärä." in page
    assert 'value="010280-952X"' in page
    again = await enter_identity_code(host_session, meeting.id, "not a code")
    assert again.status == 422
    assert "muodossa PPKKVV-NNNT" in await again.text()
    async with client.app[sessions_key]() as session:
        stored = await session.scalar(
            select(Booking.client_identity_hash).where(Booking.id == meeting.id)
        )
        logged = await session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.action == "booking.identity-code")
        )
        assert list(logged) == []
    assert stored is None
    # A Swedish number is taken too, and emptying the field removes the code again.
    assert (await enter_identity_code(host_session, meeting.id, "19121212-1212")).status == 200
    removed = await enter_identity_code(host_session, meeting.id, "")
    assert removed.status == 200
    async with client.app[sessions_key]() as session:
        assert (
            await session.scalar(
                select(Booking.client_identity_hash).where(Booking.id == meeting.id)
            )
        ) is None
