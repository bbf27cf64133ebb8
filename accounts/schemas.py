"""The accounts API's request and response bodies (also the source of its OpenAPI schemas)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from accounts.organisation import UnitInfo
from core.principal import Role, Viewer


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class SecondFactorCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, description="authenticator or recovery code")


class PasskeyCredential(BaseModel):
    """What the browser's navigator.credentials gave, as PublicKeyCredential.toJSON() writes it."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=400)
    rawId: str = Field(min_length=1, max_length=400)
    type: str = Field(max_length=40)
    response: dict[str, object]


class SecondFactorNeeded(BaseModel):
    second_factor: str = Field(
        description="code: send one to /api/v1/auth/second-factor; enrol: set one up on the web"
    )


class Me(BaseModel):
    id: str
    name: str
    email: str
    role: Role

    @classmethod
    def of(cls, viewer: Viewer) -> Me:
        return cls(id=viewer.user_id, name=viewer.name, email=viewer.email, role=viewer.role)


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: dict[str, str] = Field(description="fi, sv and en", max_length=3)
    phone: str = Field(default="", max_length=40)


class UnitDetail(BaseModel):
    id: str
    name: dict[str, str]
    phone: str
    # Working days the unit aims to take to answer a client's message.
    answer_days: int = 3
    # Days the unit keeps closed message threads; null: the service's default.
    message_retention_days: int | None = None

    @classmethod
    def of(cls, unit: UnitInfo) -> UnitDetail:
        return cls(
            id=unit.id,
            name=unit.names,
            phone=unit.phone,
            answer_days=unit.answer_days,
            message_retention_days=unit.message_retention_days,
        )


class AnswerTargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_days: int = Field(ge=1, le=30)


class MessageSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_days: int
    message_retention_days: int | None = None


class UnitList(BaseModel):
    units: list[UnitDetail]
