"""What a room shows live beside the video: a questionnaire the client answers, and the wellbeing
plan the host and the client edit together (docs/signaling.md, "Assessments in the meeting" and
"The plan in the meeting").

The packages that own them (assessments/, plans/) implement the protocols here and are looked up
when a host first opens one. Until it is saved, the live state is the room's, in memory: it
belongs to the seats, not to one connection, so a page that reconnects is given it again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Protocol

# The plan service's own limits (plans/service.py); saving checks the plan again in full.
MAX_GOALS, MAX_ACTIONS = 8, 6
FIELD_LENGTHS = {"goal": 500, "what": 300, "who": 100, "by": 10}
PLAN_FIELD = re.compile(r"goals\.(\d{1,2})\.(?:(goal)|actions\.(\d{1,2})\.(what|who|by))")


class AssessmentTemplate(Protocol):
    """A questionnaire as the room uses it (assessments/ has the real thing)."""

    @property
    def id(self) -> str: ...

    def definition(self) -> dict[str, Any]: ...

    def check_answer(self, question_id: str, value: Any, answers: Mapping[str, Any]) -> None:
        """Raise ValidationFailed for an answer the question does not accept."""

    def check_complete(self, answers: Mapping[str, Any]) -> None:
        """Raise ValidationFailed naming each question still missing an answer."""


class SubmittedAssessment(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def score(self) -> dict[str, Any] | None: ...


class LiveAssessments(Protocol):
    def template(self, template_id: str) -> AssessmentTemplate:
        """The template, or NotFound."""

    async def prefill(self, meeting_id: str, template_id: str) -> dict[str, Any]:
        """Answers known before the client starts (the plan's goals in a goal follow-up)."""

    async def record(
        self, meeting_id: str, template_id: str, answers: dict[str, Any]
    ) -> SubmittedAssessment: ...


@dataclasses.dataclass(eq=False)
class LiveAssessment:
    """A questionnaire the host pushed to the client's screen; answers live here until submitted."""

    id: str
    template: AssessmentTemplate
    answers: dict[str, Any] = dataclasses.field(default_factory=dict)
    submitting: bool = False

    def state(self) -> dict[str, Any]:
        return {
            "type": "assessment",
            "id": self.id,
            "template": self.template.definition(),
            "answers": dict(self.answers),
            "submitting": self.submitting,
        }

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "template": self.template.id, "answers": self.answers}


@dataclasses.dataclass(frozen=True, slots=True)
class PlanDraft:
    """A plan's goals as the room edits them: ``[{"goal", "actions": [{"what", "who", "by"}]}]``,
    and the number of the version they are (None before the first is saved)."""

    number: int | None
    goals: list[dict[str, Any]]


class LivePlans(Protocol):
    async def draft(self, meeting_id: str) -> PlanDraft:
        """The newest version of the plan the meeting's client has with its unit, or an empty
        draft; ValidationFailed when the booking has no identified client."""

    async def save(self, meeting_id: str, goals: list[dict[str, Any]]) -> PlanDraft:
        """A new version by the meeting's caseworker, as saved (blank rows left out);
        ValidationFailed naming each bad field."""


@dataclasses.dataclass(eq=False)
class LivePlan:
    """The wellbeing plan open in the room: either side's changes land here, field by field."""

    id: str
    goals: list[dict[str, Any]]
    number: int | None
    saving: bool = False

    def state(self) -> dict[str, Any]:
        return {
            "type": "plan",
            "id": self.id,
            "goals": _copy(self.goals),
            "number": self.number,
            "saving": self.saving,
        }

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "goals": _copy(self.goals), "number": self.number}

    def change(self, field: str, value: str) -> None:
        """Set one field, named like ``goals.1.actions.0.who``; the next goal or action (one past
        the last) may be begun. ValueError for a field that cannot be there or a value too long."""
        found = PLAN_FIELD.fullmatch(field)
        if found is None:
            raise ValueError("no such field")
        goal_index, is_goal, action_index, part = found.groups()
        if len(value) > FIELD_LENGTHS[part or "goal"]:
            raise ValueError("too long")
        goal = _nth(self.goals, int(goal_index), MAX_GOALS, lambda: {"goal": "", "actions": []})
        if is_goal:
            goal["goal"] = value
            return
        action = _nth(
            goal["actions"],
            int(action_index),
            MAX_ACTIONS,
            lambda: {"what": "", "who": "", "by": ""},
        )
        action[part] = value


def _nth(items: list[dict[str, Any]], index: int, limit: int, new: Any) -> dict[str, Any]:
    if index == len(items) and index < limit:
        items.append(new())
    if index >= len(items):
        raise ValueError("no such row")
    entry: dict[str, Any] = items[index]
    return entry


def _copy(goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"goal": goal["goal"], "actions": [dict(action) for action in goal["actions"]]}
        for goal in goals
    ]
