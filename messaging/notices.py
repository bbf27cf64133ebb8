"""Whom messaging tells of a new message, through the notifications outbox: the client when
staff answer (at the email address of their latest booking), the assigned or addressed worker
when the client writes. Every notice is content-free (notifications/message_notices.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import StaffMember
from core.lookup import PersonHasher
from notifications.message_notices import add_new_message_notice


class MessageNotices:
    def __init__(
        self, hasher: Callable[[], PersonHasher], base_url: str, staff_language: str
    ) -> None:
        self._hasher = hasher
        self._base_url = base_url.rstrip("/")
        self._staff_language = staff_language

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
