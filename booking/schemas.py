"""The booking API's bodies: the source of its validation and of its OpenAPI schemas."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from booking.types import BookingView


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitOut(BaseModel):
    id: str
    name: str
    names: dict[str, str]
    phone: str


class UnitsOut(BaseModel):
    units: list[UnitOut]


class MeetingTypeOut(BaseModel):
    id: str
    name: str
    duration_minutes: int
    modes: list[str]


class CaseworkerOut(BaseModel):
    id: str
    name: str
    unit_id: str | None
    languages: list[str]
    meeting_types: list[MeetingTypeOut]


class CaseworkersQuery(Strict):
    unit_id: str | None = Field(default=None, max_length=64)


class CaseworkersOut(BaseModel):
    caseworkers: list[CaseworkerOut]


class SlotsQuery(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    meeting_type_id: str = Field(max_length=64)
    caseworker_id: str | None = Field(default=None, max_length=64)
    unit_id: str | None = Field(default=None, max_length=64)
    from_: date = Field(alias="from")
    to: date


class SlotOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    caseworker_id: str


class SlotsOut(BaseModel):
    slots: list[SlotOut]


class ClientIn(Strict):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


class BookingIn(Strict):
    meeting_type_id: str = Field(max_length=64)
    caseworker_id: str | None = Field(default=None, max_length=64)
    unit_id: str | None = Field(default=None, max_length=64)
    start: AwareDatetime
    mode: str = Field(max_length=20)
    language: str = Field(max_length=2)
    client: ClientIn
    answers: dict[str, str] = Field(default_factory=dict, max_length=20)


class BookingCreatedOut(BaseModel):
    id: str
    status: str
    start: AwareDatetime
    end: AwareDatetime
    caseworker_id: str
    manage_token: str
    manage_url: str
    ics_url: str
    join_url: str | None = None


class ClientOut(BaseModel):
    name: str
    email: str | None
    phone: str | None


class BookingOut(BaseModel):
    id: str
    status: str
    start: AwareDatetime
    end: AwareDatetime
    caseworker_id: str
    caseworker_name: str
    meeting_type_id: str
    meeting_type_name: str
    mode: str
    language: str
    address: str | None
    client: ClientOut
    answers: dict[str, str]
    cancelled_by: str | None
    cancel_reason: str | None


def booking_out(view: BookingView, language: str) -> BookingOut:
    return BookingOut(
        id=view.id,
        status=view.status,
        start=view.start.astimezone(view.zone),
        end=view.end.astimezone(view.zone),
        caseworker_id=view.caseworker.id,
        caseworker_name=view.caseworker.name,
        meeting_type_id=view.meeting_type.id,
        meeting_type_name=view.meeting_type.name_in(language),
        mode=view.mode,
        language=view.language,
        address=view.meeting_type.address if view.mode == "in_person" else None,
        client=ClientOut(name=view.client_name, email=view.client_email, phone=view.client_phone),
        answers=view.answers,
        cancelled_by=view.cancelled_by,
        cancel_reason=view.cancel_reason,
    )


class BookingsOut(BaseModel):
    bookings: list[BookingOut]


class CancelIn(Strict):
    reason: str = Field(default="", max_length=1000)


class RescheduleIn(Strict):
    start: AwareDatetime


class AgendaQuery(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
