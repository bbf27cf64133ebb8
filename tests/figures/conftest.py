"""A unit's month to count: bookings and concern reports written straight into the tables, so
that a test can place them in any month, past clock changes included."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from booking.models import Booking
from core.app_keys import sessions_key
from core.settings import Settings
from reports.deadlines import deadlines_for
from reports.models import ConcernReport
from tests.conftest import make_settings

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, file_store=str(tmp_path / "files"))


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


async def add_booking(
    app: web.Application,
    caseworker_id: str,
    meeting_type_id: str,
    starts: datetime,
    *,
    mode: str = "video",
    status: str = "confirmed",
    cancelled_by: str | None = None,
) -> None:
    ends = starts + timedelta(minutes=45)
    async with app[sessions_key].begin() as session:
        session.add(
            Booking(
                caseworker_id=caseworker_id,
                meeting_type_id=meeting_type_id,
                starts_at=starts,
                ends_at=ends,
                blocked_from=starts,
                blocked_until=ends,
                status=status,
                mode=mode,
                language="fi",
                client_name="Liisa Asiakas",
                client_key=uuid.uuid4().hex,
                manage_token_hash=uuid.uuid4().hex,
                ical_uid=f"{uuid.uuid4()}@test",
                cancelled_by=cancelled_by,
            )
        )


async def add_report(
    app: web.Application,
    received: datetime,
    *,
    reporter_kind: str = "professional",
    assessed: datetime | None = None,
    decided: datetime | None = None,
    child: str | None = None,
) -> None:
    deadlines = deadlines_for(received.astimezone(HELSINKI).date(), "fi")
    number = uuid.uuid4().int % 1_000_000
    async with app[sessions_key].begin() as session:
        session.add(
            ConcernReport(
                reference=f"OR-{received.year}-{number:06d}",
                year=received.year,
                number=number,
                submission_id=uuid.uuid4().hex,
                reporter_kind=reporter_kind,
                language="fi",
                jurisdiction="fi",
                content=b"not read by the statistics",
                received_at=received,
                protection_due=deadlines.protection_assessment.due,
                decision_due=deadlines.decision.due,
                protection_assessed_at=assessed,
                decided_at=decided,
                child_identity_hash=child,
                status="received" if decided is None else "investigation_opened",
            )
        )
