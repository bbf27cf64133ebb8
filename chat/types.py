"""What the chat desk knows of the advice services it serves (chat/service.py reads them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from core.i18n import N_
from core.principal import IdentifiedClient

# Why people wrote, for statistics only: the worker picks one when ending a chat.
TOPICS: Mapping[str, str] = {
    "parenting": N_("Parenting and family life"),
    "relationships": N_("Relationships and separation"),
    "money": N_("Money, housing and work"),
    "wellbeing": N_("Mental wellbeing and coping"),
    "substances": N_("Alcohol, drugs or gambling"),
    "violence": N_("Violence or safety"),
    "services": N_("Services and how to get them"),
    "other": N_("Something else"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceInfo:
    id: str
    slug: str
    names: Mapping[str, str]  # fi, sv, en
    unit_id: str | None
    # How many chats one worker holds at once.
    capacity: int = 3
    # The meeting type a booking offered from the chat goes to, if any.
    meeting_type_id: str | None = None

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("fi") or self.slug

    def booking_url(self) -> str:
        """The booking flow with this chat's unit (and meeting type) chosen."""
        query = f"meeting_type_id={self.meeting_type_id}&" if self.meeting_type_id else ""
        return f"/book?{query}unit_id={self.unit_id}" if self.unit_id else "/book"


class ChatKeeper(Protocol):
    """Where an identified person keeps a chat (messaging/: a thread on their own pages)."""

    async def keep_chat(
        self, person: IdentifiedClient, unit_id: str, subject: str, transcript: str
    ) -> str: ...


class ChatRecords(Protocol):
    """Where the desk's written traces go (chat/service.py): never what was said."""

    async def chat_ended(
        self,
        service_id: str,
        topic: str,
        started_at: datetime,
        waited_seconds: int,
        talked_seconds: int,
        transferred: bool,
        identified: bool,
    ) -> None: ...

    async def staff_action(self, user_id: str, action: str, chat_id: str) -> None: ...
