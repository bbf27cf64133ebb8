"""The secret token of a caseworker's private subscription feed (their bookings as .ics): made,
stopped and looked up. Only its hash is stored, so a leaked database gives no feed address."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from calendars.caseworker_calendar import calendar_row, own_calendar
from calendars.models import CaseworkerCalendar
from core.crypto import token_hash
from core.db import Sessions
from core.errors import NotFound
from core.principal import Viewer


class FeedTokens:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def new_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> str:
        """A new secret feed address; the previous one stops working."""
        own_calendar(viewer, caseworker_id)
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            calendar = await calendar_row(session, caseworker_id)
            calendar.feed_token_hash = token_hash(token)
        return token

    async def revoke_feed_token(self, viewer: Viewer | None, caseworker_id: str) -> None:
        own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            calendar = await calendar_row(session, caseworker_id)
            calendar.feed_token_hash = None

    async def has_feed(self, caseworker_id: str) -> bool:
        async with self._sessions() as session:
            calendar = await session.get(CaseworkerCalendar, caseworker_id)
            return bool(calendar and calendar.feed_token_hash)

    async def caseworker_for_feed(self, token: str) -> str:
        if not token or len(token) > 100:
            raise NotFound()
        async with self._sessions() as session:
            caseworker_id = await session.scalar(
                select(CaseworkerCalendar.caseworker_id).where(
                    CaseworkerCalendar.feed_token_hash == token_hash(token)
                )
            )
        if caseworker_id is None:
            raise NotFound()
        return caseworker_id
