"""What the live rooms know of a group discussion's session (discussions/service.py makes it),
and where the rooms' written traces go. Plain values only: a room can be told them as JSON."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, Protocol

# A session's room opens this long before its start, for the host and the early ones.
JOIN_EARLY = timedelta(minutes=10)


@dataclasses.dataclass(frozen=True, slots=True)
class RoomInfo:
    session_id: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    premoderation: bool
    cancelled: bool
    host_id: str
    host_name: str
    moderator_ids: tuple[str, ...] = ()
    moderator_names: tuple[str, ...] = ()

    def opens_at(self) -> datetime:
        return self.starts_at - JOIN_EARLY

    def role_of(self, user_id: str | None) -> str | None:
        """``host`` or ``moderator`` for the session's own staff; None for anyone else."""
        if user_id is None:
            return None
        if user_id == self.host_id:
            return "host"
        return "moderator" if user_id in self.moderator_ids else None

    def as_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "moderator_ids": list(self.moderator_ids),
            "moderator_names": list(self.moderator_names),
        }

    @classmethod
    def of_json(cls, saved: dict[str, Any]) -> RoomInfo:
        return cls(
            **saved
            | {
                "starts_at": datetime.fromisoformat(saved["starts_at"]),
                "ends_at": datetime.fromisoformat(saved["ends_at"]),
                "moderator_ids": tuple(saved["moderator_ids"]),
                "moderator_names": tuple(saved["moderator_names"]),
            }
        )


class GroupRecords(Protocol):
    """Where a room's written traces go (discussions/service.py): who did what to which
    session, for the access log; never what was said, never who said it."""

    async def staff_action(self, user_id: str, action: str, session_id: str) -> None: ...
