"""My pages' API bodies."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel

from booking.schemas import BookingOut
from mypages.service import AnsweredQuestionnaire


class OwnBookingOut(BaseModel):
    booking: BookingOut
    # Open the booking's manage page (and its video meeting) with this, as with a manage token:
    # /manage/{link_token} or the booking API's bearer token. It expires within 12 hours.
    link_token: str


class OwnBookingsOut(BaseModel):
    upcoming: list[OwnBookingOut]
    past: list[OwnBookingOut]


class StaffReadOut(BaseModel):
    at: AwareDatetime
    action: str
    what: str
    # What was read: "booking <id>" or "message_thread <id>".
    item: str
    role: str | None
    unit: str | None


class StaffReadsOut(BaseModel):
    reads: list[StaffReadOut]


class AnsweredOut(BaseModel):
    id: str
    booking_id: str
    meeting_start: AwareDatetime
    submitted_at: AwareDatetime
    filled_by: str
    answers: dict[str, Any]
    # total, percent, groups and band (in fi/sv/en); null for a questionnaire without a score.
    score: dict[str, Any] | None


class QuestionnaireOut(BaseModel):
    template_id: str
    title: str
    results: list[AnsweredOut]

    @classmethod
    def of(cls, answered: AnsweredQuestionnaire, language: str) -> QuestionnaireOut:
        return cls(
            template_id=answered.template.id,
            title=getattr(answered.template.title, language),
            results=[
                AnsweredOut(
                    id=result.id,
                    booking_id=booking.id,
                    meeting_start=booking.start,
                    submitted_at=result.submitted_at,
                    filled_by=result.filled_by,
                    answers=result.answers,
                    score=result.score,
                )
                for booking, result in answered.results
            ],
        )


class QuestionnairesOut(BaseModel):
    questionnaires: list[QuestionnaireOut]
