"""The booking API: directory, free slots, booking, the manage token, and no double booking ever."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from server import create_app
from tests.booking.conftest import HELSINKI, BookingWorld, booking_body, make_world
from tests.conftest import log_in, make_settings


async def test_units_and_caseworkers_list_what_can_be_booked(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    units = await (await client.get("/api/v1/units", headers={"Accept-Language": "sv"})).json()
    assert [unit["name"] for unit in units["units"]] == ["Familjetjänster"]
    listing = await (
        await client.get(
            f"/api/v1/caseworkers?unit_id={world.unit_id}", headers={"Accept-Language": "en"}
        )
    ).json()
    people = {person["name"]: person for person in listing["caseworkers"]}
    assert set(people) == {"Maria Virtanen", "Johan Lindqvist"}
    maria = people["Maria Virtanen"]
    assert maria["unit_id"] == world.unit_id
    assert maria["meeting_types"] == [
        {
            "id": world.meeting_type_id,
            "name": "Follow-up meeting",
            "duration_minutes": 45,
            "modes": ["video", "phone", "in_person"],
        }
    ]


async def test_slots_follow_working_hours_step_and_duration(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    day = world.tomorrow().isoformat()
    answer = await client.get(
        f"/api/v1/slots?meeting_type_id={world.meeting_type_id}&caseworker_id={world.maria}&from={day}&to={day}"
    )
    slots = (await answer.json())["slots"]
    starts = [slot["start"] for slot in slots]
    offset = world.tomorrow_at(8).strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    # 08:00–16:00 with 45-minute meetings every 15 minutes: the last one starts 15:15.
    assert starts[0] == f"{day}T08:00:00{offset}"
    assert starts[-1] == f"{day}T15:15:00{offset}"
    assert len(starts) == 30
    assert slots[0]["end"] == f"{day}T08:45:00{offset}"
    assert {slot["caseworker_id"] for slot in slots} == {world.maria}


async def test_a_booking_blocks_its_time_and_buffers(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    start = world.tomorrow_at(10)
    created = await client.post("/api/v1/bookings", json=booking_body(world, start))
    assert created.status == 201, await created.text()
    day = world.tomorrow().isoformat()
    slots = (
        await (
            await client.get(
                f"/api/v1/slots?meeting_type_id={world.meeting_type_id}&caseworker_id={world.maria}&from={day}&to={day}"
            )
        ).json()
    )["slots"]
    local_starts = {
        datetime.fromisoformat(slot["start"]).astimezone(HELSINKI).strftime("%H:%M")
        for slot in slots
    }
    # 10:00–10:45 with 15-minute buffers blocks 09:45–11:00. Another meeting's own buffers must
    # not reach into that either: it must end by 09:30 (start 08:45) or start at 11:15.
    assert {"08:45", "11:15"} <= local_starts
    assert (
        not {"09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"}
        & local_starts
    )


async def test_booking_answer_has_manage_and_join_links(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    start = world.tomorrow_at(9)
    answer = await client.post("/api/v1/bookings", json=booking_body(world, start))
    booking = await answer.json()
    assert booking["status"] == "confirmed"
    assert booking["caseworker_id"] == world.maria
    assert datetime.fromisoformat(booking["start"]) == start
    assert datetime.fromisoformat(booking["end"]) == start + timedelta(minutes=45)
    token = booking["manage_token"]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert booking["manage_url"] == f"http://127.0.0.1:8080/manage/{token}"
    assert booking["join_url"] == f"http://127.0.0.1:8080/manage/{token}/join"
    assert booking["ics_url"].endswith(f"/api/v1/bookings/{booking['id']}/ics")
    phone = await client.post(
        "/api/v1/bookings",
        json=booking_body(
            world, world.tomorrow_at(13), mode="phone", client={"name": "P", "phone": "0401112222"}
        ),
    )
    assert (await phone.json())["join_url"] is None


async def test_client_manages_the_booking_with_the_token_only(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    bearer = {"Authorization": f"Bearer {booking['manage_token']}"}
    seen = await (await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer)).json()
    assert seen["client"] == {
        "name": "Liisa Asiakas",
        "email": "liisa@example.com",
        "phone": "+358401234567",
    }
    assert seen["meeting_type_name"] == "Seurantatapaaminen"

    assert (await client.get(f"/api/v1/bookings/{booking['id']}")).status == 401
    wrong = {"Authorization": "Bearer " + "x" * 43}
    assert (await client.get(f"/api/v1/bookings/{booking['id']}", headers=wrong)).status == 404
    other = await (
        await client.post(
            "/api/v1/bookings",
            json=booking_body(
                world, world.tomorrow_at(13), client={"name": "Other", "email": "o@example.com"}
            ),
        )
    ).json()
    # A token opens its own booking only.
    assert (await client.get(f"/api/v1/bookings/{other['id']}", headers=bearer)).status == 404


async def test_reschedule_moves_the_booking_and_frees_the_old_time(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    bearer = {"Authorization": f"Bearer {booking['manage_token']}"}
    moved = await client.post(
        f"/api/v1/bookings/{booking['id']}/reschedule",
        json={"start": world.tomorrow_at(14).isoformat()},
        headers=bearer,
    )
    assert moved.status == 200, await moved.text()
    assert datetime.fromisoformat((await moved.json())["start"]) == world.tomorrow_at(14)
    # The old time is free again: another client can take it.
    again = await client.post(
        "/api/v1/bookings",
        json=booking_body(
            world, world.tomorrow_at(9), client={"name": "B", "email": "b@example.com"}
        ),
    )
    assert again.status == 201
    ics = await client.get(f"/api/v1/bookings/{booking['id']}/ics", headers=bearer)
    event = Calendar.from_ical(await ics.read()).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 1


async def test_reschedule_onto_a_taken_time_is_409_and_keeps_the_booking(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    first = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    await client.post(
        "/api/v1/bookings",
        json=booking_body(
            world, world.tomorrow_at(13), client={"name": "B", "email": "b@example.com"}
        ),
    )
    bearer = {"Authorization": f"Bearer {first['manage_token']}"}
    clash = await client.post(
        f"/api/v1/bookings/{first['id']}/reschedule",
        json={"start": world.tomorrow_at(13, 30).isoformat()},
        headers=bearer,
    )
    assert clash.status == 409
    problem = await clash.json(content_type=None)
    assert problem["alternatives"]
    still = await (await client.get(f"/api/v1/bookings/{first['id']}", headers=bearer)).json()
    assert datetime.fromisoformat(still["start"]) == world.tomorrow_at(9)
    assert still["status"] == "confirmed"


async def test_cancel_frees_the_slot_and_the_ics_becomes_a_cancel(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    bearer = {"Authorization": f"Bearer {booking['manage_token']}"}
    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "Olen kipeänä"}, headers=bearer
    )
    body = await cancelled.json()
    assert (body["status"], body["cancelled_by"], body["cancel_reason"]) == (
        "cancelled",
        "client",
        "Olen kipeänä",
    )
    twice = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=bearer)
    assert twice.status == 409
    calendar = Calendar.from_ical(
        await (await client.get(f"/api/v1/bookings/{booking['id']}/ics", headers=bearer)).read()
    )
    assert calendar["METHOD"] == "CANCEL"
    again = await client.post(
        "/api/v1/bookings",
        json=booking_body(
            world, world.tomorrow_at(9), client={"name": "B", "email": "b@example.com"}
        ),
    )
    assert again.status == 201


async def test_first_available_in_the_unit_spreads_bookings_fairly(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    assigned = []
    for number, hour in enumerate((9, 11, 13, 15)):
        body = booking_body(
            world,
            world.tomorrow_at(hour),
            caseworker_id=None,
            unit_id=world.unit_id,
            client={"name": f"C{number}", "email": f"c{number}@example.com"},
        )
        answer = await client.post("/api/v1/bookings", json=body)
        assert answer.status == 201, await answer.text()
        assigned.append((await answer.json())["caseworker_id"])
    assert Counter(assigned) == {world.maria: 2, world.johan: 2}
    # Another client at 09:00 gets the caseworker who is still free then.
    third = booking_body(
        world,
        world.tomorrow_at(9),
        caseworker_id=None,
        unit_id=world.unit_id,
        client={"name": "D", "email": "d@example.com"},
    )
    answer = await client.post("/api/v1/bookings", json=third)
    assert answer.status == 201
    assert (await answer.json())["caseworker_id"] != assigned[0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "2020-01-01T10:00:00+02:00"}, "start"),
        ({"mode": "carrier-pigeon"}, "mode"),
        ({"language": "de"}, "language"),
        ({"meeting_type_id": "nope"}, "meeting_type_id"),
        ({"caseworker_id": "nope"}, "caseworker_id"),
        ({"client": {"name": "Liisa"}}, "client.contact"),
        ({"client": {"name": "Liisa", "email": "not-an-email"}}, "client.email"),
        ({"client": {"name": "Liisa", "phone": "12"}}, "client.phone"),
        ({"client": {"name": " ", "email": "l@example.com"}}, "client.name"),
        ({"mode": "phone", "client": {"name": "Liisa", "email": "l@example.com"}}, "client.phone"),
        ({"answers": {"secret": "x"}}, "answers.secret"),
        ({"start": "2030-01-01T10:00:00"}, "start"),
    ],
)
async def test_bad_booking_input_is_422_with_the_field_and_stores_nothing(
    client: TestClient[Any, Any], world: BookingWorld, changes: dict[str, Any], field: str
) -> None:
    answer = await client.post(
        "/api/v1/bookings",
        json=booking_body(world, world.tomorrow_at(9), **changes),
        headers={"Accept-Language": "en"},
    )
    assert answer.status == 422, await answer.text()
    problem = await answer.json(content_type=None)
    assert field in {error["field"] for error in problem["errors"]}
    await log_in(client, "maria@example.com")
    day = world.tomorrow().isoformat()
    assert (await (await client.get(f"/api/v1/me/bookings?from={day}&to={day}")).json())[
        "bookings"
    ] == []


@pytest.mark.parametrize(("hour", "minute"), [(7, 0), (16, 0), (9, 5), (15, 30)])
async def test_times_outside_hours_or_off_the_step_are_422(
    client: TestClient[Any, Any], world: BookingWorld, hour: int, minute: int
) -> None:
    answer = await client.post(
        "/api/v1/bookings", json=booking_body(world, world.tomorrow_at(hour, minute))
    )
    assert answer.status == 422
    problem = await answer.json(content_type=None)
    assert problem["errors"] == [
        {"field": "start", "message": "Tätä aikaa ei voi varata. Valitse jokin vapaista ajoista."}
    ]


async def test_a_client_may_hold_only_the_allowed_number_of_bookings(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    first = await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    assert first.status == 201
    second = await client.post(
        "/api/v1/bookings",
        json=booking_body(world, world.tomorrow_at(13), caseworker_id=world.johan),
    )
    assert second.status == 422
    assert "client.contact" in {
        error["field"] for error in (await second.json(content_type=None))["errors"]
    }


async def test_a_search_over_62_days_is_422(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    first = world.tomorrow()
    last = first + timedelta(days=62)
    answer = await client.get(
        f"/api/v1/slots?meeting_type_id={world.meeting_type_id}&unit_id={world.unit_id}&from={first}&to={last}"
    )
    assert answer.status == 422
    assert (await answer.json(content_type=None))["errors"][0]["field"] == "to"


async def test_public_booking_endpoints_are_rate_limited(
    aiohttp_client: Any, database_url: str
) -> None:
    app: web.Application = create_app(make_settings(database_url, booking_rate_limit="3"))
    client = await aiohttp_client(app)
    statuses = [(await client.get("/api/v1/units")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_caseworker_sees_own_bookings_and_reads_are_audited(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    await log_in(client, "johan@example.com")
    assert (await client.get(f"/api/v1/bookings/{booking['id']}")).status == 404
    await client.post("/api/v1/auth/logout")
    await log_in(client, "maria@example.com")
    day = world.tomorrow().isoformat()
    agenda = await (await client.get(f"/api/v1/me/bookings?from={day}&to={day}")).json()
    assert [item["id"] for item in agenda["bookings"]] == [booking["id"]]
    assert (await client.get(f"/api/v1/bookings/{booking['id']}")).status == 200

    from accounts.service import SYSTEM
    from audit.service import AuditLog
    from core.app_keys import sessions_key

    entries = await AuditLog(client.app[sessions_key]).entries_for(SYSTEM, "booking", booking["id"])
    assert [(entry.user_id, entry.action) for entry in entries] == [
        (world.maria, "booking.list"),
        (world.maria, "booking.read"),
    ]


RACERS = 100


async def test_concurrent_bookings_of_one_slot_exactly_one_wins(
    aiohttp_client: Any, database_url: str
) -> None:
    app: web.Application = create_app(make_settings(database_url, booking_rate_limit="0"))
    client = await aiohttp_client(app)
    world = await make_world(client, max_active_bookings_per_client=5)
    start = world.tomorrow_at(11)

    async def attempt(number: int) -> int:
        body = booking_body(
            world, start, client={"name": f"Racer {number}", "email": f"racer{number}@example.com"}
        )
        answer = await client.post("/api/v1/bookings", json=body)
        await answer.read()
        return answer.status

    statuses = Counter(await asyncio.gather(*(attempt(number) for number in range(RACERS))))
    assert statuses == {201: 1, 409: RACERS - 1}
    await log_in(client, "maria@example.com")
    day = world.tomorrow().isoformat()
    agenda = await (await client.get(f"/api/v1/me/bookings?from={day}&to={day}")).json()
    assert len(agenda["bookings"]) == 1


async def test_concurrent_unit_bookings_fill_each_caseworker_once(
    aiohttp_client: Any, database_url: str
) -> None:
    app: web.Application = create_app(make_settings(database_url, booking_rate_limit="0"))
    client = await aiohttp_client(app)
    world = await make_world(client)
    start = world.tomorrow_at(11)

    async def attempt(number: int) -> tuple[int, str | None]:
        body = booking_body(
            world,
            start,
            caseworker_id=None,
            unit_id=world.unit_id,
            client={"name": f"R{number}", "email": f"r{number}@example.com"},
        )
        answer = await client.post("/api/v1/bookings", json=body)
        payload = await answer.json(content_type=None)
        return answer.status, payload.get("caseworker_id")

    results = await asyncio.gather(*(attempt(number) for number in range(20)))
    winners = sorted(caseworker for status, caseworker in results if status == 201)
    # On failure, every request's answer: which ones lost, and how.
    assert winners == sorted([world.maria, world.johan]), results
    assert sum(1 for status, _ in results if status == 409) == 18, results


async def test_postgresql_itself_refuses_overlapping_live_bookings(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    """The exclusion constraint holds even for writes that bypass the booking service."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from core.app_keys import engine_key

    engine = client.app[engine_key]
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "the exclusion constraint is PostgreSQL's; SQLite relies on the write lock (tested above)"
        )
    first = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    insert = text(
        "INSERT INTO bookings (id, caseworker_id, meeting_type_id, starts_at, ends_at, blocked_from, blocked_until,"
        " status, mode, language, client_name, client_key, answers, manage_token_hash, ical_uid, ical_sequence,"
        " protected, created_at, updated_at) SELECT :id, caseworker_id, meeting_type_id, starts_at, ends_at,"
        " blocked_from + interval '30 minutes', blocked_until, :status, mode, language, client_name, client_key,"
        " answers, :token, :uid, 0, false, now(), now() FROM bookings WHERE id = :source"
    )
    with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
        async with engine.begin() as connection:
            await connection.execute(
                insert,
                {
                    "id": "x1",
                    "status": "confirmed",
                    "token": "t1",
                    "uid": "u1",
                    "source": first["id"],
                },
            )
    # A cancelled booking may overlap: the constraint covers live bookings only.
    async with engine.begin() as connection:
        await connection.execute(
            insert,
            {"id": "x2", "status": "cancelled", "token": "t2", "uid": "u2", "source": first["id"]},
        )


async def test_the_client_sees_the_caseworkers_cancellation_message(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    await log_in(client, "maria@example.com")
    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel",
        json={"reason": "Olen sairaana, varaathan uuden ajan."},
    )
    assert (await cancelled.json())["cancelled_by"] == "caseworker"
    await client.post("/api/v1/auth/logout")
    page = await (await client.get(f"/manage/{booking['manage_token']}")).text()
    assert "Maria Virtanen perui tämän tapaamisen." in page
    assert "Olen sairaana, varaathan uuden ajan." in page
