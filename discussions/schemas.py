"""The group discussions API's bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from discussions.service import SessionView


class GroupOut(BaseModel):
    id: str
    topic: str
    description: str
    language: str
    host: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    premoderation: bool
    # Whether the room is open to join now (from ten minutes before the start to the end).
    open_now: bool
    # The host's summary, once published after the end; null before.
    summary: str | None

    @classmethod
    def of(cls, view: SessionView, now: datetime) -> GroupOut:
        return cls(
            id=view.id,
            topic=view.topic,
            description=view.description,
            language=view.language,
            host=view.host_name,
            starts_at=view.starts_at,
            ends_at=view.ends_at,
            capacity=view.capacity,
            premoderation=view.premoderation,
            open_now=view.is_on(now),
            summary=view.summary if view.summary_published_at else None,
        )


class GroupsOut(BaseModel):
    # Going on or to come, soonest first.
    upcoming: list[GroupOut]
    # Ended, with the host's summary, newest first.
    past: list[GroupOut]
