"""The wellbeing plan API's bodies."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from plans.service import PlanView, VersionView, goals_json


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(Strict):
    what: str = Field(max_length=1000)
    who: str = Field(max_length=1000)
    by: date | None = None


class GoalIn(Strict):
    goal: str = Field(max_length=2000)
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class GoalsIn(Strict):
    goals: list[GoalIn] = Field(max_length=20)

    def as_raw(self) -> list[dict[str, object]]:
        return [
            {
                "goal": goal.goal,
                "actions": [
                    {"what": a.what, "who": a.who, "by": a.by.isoformat() if a.by else ""}
                    for a in goal.actions
                ],
            }
            for goal in self.goals
        ]


class AcceptIn(Strict):
    number: int = Field(ge=1)


class VersionOut(BaseModel):
    number: int
    goals: list[dict[str, object]]
    author: str
    created_at: AwareDatetime
    accepted_at: AwareDatetime | None

    @classmethod
    def of(cls, version: VersionView) -> VersionOut:
        return cls(
            number=version.number,
            goals=goals_json(version.goals),
            author=version.author_kind,
            created_at=version.created_at,
            accepted_at=version.accepted_at,
        )


class PlanOut(BaseModel):
    id: str
    caseworker: str
    versions: list[VersionOut]

    @classmethod
    def of(cls, plan: PlanView) -> PlanOut:
        return cls(
            id=plan.id,
            caseworker=plan.caseworker_name,
            versions=[VersionOut.of(v) for v in plan.versions],
        )


class PlansOut(BaseModel):
    plans: list[PlanOut]


class SavedOut(BaseModel):
    number: int
