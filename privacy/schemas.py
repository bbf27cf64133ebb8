"""The person's-rights API's bodies (privacy/routes.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PersonQueryIn(BaseModel):
    """Whom to find: any of the three. Sent in the body, never the address, so no identifier
    ends up in a log line."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=40)
    identity_code: str = Field("", max_length=20)


class ErasureIn(PersonQueryIn):
    reason: str = Field(max_length=200, description="Why, for the access log (80 characters)")


class PersonalDataOut(BaseModel):
    searched_by: dict[str, str]
    found_at: datetime
    bookings: list[dict[str, Any]]
    assessments: list[dict[str, Any]]
    meeting_events: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    concern_reports: list[dict[str, Any]]
    # With identification on and an identity code searched: the client's own features.
    message_threads: list[dict[str, Any]] = []
    shared_documents: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    accessibility_feedback: list[dict[str, Any]] = []
    access_log: list[dict[str, Any]]


class ErasureOut(BaseModel):
    bookings: int
    messages: int
    kept_upcoming_bookings: int
    kept_reports: int
    feedback: int = 0
