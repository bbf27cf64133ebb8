"""Demo data: a municipality, two units, three caseworkers with working hours, intake and admin.

Running it again changes nothing that is already there and prints the same logins.
"""

from __future__ import annotations

from datetime import time

from accounts.service import SYSTEM, AccountService
from calendars.service import CalendarService, OpeningInterval
from core.principal import Role

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


async def load_demo(
    accounts: AccountService, calendars: CalendarService, *, base_url: str
) -> list[str]:
    municipality_id = await accounts.ensure_municipality(MUNICIPALITY)
    unit_ids = {
        key: await accounts.ensure_unit(municipality_id, name_fi=fi, name_sv=sv, name_en=en)
        for key, (fi, sv, en) in UNITS.items()
    }
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
        lines.append(f"  {role.value:<10} {email}")
    return lines
