"""Shared documents to the client record system, through the notifications outbox's webhook
(notifications/records.py): one event per document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.lookup import PersonHasher
from notifications.records import add_record_event


class DocumentRecords:
    def __init__(self, hasher: Callable[[], PersonHasher], *, enabled: bool) -> None:
        self._hasher = hasher
        self._enabled = enabled

    async def document_shared(
        self, session: AsyncSession, document_id: str, document: dict[str, Any]
    ) -> None:
        await add_record_event(
            session,
            self._hasher(),
            enabled=self._enabled,
            event_id=f"shared-document:{document_id}",
            kind="shared_document.shared",
            payload=document,
        )
