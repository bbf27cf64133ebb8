"""Bookings go KOHTAAMO_BOOKING_RETENTION_DAYS after the meeting, with everything that hangs off
them (messages, guest links, meeting events, assessment results), in counted batches."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from assessments.keys import assessment_retention_key
from assessments.models import AssessmentResult
from audit.keys import access_log_retention_key
from audit.models import AccessLogEntry
from booking.keys import booking_service_key
from booking.models import Booking
from core.app_keys import sessions_key
from notifications.keys import leader_jobs_key, outbox_retention_key
from notifications.models import OutboxMessage
from reports.keys import report_service_key
from reports.models import ConcernReport
from reports.schemas import ConcernReportIn
from tests.booking.conftest import BookingWorld, booking_body
from tests.reports.conftest import report_payload
from video.models import MeetingEvent, MeetingGuest

DAYS = 180  # the default


def set_clocks(app: web.Application, moment: datetime) -> None:
    """Every retention's clock at ``moment`` (the booking service's is its retention's)."""
    app[booking_service_key]._clock = lambda: moment
    app[outbox_retention_key]._clock = lambda: moment
    app[assessment_retention_key]._clock = lambda: moment
    app[access_log_retention_key]._clock = lambda: moment


async def book(
    client: TestClient[Any, Any], world: BookingWorld, start: datetime, **changes: Any
) -> dict[str, Any]:
    # A client of their own each: a client may hold only one booking of a meeting type at once.
    person = uuid.uuid4().hex[:8]
    changes.setdefault("client", {"name": "Liisa Asiakas", "email": f"{person}@example.com"})
    answer = await client.post("/api/v1/bookings", json=booking_body(world, start, **changes))
    assert answer.status == 201, await answer.text()
    return dict(await answer.json())


async def attach_meeting_records(app: web.Application, booking_id: str, invited_by: str) -> None:
    """A guest link, a meeting event and a result with its correction, as the meeting leaves."""
    async with app[sessions_key].begin() as session:
        session.add(
            MeetingGuest(
                booking_id=booking_id,
                display_name="Tulkki Tiina",
                token_hash=uuid.uuid4().hex,
                invited_by=invited_by,
            )
        )
        session.add(
            MeetingEvent(booking_id=booking_id, kind="joined", role="client", participant_id="p1")
        )
        first = AssessmentResult(
            booking_id=booking_id,
            template_id="who-5",
            template_version=1,
            answers={"calm": "most"},
            filled_by="client",
        )
        session.add(first)
        await session.flush()
        session.add(
            AssessmentResult(
                booking_id=booking_id,
                template_id="who-5",
                template_version=1,
                answers={"calm": "some"},
                filled_by="caseworker",
                submitted_by=invited_by,
                replaces_id=first.id,
                correction_reason="väärin kirjattu",
            )
        )


async def rows_of(app: web.Application, booking_id: str) -> dict[str, int]:
    async with app[sessions_key]() as session:

        async def count(model: Any) -> int:
            statement = select(func.count()).select_from(model)
            if model is Booking:
                statement = statement.where(Booking.id == booking_id)
            else:
                statement = statement.where(model.booking_id == booking_id)
            return int(await session.scalar(statement) or 0)

        return {
            "booking": await count(Booking),
            "outbox": await count(OutboxMessage),
            "guests": await count(MeetingGuest),
            "events": await count(MeetingEvent),
            "results": await count(AssessmentResult),
        }


async def retention_entries(app: web.Application) -> list[tuple[str, str, str]]:
    async with app[sessions_key]() as session:
        rows = await session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.purpose == "retention")
            .order_by(AccessLogEntry.subject_type, AccessLogEntry.subject_id)
        )
        return [(row.action, row.subject_type, row.subject_id) for row in rows]


async def test_a_booking_goes_with_what_hangs_off_it_at_its_time_and_not_a_day_before(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    app = client.app
    expiring = await book(client, world, world.tomorrow_at(9))
    later = await book(client, world, world.tomorrow_at(9) + timedelta(days=3))
    for booked in (expiring, later):
        await attach_meeting_records(app, booked["id"], world.maria)
    ends = datetime.fromisoformat(expiring["end"])
    kept = await rows_of(app, later["id"])
    before = await rows_of(app, expiring["id"])
    assert before["outbox"] > 0 and before["guests"] == before["events"] == 1
    assert before["results"] == 2

    set_clocks(app, ends + timedelta(days=DAYS - 1))
    assert await app[booking_service_key].delete_expired() == 0
    assert await rows_of(app, expiring["id"]) == before

    set_clocks(app, ends + timedelta(days=DAYS, minutes=1))
    assert await app[booking_service_key].delete_expired() == 1
    assert await rows_of(app, expiring["id"]) == dict.fromkeys(before, 0)
    # The other booking (its meeting three days later) keeps all it had.
    assert await rows_of(app, later["id"]) == kept
    entries = await retention_entries(app)
    assert ("retention.deleted", "booking", "count:1") in entries
    assert ("retention.deleted", "meeting_guest", "count:1") in entries
    assert ("retention.deleted", "meeting_event", "count:1") in entries
    assert ("retention.deleted", "assessment_result", "count:2") in entries
    assert ("retention.deleted", "outbox_message", f"count:{before['outbox']}") in entries


async def test_a_future_booking_survives(client: TestClient[Any, Any], world: BookingWorld) -> None:
    app = client.app
    # A year ahead, a booking for the next day: its meeting is still to come.
    moment = world.tomorrow_at(12) + timedelta(days=365)
    set_clocks(app, moment - timedelta(days=1, hours=1))
    future = await book(client, world, moment)
    set_clocks(app, moment - timedelta(hours=1))
    assert await app[booking_service_key].delete_expired() == 0
    assert (await rows_of(app, future["id"]))["booking"] == 1


async def test_each_batch_leaves_one_access_log_entry_with_its_count(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    app = client.app
    ends = []
    for hour, caseworker in ((9, world.maria), (9, world.johan), (12, world.maria)):
        booked = await book(client, world, world.tomorrow_at(hour), caseworker_id=caseworker)
        ends.append(datetime.fromisoformat(booked["end"]))
    set_clocks(app, max(ends) + timedelta(days=DAYS, minutes=1))
    assert await app[booking_service_key].delete_expired(batch=2) == 3
    bookings = [entry for entry in await retention_entries(app) if entry[1] == "booking"]
    assert bookings == [
        ("retention.deleted", "booking", "count:1"),
        ("retention.deleted", "booking", "count:2"),
    ]


async def test_the_leaders_daily_job_removes_expired_bookings_and_never_an_open_report(
    client: TestClient[Any, Any], world: BookingWorld
) -> None:
    app = client.app
    booked = await book(client, world, world.tomorrow_at(9))
    reports = app[report_service_key]
    report = await reports.submit(ConcernReportIn.model_validate(report_payload()))
    far = datetime.fromisoformat(booked["end"]) + timedelta(days=10 * 365)
    set_clocks(app, far)
    reports._clock = lambda: far

    await app[leader_jobs_key].run("personal-data-retention")
    await app[leader_jobs_key].run("concern-report-retention")

    assert (await rows_of(app, booked["id"]))["booking"] == 0
    async with app[sessions_key]() as session:
        kept = (await session.scalars(select(ConcernReport.reference))).all()
    assert kept == [report.reference]  # still open: never removed
