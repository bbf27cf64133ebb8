"""The caseworker's calendar row (time zone, meeting languages, feed hash) and the rule of who may
change a calendar, shared by the calendar services."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from calendars.models import CaseworkerCalendar
from core.errors import Forbidden, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role

# The zone of a caseworker who has not set up a calendar yet.
DEFAULT_ZONE = "Europe/Helsinki"


def own_calendar(viewer: Viewer | None, caseworker_id: str) -> Viewer:
    """Caseworkers manage their own calendar; admins anyone's."""
    actor = require_role(viewer, Role.CASEWORKER, Role.ADMIN)
    if actor.role is Role.CASEWORKER and actor.user_id != caseworker_id:
        raise Forbidden()
    return actor


def check_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Europe'
        raise ValidationFailed({"time_zone": N_("Choose a time zone.")}) from None


async def calendar_row(session: AsyncSession, caseworker_id: str) -> CaseworkerCalendar:
    """The caseworker's calendar row, made with the defaults the first time it is changed."""
    calendar = await session.get(CaseworkerCalendar, caseworker_id)
    if calendar is None:
        calendar = CaseworkerCalendar(
            caseworker_id=caseworker_id, time_zone=DEFAULT_ZONE, languages="fi"
        )
        session.add(calendar)
    return calendar
