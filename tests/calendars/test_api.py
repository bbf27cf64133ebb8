"""The caseworker's own calendar API: hours, absences, overrides, meeting types, imports, feed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from accounts.service import SYSTEM
from calendars.keys import calendar_service_key
from calendars.working_time import OpeningInterval
from core.principal import Role, Viewer
from server import create_app
from tests.booking.conftest import HELSINKI, BookingWorld, booking_body, make_world
from tests.conftest import log_in, make_settings

ICS_TEMPLATE = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Test//EN\r
BEGIN:VEVENT\r
UID:busy-1@example.com\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Helsinki:{day}T{start}00\r
DTEND;TZID=Europe/Helsinki:{day}T{end}00\r
SUMMARY:Private doctor's appointment\r
END:VEVENT\r
END:VCALENDAR\r
"""


def day_slots_url(world: BookingWorld, caseworker: str) -> str:
    day = world.tomorrow().isoformat()
    return f"/api/v1/slots?meeting_type_id={world.meeting_type_id}&caseworker_id={caseworker}&from={day}&to={day}"


async def local_starts(client: TestClient[Any, Any], world: BookingWorld) -> set[str]:
    slots = (await (await client.get(day_slots_url(world, world.maria))).json())["slots"]
    return {
        datetime.fromisoformat(slot["start"]).astimezone(HELSINKI).strftime("%H:%M")
        for slot in slots
    }


async def test_working_hours_round_trip_and_drive_the_slots(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    body = {
        "time_zone": "Europe/Helsinki",
        "intervals": [{"weekday": day, "start": "09:00", "end": "11:00"} for day in range(7)]
        + [{"weekday": day, "start": "12:00", "end": "13:00"} for day in range(7)],
    }
    saved = await client.put("/api/v1/me/working-hours", json=body)
    assert saved.status == 200, await saved.text()
    stored = await (await client.get("/api/v1/me/working-hours")).json()
    assert stored["intervals"][:2] == [
        {"weekday": 0, "start": "09:00:00", "end": "11:00:00"},
        {"weekday": 0, "start": "12:00:00", "end": "13:00:00"},
    ]
    # 45-minute meetings every 15 minutes; buffers may reach outside the working hours.
    assert await local_starts(client, world) == {
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
        "12:00",
        "12:15",
    }


async def test_overlapping_working_hours_are_refused_and_nothing_changes(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    before = await (await client.get("/api/v1/me/working-hours")).json()
    body = {
        "time_zone": "Europe/Helsinki",
        "intervals": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "11:00", "end": "13:00"},
        ],
    }
    answer = await client.put(
        "/api/v1/me/working-hours", json=body, headers={"Accept-Language": "en"}
    )
    assert answer.status == 422
    assert (await answer.json(content_type=None))["errors"] == [
        {"field": "starts_at", "message": "Working hours on the same day must not overlap."}
    ]
    assert await (await client.get("/api/v1/me/working-hours")).json() == before


async def test_absence_blocks_booking_and_can_be_removed(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    start, end = world.tomorrow_at(8), world.tomorrow_at(12)
    created = await client.post(
        "/api/v1/me/absences",
        json={"kind": "training", "start": start.isoformat(), "end": end.isoformat()},
    )
    assert created.status == 201
    absence = await created.json()
    assert min(await local_starts(client, world)) == "12:15"
    refused = await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    assert refused.status == 422
    assert (await client.delete(f"/api/v1/me/absences/{absence['id']}")).status == 204
    assert min(await local_starts(client, world)) == "08:00"
    bad = await client.post(
        "/api/v1/me/absences",
        json={"kind": "holiday", "start": end.isoformat(), "end": start.isoformat()},
    )
    assert {error["field"] for error in (await bad.json(content_type=None))["errors"]} == {
        "kind",
        "ends_at",
    }


async def test_a_closed_day_override_leaves_no_slots(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    calendars = client.app[calendar_service_key]
    await calendars.set_day_override(SYSTEM, world.maria, world.tomorrow(), [])
    assert await local_starts(client, world) == set()
    await calendars.set_day_override(
        SYSTEM, world.maria, world.tomorrow(), [(time(14, 0), time(15, 0))]
    )
    assert await local_starts(client, world) == {"14:00", "14:15"}


async def test_meeting_types_are_created_and_patched(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    body = {
        "name": {"fi": "Puhelu", "sv": "Samtal", "en": "Phone call"},
        "duration_minutes": 30,
        "modes": ["phone"],
        "asks_pre_meeting_form": True,
        "pre_meeting_questions": [
            {"id": "topic", "kind": "text", "label": {"fi": "Aihe", "sv": "Ämne", "en": "Topic"}}
        ],
    }
    created = await client.post("/api/v1/me/meeting-types", json=body)
    assert created.status == 201, await created.text()
    meeting_type = await created.json()
    assert meeting_type["caseworker_id"] == world.maria
    assert meeting_type["network_meeting"] is False
    patched = await client.patch(
        f"/api/v1/me/meeting-types/{meeting_type['id']}",
        json={"duration_minutes": 20, "network_meeting": True},
    )
    assert (await patched.json())["duration_minutes"] == 20
    assert (await patched.json())["network_meeting"] is True
    listed = await (await client.get("/api/v1/me/meeting-types")).json()
    assert {item["name"]["en"] for item in listed["meeting_types"]} == {
        "Follow-up meeting",
        "Phone call",
    }
    # The unit's meeting type is the admin's: a caseworker cannot change it.
    assert (
        await client.patch(
            f"/api/v1/me/meeting-types/{world.meeting_type_id}", json={"duration_minutes": 20}
        )
    ).status == 403
    bad = await client.post(
        "/api/v1/me/meeting-types", json={**body, "duration_minutes": 0, "modes": ["in_person"]}
    )
    assert {error["field"] for error in (await bad.json(content_type=None))["errors"]} == {
        "duration_minutes",
        "address",
    }


async def test_imported_busy_times_block_and_a_bad_file_keeps_them(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    day = world.tomorrow().strftime("%Y%m%d")
    ics = ICS_TEMPLATE.format(day=day, start="1000", end="1200")
    imported = await client.post("/api/v1/me/calendar-imports", json={"ics": ics})
    assert imported.status == 201, await imported.text()
    assert (await imported.json())["busy_count"] == 1
    starts = await local_starts(client, world)
    assert "09:00" in starts and "12:15" in starts
    assert not {"09:15", "10:00", "11:00", "12:00"} & starts
    broken = await client.post(
        "/api/v1/me/calendar-imports",
        json={"ics": "<html>not a calendar</html>"},
        headers={"Accept-Language": "en"},
    )
    assert broken.status == 422
    assert (await broken.json(content_type=None))["errors"] == [
        {"field": "ics", "message": "The file is not a calendar (.ics) file."}
    ]
    assert await local_starts(client, world) == starts


async def test_an_ics_address_is_fetched_and_refreshed(
    aiohttp_client: Any, aiohttp_server: Any, database_url: str
) -> None:
    published = {"body": "", "status": 200}

    async def calendar(_request: web.Request) -> web.Response:
        return web.Response(
            text=published["body"], status=published["status"], content_type="text/calendar"
        )

    remote = web.Application()
    remote.router.add_get("/calendar.ics", calendar)
    remote_server: TestServer = await aiohttp_server(remote, host="127.0.0.1")
    app = create_app(make_settings(database_url, ics_fetch_private_addresses="true"))
    client = await aiohttp_client(app)
    world = await make_world(client)
    await log_in(client, "maria@example.com")
    day = world.tomorrow().strftime("%Y%m%d")
    published["body"] = ICS_TEMPLATE.format(day=day, start="0800", end="0900")
    added = await client.post(
        "/api/v1/me/calendar-imports", json={"url": str(remote_server.make_url("/calendar.ics"))}
    )
    assert added.status == 201, await added.text()
    assert min(await local_starts(client, world)) == "09:15"

    calendars = client.app[calendar_service_key]
    published["body"] = ICS_TEMPLATE.format(day=day, start="0800", end="1000")
    assert await calendars.refresh_url_imports() == 1
    assert min(await local_starts(client, world)) == "10:15"
    # The address fails: what was imported stays, and the error is kept for the caseworker.
    published["status"] = 500
    assert await calendars.refresh_url_imports() == 0
    assert min(await local_starts(client, world)) == "10:15"
    viewer = Viewer(world.maria, "", "", Role.CASEWORKER, "")
    [source] = await calendars.imports(viewer, world.maria)
    assert source.last_error == "The calendar address did not answer with a calendar."


async def test_internal_addresses_are_not_fetched_by_default(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    answer = await client.post(
        "/api/v1/me/calendar-imports", json={"url": "http://127.0.0.1:9/calendar.ics"}
    )
    assert answer.status == 422


async def test_the_subscription_feed_lists_bookings_and_can_be_revoked(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    import vobject

    booking = await (
        await client.post("/api/v1/bookings", json=booking_body(world, world.tomorrow_at(9)))
    ).json()
    calendars = client.app[calendar_service_key]
    maria = Viewer(world.maria, "Maria", "maria@example.com", Role.CASEWORKER, "")
    token = await calendars.new_feed_token(maria, world.maria)
    answer = await client.get(f"/calendars/feed/{token}.ics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    body = await answer.read()
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == world.tomorrow_at(9)
    assert "Liisa Asiakas" in str(event["SUMMARY"])
    # An independent parser reads the same feed.
    parsed = vobject.readOne(body.decode())
    assert parsed.vevent.dtstart.value == world.tomorrow_at(9)
    assert parsed.vevent.uid.value == str(event["UID"])
    await calendars.revoke_feed_token(maria, world.maria)
    assert (await client.get(f"/calendars/feed/{token}.ics")).status == 404
    assert booking["id"]
    assert (await client.get("/calendars/feed/not-a-token.ics")).status == 404


async def test_only_caseworkers_use_the_calendar_api(
    client: TestClient[Any, Any], world: BookingWorld, admin: str
) -> None:
    assert (await client.get("/api/v1/me/working-hours")).status == 403
    await client.post("/api/v1/auth/logout")
    assert (await client.get("/api/v1/me/working-hours")).status == 401


def test_a_day_is_long_enough_for_the_fixtures() -> None:
    assert timedelta(hours=8) > timedelta(minutes=45)


async def test_admin_adds_units_and_their_meeting_types(
    client: TestClient[Any, Any], admin: str
) -> None:
    unit = await client.post(
        "/api/v1/admin/units", json={"name": {"fi": "Aikuiset", "sv": "Vuxna", "en": "Adults"}}
    )
    assert unit.status == 201, await unit.text()
    unit_id = (await unit.json())["id"]
    body = {
        "name": {"fi": "Puhelu", "sv": "Samtal", "en": "Call"},
        "duration_minutes": 30,
        "modes": ["phone"],
    }
    created = await client.post(f"/api/v1/admin/units/{unit_id}/meeting-types", json=body)
    assert created.status == 201, await created.text()
    meeting_type = await created.json()
    assert meeting_type["unit_id"] == unit_id
    patched = await client.patch(
        f"/api/v1/admin/meeting-types/{meeting_type['id']}", json={"is_active": False}
    )
    assert (await patched.json())["is_active"] is False
    listed = await (await client.get(f"/api/v1/admin/units/{unit_id}/meeting-types")).json()
    assert [item["id"] for item in listed["meeting_types"]] == [meeting_type["id"]]
    assert (await client.post("/api/v1/admin/units/nope/meeting-types", json=body)).status == 404
    bad = await client.post("/api/v1/admin/units", json={"name": {"fi": "Vain suomeksi"}})
    assert {error["field"] for error in (await bad.json(content_type=None))["errors"]} == {
        "name.sv",
        "name.en",
    }
    units = await (await client.get("/api/v1/admin/units")).json()
    assert [item["name"]["en"] for item in units["units"]] == ["Adults"]


async def test_caseworkers_cannot_use_the_admin_api(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    await log_in(client, "maria@example.com")
    assert (await client.get("/api/v1/admin/units")).status == 403
    assert (
        await client.patch(
            f"/api/v1/admin/meeting-types/{world.meeting_type_id}", json={"is_active": False}
        )
    ).status == 403


async def test_slots_and_bookings_across_the_spring_clock_change_in_stockholm(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    """Sunday 28 March 2027: Stockholm moves from +01:00 to +02:00 at 02:00."""
    from zoneinfo import ZoneInfo

    from booking.keys import booking_service_key

    stockholm = ZoneInfo("Europe/Stockholm")
    calendars = client.app[calendar_service_key]
    await calendars.set_working_hours(
        world.maria,
        "Europe/Stockholm",
        [OpeningInterval(day, time(9, 0), time(12, 0)) for day in range(7)],
    )
    client.app[booking_service_key]._clock = lambda: datetime(2027, 3, 20, 12, 0, tzinfo=HELSINKI)
    url = f"/api/v1/slots?meeting_type_id={world.meeting_type_id}&caseworker_id={world.maria}&from=2027-03-27&to=2027-03-28"
    slots = (await (await client.get(url)).json())["slots"]
    firsts: dict[str, str] = {}
    for slot in slots:
        firsts.setdefault(slot["start"][:10], slot["start"])
    # 09:00 local on both days: 08:00 UTC on Saturday (+01:00), 07:00 UTC on Sunday (+02:00).
    assert firsts == {
        "2027-03-27": "2027-03-27T09:00:00+01:00",
        "2027-03-28": "2027-03-28T09:00:00+02:00",
    }
    booked = await client.post(
        "/api/v1/bookings", json=booking_body(world, datetime(2027, 3, 28, 9, 0, tzinfo=stockholm))
    )
    assert booked.status == 201, await booked.text()
    body = await booked.json()
    assert (body["start"], body["end"]) == (
        "2027-03-28T09:00:00+02:00",
        "2027-03-28T09:45:00+02:00",
    )
    assert datetime.fromisoformat(body["start"]).astimezone(ZoneInfo("UTC")).hour == 7
