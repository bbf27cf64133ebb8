"""Demo data: a municipality with two units, three caseworkers with working hours and meeting
types, an intake worker, an admin, and a few bookings in the coming weeks.

Running it again changes nothing that is already there and prints the same logins.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import NamedTuple

from accounts.service import SYSTEM, AccountService
from booking.service import BookingService
from booking.types import BookingRequest, ClientDetails
from calendars.meeting_types import MeetingTypeFields, PreMeetingQuestion
from calendars.service import CalendarService
from calendars.working_time import OpeningInterval
from chat.service import ChatServices
from core.db import utcnow
from core.principal import Role
from discussions.service import GroupSessions

DEMO_PASSWORD = "kohtaamo-demo-2026"
MUNICIPALITY = "Demokunta – Demokommun"
UNITS = {
    "family": ("Lapsiperheiden palvelut", "Tjänster för barnfamiljer", "Family services"),
    "adult": ("Aikuissosiaalityö", "Socialt arbete för vuxna", "Adult social work"),
}
PEOPLE = (
    ("admin@demokunta.example", "Aino Admin", Role.ADMIN, None),
    ("intake@demokunta.example", "Ilkka Intake", Role.INTAKE, "family"),
    ("maria.virtanen@demokunta.example", "Maria Virtanen", Role.CASEWORKER, "family"),
    ("johan.lindqvist@demokunta.example", "Johan Lindqvist", Role.CASEWORKER, "family"),
    ("sanna.korhonen@demokunta.example", "Sanna Korhonen", Role.CASEWORKER, "adult"),
)
# Office hours with a lunch break, Monday to Friday; Thursday afternoon is kept for team work.
WEEKLY_HOURS = [
    OpeningInterval(day, start, end)
    for day in range(5)
    for start, end in ((time(8, 30), time(11, 30)), (time(12, 15), time(15, 45)))
    if not (day == 3 and start.hour >= 12)
]
TOPIC = PreMeetingQuestion(
    id="topic",
    kind="text",
    label={
        "fi": "Mistä haluaisit puhua tapaamisessa?",
        "sv": "Vad vill du prata om på mötet?",
        "en": "What would you like to talk about in the meeting?",
    },
)
INTERPRETER = PreMeetingQuestion(
    id="interpreter",
    kind="yes_no",
    label={
        "fi": "Tarvitsetko tulkin?",
        "sv": "Behöver du tolk?",
        "en": "Do you need an interpreter?",
    },
)
MEETING_TYPES = (
    MeetingTypeFields(
        name_fi="Seurantatapaaminen videolla",
        name_sv="Uppföljningsmöte på video",
        name_en="Video follow-up",
        duration_minutes=45,
        buffer_after_minutes=15,
        modes=("video", "phone"),
        asks_pre_meeting_form=True,
        pre_meeting_questions=(TOPIC, INTERPRETER),
    ),
    MeetingTypeFields(
        name_fi="Tapaaminen toimistolla",
        name_sv="Möte på byrån",
        name_en="Meeting at the office",
        duration_minutes=60,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        modes=("in_person",),
        address="Sosiaalitoimisto, Kauppakatu 1 A, 2. krs / Socialbyrån, Handelsgatan 1 A, vån. 2",
        asks_pre_meeting_form=True,
        pre_meeting_questions=(TOPIC, INTERPRETER),
    ),
    MeetingTypeFields(
        name_fi="Puhelinaika",
        name_sv="Telefontid",
        name_en="Phone call",
        duration_minutes=30,
        modes=("phone",),
    ),
)
DEMO_CLIENTS = (
    ("Liisa Esimerkki", "liisa.esimerkki@example.com", "040 123 4501", "fi"),
    ("Erik Exempel", "erik.exempel@example.com", "040 123 4502", "sv"),
    ("Amira Example", "amira.example@example.com", "040 123 4503", "en"),
    ("Pekka Puhelin", "pekka.puhelin@example.com", "040 123 4504", "fi"),
)


# The family services' advice chat, open on weekdays (answered by the family unit's caseworkers).
CHAT = {
    "slug": "perheneuvonta",
    "names": {
        "fi": "Perheneuvonnan chat",
        "sv": "Familjerådgivningens chatt",
        "en": "Family advice chat",
    },
    "hours": {str(day): ["08:00", "20:00"] for day in range(5)},
    "phone": "09 310 12345",
    "capacity": 3,
}


class DemoGroup(NamedTuple):
    topic: str
    description: str
    language: str
    starts_in_minutes: int
    minutes: int
    capacity: int
    premoderation: bool


# The family services' group discussions: one going on now (with pre-moderation, its host
# Maria Virtanen), one next week.
GROUPS = (
    DemoGroup(
        "Arki teini-ikäisen kanssa",
        "Vanhempien keskustelu murrosikäisen kanssa elämisestä.",
        "fi",
        starts_in_minutes=-30,
        minutes=150,
        capacity=20,
        premoderation=True,
    ),
    DemoGroup(
        "Att vara förälder i en ny familj",
        "Ett samtal för föräldrar i ombildade familjer.",
        "sv",
        starts_in_minutes=7 * 24 * 60,
        minutes=90,
        capacity=15,
        premoderation=False,
    ),
)


async def load_demo(
    accounts: AccountService,
    calendars: CalendarService,
    bookings: BookingService,
    chats: ChatServices,
    groups: GroupSessions,
    *,
    base_url: str,
) -> list[str]:
    municipality_id = await accounts.organisation.ensure_municipality(MUNICIPALITY)
    unit_ids = {
        key: await accounts.organisation.ensure_unit(
            municipality_id, name_fi=fi, name_sv=sv, name_en=en
        )
        for key, (fi, sv, en) in UNITS.items()
    }
    for unit_id in unit_ids.values():
        for fields in MEETING_TYPES:
            await calendars.ensure_meeting_type(fields, unit_id=unit_id)
    lines = [f"Kohtaamo demo at {base_url}/login — every demo user's password is {DEMO_PASSWORD}"]
    for email, name, role, unit in PEOPLE:
        user_id = await accounts.find_user_id(email)
        if user_id is None:
            user = await accounts.create_user(
                SYSTEM,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                unit_id=unit_ids[unit] if unit else None,
            )
            user_id = user.id
        if role is Role.CASEWORKER:
            await calendars.set_working_hours(user_id, "Europe/Helsinki", WEEKLY_HOURS)
            await calendars.set_profile(
                SYSTEM, user_id, time_zone="Europe/Helsinki", languages=("fi", "sv", "en")
            )
        lines.append(f"  {role.value:<10} {email}")
    await _book_demo_meetings(bookings, calendars, unit_ids["family"])
    await chats.ensure_service(CHAT | {"unit_id": unit_ids["family"]})
    lines.append(
        f"  advice chat: {base_url}/chat/{CHAT['slug']} (answered at {base_url}/staff/chat)"
    )
    host_id = await accounts.find_user_id("maria.virtanen@demokunta.example")
    assert host_id is not None
    now = utcnow().replace(second=0, microsecond=0)
    for group in GROUPS:
        starts_at = now + timedelta(minutes=group.starts_in_minutes)
        await groups.ensure_session(
            unit_ids["family"],
            host_id,
            group.topic,
            description=group.description,
            language=group.language,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=group.minutes),
            capacity=group.capacity,
            premoderation=group.premoderation,
        )
    lines.append(f"  group discussions: {base_url}/groups (hosted at {base_url}/staff/groups)")
    lines.append(
        f"  service information: {base_url}/accessibility, {base_url}/privacy, "
        f"{base_url}/lost-link (edited at {base_url}/admin/service-information)"
    )
    return lines


async def _book_demo_meetings(
    bookings: BookingService, calendars: CalendarService, unit_id: str
) -> None:
    """A few bookings spread over the coming weeks, so the calendars look lived in."""
    meeting_types = await calendars.unit_meeting_types(unit_id)
    today = utcnow().date()
    for number, (name, email, phone, language) in enumerate(DEMO_CLIENTS):
        if await bookings.has_live_booking(email):
            continue
        meeting_type = meeting_types[number % len(meeting_types)]
        first_day = today + timedelta(days=2 + 4 * number)
        slots = await bookings.slots(
            meeting_type.id,
            unit_id=unit_id,
            first_day=first_day,
            last_day=first_day + timedelta(days=6),
        )
        if not slots:
            continue
        slot = slots[len(slots) // 3]
        await bookings.book(
            BookingRequest(
                meeting_type_id=meeting_type.id,
                unit_id=unit_id,
                start=slot.start,
                mode=meeting_type.modes[0],
                language=language,
                client=ClientDetails(name=name, email=email, phone=phone),
                answers={"topic": "Demo"} if meeting_type.asks_pre_meeting_form else {},
            )
        )
