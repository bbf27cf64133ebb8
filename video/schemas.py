"""JSON shapes of the meeting API (the WebSocket protocol is in video/signaling.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from video.signaling import Credential


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionDescriptionIn(_In):
    type: Literal["offer"]
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=60_000)]


class ConnectionTestIn(_In):
    credential: Credential | None = None
    offer: SessionDescriptionIn


class SessionDescriptionOut(BaseModel):
    type: Literal["answer"]
    sdp: str


class ConnectionTestOut(BaseModel):
    answer: SessionDescriptionOut
    max_seconds: int


class GuestIn(_In):
    display_name: Annotated[str, StringConstraints(max_length=200)]


class GuestOut(BaseModel):
    id: str
    display_name: str
    created_at: AwareDatetime
    claimed_at: AwareDatetime | None
    revoked_at: AwareDatetime | None


class GuestCreatedOut(BaseModel):
    id: str
    display_name: str
    join_url: str


class EventOut(BaseModel):
    kind: str
    role: str
    participant_id: str
    at: AwareDatetime
    seconds: int | None


class WaitingOut(BaseModel):
    id: str
    role: str
    name: str


class MeetingOut(BaseModel):
    id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    protected: bool
    relay_only: bool
    lobby: list[WaitingOut]
    guests: list[GuestOut]
    events: list[EventOut]


class MeetingPatchIn(_In):
    protected: bool
