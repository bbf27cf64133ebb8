"""A small municipality to book in: one unit, two caseworkers open every day 08:00–16:00."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from accounts.keys import account_service_key
from accounts.service import SYSTEM
from calendars.keys import calendar_service_key
from calendars.meeting_types import MeetingTypeFields
from calendars.working_time import OpeningInterval
from core.principal import Role
from tests.conftest import create_user

HELSINKI = ZoneInfo("Europe/Helsinki")
EVERY_DAY = [OpeningInterval(weekday, time(8, 0), time(16, 0)) for weekday in range(7)]


@dataclasses.dataclass(frozen=True)
class BookingWorld:
    unit_id: str
    maria: str
    johan: str
    meeting_type_id: str

    @staticmethod
    def tomorrow_at(hour: int, minute: int = 0) -> datetime:
        day = datetime.now(HELSINKI).date() + timedelta(days=1)
        return datetime.combine(day, time(hour, minute), HELSINKI)

    @staticmethod
    def tomorrow() -> date:
        return datetime.now(HELSINKI).date() + timedelta(days=1)


async def make_world(client: TestClient[Any, Any], **meeting_type: Any) -> BookingWorld:
    accounts = client.app[account_service_key]
    calendars = client.app[calendar_service_key]
    municipality = await accounts.organisation.ensure_municipality("Testikunta")
    unit_id = await accounts.organisation.ensure_unit(
        municipality, name_fi="Perhepalvelut", name_sv="Familjetjänster", name_en="Family services"
    )
    maria = await create_user(
        client.app, Role.CASEWORKER, "maria@example.com", name="Maria Virtanen"
    )
    johan = await create_user(
        client.app, Role.CASEWORKER, "johan@example.com", name="Johan Lindqvist"
    )
    for person in (maria, johan):
        await accounts_set_unit(client, person, unit_id)
        await calendars.set_working_hours(person, "Europe/Helsinki", EVERY_DAY)
    fields = MeetingTypeFields(
        name_fi="Seurantatapaaminen",
        name_sv="Uppföljningsmöte",
        name_en="Follow-up meeting",
        duration_minutes=45,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        minimum_notice_minutes=0,
        horizon_days=30,
        slot_step_minutes=15,
        modes=("video", "phone", "in_person"),
        address="Sosiaalitoimisto, Kauppakatu 1",
        **meeting_type,
    )
    created = await calendars.create_meeting_type(SYSTEM, fields, unit_id=unit_id)
    return BookingWorld(unit_id=unit_id, maria=maria, johan=johan, meeting_type_id=created.id)


async def accounts_set_unit(client: TestClient[Any, Any], user_id: str, unit_id: str) -> None:
    await client.app[account_service_key].assign_unit(SYSTEM, user_id, unit_id)


def booking_body(world: BookingWorld, when: datetime, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_type_id": world.meeting_type_id,
        "caseworker_id": world.maria,
        "start": when.isoformat(),
        "mode": "video",
        "language": "fi",
        "client": {"name": "Liisa Asiakas", "email": "liisa@example.com", "phone": "040 123 4567"},
        "answers": {},
    }
    body.update(changes)
    return body
