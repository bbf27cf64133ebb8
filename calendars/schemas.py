"""The caseworker calendar API's bodies (also the source of their OpenAPI schemas)."""

from __future__ import annotations

from datetime import time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntervalIn(Strict):
    weekday: int = Field(ge=0, le=6, description="Monday is 0")
    start: time
    end: time


class WorkingHoursBody(Strict):
    time_zone: str = Field(max_length=64)
    intervals: list[IntervalIn] = Field(max_length=100)


class AbsenceIn(Strict):
    kind: str = Field(max_length=20, description="vacation, sick_leave, training or other")
    start: AwareDatetime
    end: AwareDatetime


class AbsenceOut(BaseModel):
    id: str
    kind: str
    start: AwareDatetime
    end: AwareDatetime


class AbsencesOut(BaseModel):
    absences: list[AbsenceOut]


class QuestionBody(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kind: str = Field(pattern=r"^(text|yes_no)$")
    label: dict[str, str] = Field(max_length=3)


class MeetingTypeBody(Strict):
    name: dict[str, str] = Field(description="fi, sv and en")
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 120
    horizon_days: int = 42
    slot_step_minutes: int = 15
    modes: list[str] = Field(max_length=3)
    address: str = Field(default="", max_length=500)
    asks_pre_meeting_form: bool = False
    pre_meeting_questions: list[QuestionBody] = Field(default_factory=list, max_length=10)
    max_active_bookings_per_client: int = 1
    is_active: bool = True
    reminder_minutes: list[int] = Field(
        default_factory=list,
        max_length=4,
        description="minutes before; empty: the service's default",
    )
    assessment_template_id: str | None = Field(
        default=None, max_length=64, description="a questionnaire the client fills before"
    )
    requires_identification: bool = Field(
        default=False, description="the client identifies strongly to join the video meeting"
    )
    network_meeting: bool = Field(
        default=False,
        description="a network meeting: its video goes through the SFU from the start",
    )


class MeetingTypePatch(Strict):
    name: dict[str, str] | None = None
    duration_minutes: int | None = None
    buffer_before_minutes: int | None = None
    buffer_after_minutes: int | None = None
    minimum_notice_minutes: int | None = None
    horizon_days: int | None = None
    slot_step_minutes: int | None = None
    modes: list[str] | None = Field(default=None, max_length=3)
    address: str | None = Field(default=None, max_length=500)
    asks_pre_meeting_form: bool | None = None
    pre_meeting_questions: list[QuestionBody] | None = Field(default=None, max_length=10)
    max_active_bookings_per_client: int | None = None
    is_active: bool | None = None
    reminder_minutes: list[int] | None = Field(default=None, max_length=4)
    assessment_template_id: str | None = Field(default=None, max_length=64)
    requires_identification: bool | None = None
    network_meeting: bool | None = None


class MeetingTypeDetail(MeetingTypeBody):
    id: str
    unit_id: str | None
    caseworker_id: str | None


class MeetingTypesOut(BaseModel):
    meeting_types: list[MeetingTypeDetail]


class CalendarImportIn(Strict):
    url: str | None = Field(
        default=None,
        max_length=2000,
        description="an .ics address, fetched now and every 30 minutes",
    )
    ics: str | None = Field(default=None, description="the content of an .ics file")


class CalendarImportOut(BaseModel):
    id: str
    url: str | None
    busy_count: int
    imported_at: AwareDatetime | None
    last_error: str | None
