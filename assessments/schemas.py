"""The assessment API's typed answers (the source of its OpenAPI description)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ResultOut(BaseModel):
    id: str
    booking_id: str
    template_id: str
    template_version: int
    answers: dict[str, Any]
    score: dict[str, Any] | None
    filled_by: str
    submitted_at: datetime
    submitted_by: str | None
    replaces_id: str | None
    correction_reason: str | None
    replaced_by: str | None


class ResultList(BaseModel):
    results: list[ResultOut]
