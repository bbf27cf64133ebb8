"""The JSON API's request and response models for the feedback and the lost link."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeedbackIn(Strict):
    message: str = Field(max_length=4000, description="What the problem is")
    page: str = Field(default="", max_length=300, description="The page or part it is about")
    name: str = Field(default="", max_length=300)
    contact: str = Field(
        default="", max_length=320, description="An email address or phone number, for an answer"
    )


class FeedbackOut(BaseModel):
    answer_days: int | None = Field(
        description="The days the law gives to answer; null: without undue delay (Sweden)"
    )


class LostLinkIn(Strict):
    contact: str = Field(
        max_length=320, description="The email address or phone number booked with"
    )


class LostLinkOut(BaseModel):
    detail: str = Field(description="The same answer whether or not any booking was found")
