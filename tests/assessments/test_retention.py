"""KOHTAAMO_ASSESSMENT_RETENTION_DAYS: results may go before their booking, never after it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from assessments.keys import assessment_retention_key
from assessments.models import AssessmentResult
from audit.models import AccessLogEntry
from booking.keys import booking_service_key
from booking.models import Booking
from core.app_keys import sessions_key
from core.settings import Settings, SettingsError
from tests.booking.conftest import make_world
from tests.booking.test_retention import attach_meeting_records, book
from tests.conftest import make_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, assessment_retention_days="30")


async def stored(app: web.Application) -> tuple[list[str], list[str]]:
    async with app[sessions_key]() as session:
        bookings = (await session.scalars(select(Booking.id))).all()
        results = (await session.scalars(select(AssessmentResult.booking_id))).all()
    return list(bookings), sorted(results)


async def test_results_go_after_their_own_period_and_the_booking_stays(
    client: TestClient[Any, Any],
) -> None:
    app = client.app
    world = await make_world(client)
    early = await book(client, world, world.tomorrow_at(9))
    late = await book(client, world, world.tomorrow_at(9) + timedelta(days=2))
    for booked in (early, late):
        await attach_meeting_records(app, booked["id"], world.maria)
    ends = datetime.fromisoformat(early["end"])
    retention = app[assessment_retention_key]

    retention._clock = lambda: ends + timedelta(days=29)
    assert await retention.delete_expired() == 0

    retention._clock = lambda: ends + timedelta(days=30, minutes=1)
    assert await retention.delete_expired(batch=1) == 2
    bookings, results = await stored(app)
    assert sorted(bookings) == sorted([early["id"], late["id"]])
    assert results == [late["id"], late["id"]]
    async with app[sessions_key]() as session:
        entries = (
            await session.scalars(
                select(AccessLogEntry.subject_id).where(
                    AccessLogEntry.action == "retention.deleted",
                    AccessLogEntry.subject_type == "assessment_result",
                )
            )
        ).all()
    assert entries == ["count:2"]
    # The booking itself stays its own, longer time.
    app[booking_service_key]._clock = lambda: ends + timedelta(days=30, minutes=1)
    assert await app[booking_service_key].delete_expired() == 0


def test_results_cannot_be_kept_longer_than_their_booking(database_url: str) -> None:
    with pytest.raises(SettingsError, match="ASSESSMENT_RETENTION_DAYS"):
        make_settings(database_url, booking_retention_days="90", assessment_retention_days="91")
    assert make_settings(database_url, booking_retention_days="90").assessment_retention_days == 90
