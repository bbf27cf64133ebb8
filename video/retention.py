"""A meeting's guest links and events go with its booking (booking.retention).

Both are about one booking's meeting and are kept exactly as long as the booking: booking's
retention calls ``bookings_removed`` in the transaction that deletes the bookings, before it does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import RETENTION_DELETED, AuditLog
from video.models import MeetingEvent, MeetingGuest


class MeetingRecordsOfRemovedBookings:
    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        ids = list(booking_ids)
        for model, kind in ((MeetingGuest, "meeting_guest"), (MeetingEvent, "meeting_event")):
            result = await session.execute(delete(model).where(model.booking_id.in_(ids)))
            count = int(getattr(result, "rowcount", 0) or 0)
            if count:
                AuditLog.add_retention(session, RETENTION_DELETED, kind, count)
