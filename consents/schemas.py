"""The consents API's bodies."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consents.service import ConsentView


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=40)
    unit_id: str = Field(max_length=36)


class CreatedOut(BaseModel):
    id: str


class ConsentOut(BaseModel):
    id: str
    kind: str
    unit_id: str
    unit_name: str
    text: str
    language: str
    given_at: AwareDatetime
    withdrawn_at: AwareDatetime | None
    active: bool
    person_name: str | None = None

    @classmethod
    def of(cls, view: ConsentView, language: str, *, for_staff: bool = False) -> ConsentOut:
        return cls(
            id=view.id,
            kind=view.kind,
            unit_id=view.unit.id,
            unit_name=view.unit.name_in(language),
            text=view.text,
            language=view.language,
            given_at=view.given_at,
            withdrawn_at=view.withdrawn_at,
            active=view.active,
            person_name=view.person_name if for_staff else None,
        )


class ConsentsOut(BaseModel):
    consents: list[ConsentOut]


class SharedResultsOut(BaseModel):
    consent: ConsentOut
    results: list[dict[str, Any]]
