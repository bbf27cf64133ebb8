"""The shared documents API's bodies."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from documents.service import DocumentView


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=1000)
    summary: str = Field(max_length=40000)


class CreatedOut(BaseModel):
    id: str


class DocumentOut(BaseModel):
    id: str
    booking_id: str
    kind: str
    title: str
    summary: str | None
    filename: str | None
    size: int
    shared_at: AwareDatetime
    meeting_type: str
    caseworker: str
    first_read_at: AwareDatetime | None

    @classmethod
    def of(cls, view: DocumentView, language: str) -> DocumentOut:
        return cls(
            id=view.id,
            booking_id=view.booking_id,
            kind=view.kind,
            title=view.title,
            summary=view.body if view.kind == "summary" else None,
            filename=view.filename or None,
            size=view.size,
            shared_at=view.created_at,
            meeting_type=view.meeting_in(language),
            caseworker=view.caseworker,
            first_read_at=view.first_read_at,
        )


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]
