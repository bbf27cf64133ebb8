"""What messaging hands to the notifications outbox: content-free notices of a new message (to
the client when staff answer, at the email address of their latest booking with the unit; to
the assigned or addressed worker when the client writes), and closed threads for the client
record system."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import StaffMember
from core.lookup import PersonHasher
from notifications.message_notices import add_new_message_notice
from notifications.records import add_record_event


class MessageNotices:
    def __init__(
        self,
        hasher: Callable[[], PersonHasher],
        base_url: str,
        staff_language: str,
        *,
        records_system: bool = False,
    ) -> None:
        self._hasher = hasher
        self._base_url = base_url.rstrip("/")
        self._staff_language = staff_language
        self._records_system = records_system

    async def thread_closed(
        self, session: AsyncSession, thread_id: str, closed_at: datetime, thread: dict[str, Any]
    ) -> None:
        """The closed thread, whole, to the client record system (if one is configured)."""
        await add_record_event(
            session,
            self._hasher(),
            enabled=self._records_system,
            event_id=f"message-thread:{thread_id}:closed:{closed_at.isoformat()}",
            kind="message_thread.closed",
            payload=thread,
        )

    async def staff_wrote(
        self, session: AsyncSession, message_id: str, thread_id: str, email: str, language: str
    ) -> None:
        await add_new_message_notice(
            session,
            self._hasher(),
            key=f"{message_id}:client",
            email=email,
            language=language,
            link=f"{self._base_url}/my/messages/{thread_id}",
        )

    async def client_wrote(
        self,
        session: AsyncSession,
        message_id: str,
        thread_id: str,
        workers: Sequence[StaffMember],
    ) -> None:
        for worker in workers:
            await add_new_message_notice(
                session,
                self._hasher(),
                key=f"{message_id}:{worker.id}",
                email=worker.email,
                language=self._staff_language,
                link=f"{self._base_url}/staff/messages/{thread_id}",
            )
