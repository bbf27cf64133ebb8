"""What the chat desk knows of the advice services it serves (chat/service.py reads them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from core.i18n import N_

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
