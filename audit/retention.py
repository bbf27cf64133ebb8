"""How long the access log itself is kept (``KOHTAAMO_ACCESS_LOG_RETENTION_DAYS``).

The log must outlive the data it is about: a client may ask who read their data long after
the booking is gone. Entries older than the period are deleted by the leader's retention job in
batches, each batch counted in the log itself (an entry that is new, so it stays).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.models import AccessLogEntry
from audit.service import RETENTION_DELETED, AuditLog
from core.batches import in_batches
from core.db import Sessions, utcnow

BATCH = 500
KIND = "access_log_entry"


class AccessLogRetention:
    def __init__(
        self, sessions: Sessions, retention_days: int, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._retention_days = retention_days
        self._clock = clock

    async def delete_expired(self, batch: int = BATCH) -> int:
        """Delete entries older than the retention period, ``batch`` a transaction; returns
        how many went."""
        cutoff = self._clock() - timedelta(days=self._retention_days)
        expired = (
            select(AccessLogEntry.id)
            .where(AccessLogEntry.at < cutoff)
            .order_by(AccessLogEntry.at, AccessLogEntry.id)
        )

        async def delete_entries(session: AsyncSession, ids: list[str]) -> int:
            await session.execute(delete(AccessLogEntry).where(AccessLogEntry.id.in_(ids)))
            AuditLog.add_retention(session, RETENTION_DELETED, KIND, len(ids))
            return len(ids)

        return await in_batches(self._sessions, expired, delete_entries, batch)
