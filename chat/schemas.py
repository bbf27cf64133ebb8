"""The advice chat API's bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chat.service import ServiceView, TopicCount


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SavedAnswerIn(Strict):
    title: str = Field(max_length=1000)
    text: str = Field(max_length=10000)


class ExceptionIn(Strict):
    date: str = Field(max_length=10)  # 2026-12-24
    # ["09:00", "12:00"], or null: closed that day.
    hours: list[str] | None = Field(default=None, max_length=2)


class ExceptionOut(BaseModel):
    date: str
    hours: list[str] | None


class ServiceIn(Strict):
    slug: str = Field(max_length=60)
    names: dict[str, str]
    # {"0": ["09:00", "15:00"], …}: Monday is 0; days left out are closed.
    hours: dict[str, list[str]] = Field(default_factory=dict)
    # Single days with their own hours or closed, over the week and the public holidays.
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=100)
    phone: str = Field(default="", max_length=40)
    # The service's own words on other help, by language ({"fi": …}), each up to 500 characters.
    other_help: dict[str, str] = Field(default_factory=dict)
    capacity: int = 3
    unit_id: str | None = Field(default=None, max_length=36)
    meeting_type_id: str | None = Field(default=None, max_length=36)
    active: bool = True
    saved_answers: list[SavedAnswerIn] = Field(default_factory=list, max_length=100)


class ServiceOut(BaseModel):
    id: str
    slug: str
    names: dict[str, str]
    hours: dict[str, list[str]]
    exceptions: list[ExceptionOut]
    phone: str
    other_help: dict[str, str]
    capacity: int
    open_now: bool
    on_duty: int
    waiting: int

    @classmethod
    def of(cls, view: ServiceView, *, open_now: bool, on_duty: int, waiting: int) -> ServiceOut:
        return cls(
            id=view.info.id,
            slug=view.info.slug,
            names=dict(view.info.names),
            hours={
                str(day): [o.strftime("%H:%M"), c.strftime("%H:%M")]
                for day, (o, c) in sorted(view.hours.weekly.items())
            },
            exceptions=[
                ExceptionOut(
                    date=day.isoformat(),
                    hours=None if hours is None else [t.strftime("%H:%M") for t in hours],
                )
                for day, hours in sorted(view.hours.exceptions.items())
            ],
            phone=view.phone,
            other_help=dict(view.other_help),
            capacity=view.info.capacity,
            open_now=open_now,
            on_duty=on_duty,
            waiting=waiting,
        )


class AdminServiceOut(ServiceOut):
    """What the admin sees of a chat: also the workers' saved answers."""

    saved_answers: list[dict[str, str]]


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class MonthQuery(Strict):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class TopicCountOut(BaseModel):
    service_id: str
    topic: str
    # Null when fewer than five: small numbers are not shown.
    chats: int | None
    median_wait_seconds: int | None

    @classmethod
    def of(cls, count: TopicCount) -> TopicCountOut:
        return cls(
            service_id=count.service_id,
            topic=count.topic,
            chats=count.chats,
            median_wait_seconds=count.median_wait_seconds,
        )


class StatisticsOut(BaseModel):
    month: str
    counts: list[TopicCountOut]
