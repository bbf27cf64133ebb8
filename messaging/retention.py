"""Closed message threads are deleted after their unit's retention period (set by an admin, or
else ``KOHTAAMO_MESSAGE_RETENTION_DAYS``) from closing, with their messages, notes and files; the record system had each thread when it was closed. An open
thread is kept however old. Run daily by the leader; each batch is counted in the access log
(how many, never whose)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from accounts.organisation import Organisation
from audit.service import RETENTION_DELETED, AuditLog
from core.db import Sessions, utcnow
from core.files import EncryptedFiles
from messaging.models import CLOSED, MessageAttachment, MessageThread, ThreadMessage

BATCH = 100


class MessageRetention:
    def __init__(
        self,
        sessions: Sessions,
        files: EncryptedFiles,
        retention_days: int,
        organisation: Organisation,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._files = files
        self._retention_days = retention_days
        self._organisation = organisation
        self._clock = clock

    async def delete_expired(self) -> int:
        """Delete threads closed longer ago than their unit's period; how many went."""
        units_by_period: dict[int, list[str]] = {}
        for unit in await self._organisation.units():
            days = unit.message_retention_days or self._retention_days
            units_by_period.setdefault(days, []).append(unit.id)
        now = self._clock()
        deleted = 0
        for days, unit_ids in sorted(units_by_period.items()):
            deleted += await self._delete_closed_before(now - timedelta(days=days), unit_ids)
        return deleted

    async def _delete_closed_before(self, cutoff: datetime, unit_ids: list[str]) -> int:
        deleted = 0
        while True:
            async with self._sessions.begin() as session:
                thread_ids = list(
                    await session.scalars(
                        select(MessageThread.id)
                        .where(
                            MessageThread.status == CLOSED,
                            MessageThread.closed_at < cutoff,
                            MessageThread.unit_id.in_(unit_ids),
                        )
                        .limit(BATCH)
                    )
                )
                if not thread_ids:
                    return deleted
                message_ids = select(ThreadMessage.id).where(
                    ThreadMessage.thread_id.in_(thread_ids)
                )
                blob_ids = list(
                    await session.scalars(
                        select(MessageAttachment.blob_id).where(
                            MessageAttachment.message_id.in_(message_ids)
                        )
                    )
                )
                await session.execute(
                    delete(MessageAttachment).where(MessageAttachment.message_id.in_(message_ids))
                )
                await session.execute(
                    delete(ThreadMessage).where(ThreadMessage.thread_id.in_(thread_ids))
                )
                await session.execute(delete(MessageThread).where(MessageThread.id.in_(thread_ids)))
                AuditLog.add_retention(
                    session, RETENTION_DELETED, "message_thread", len(thread_ids)
                )
            for blob_id in blob_ids:  # after the commit: a rolled-back batch keeps its files
                self._files.delete(blob_id)
            deleted += len(thread_ids)
