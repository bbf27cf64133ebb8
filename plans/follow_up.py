"""The plan's goals are what a goal follow-up in the meeting follows up: when the host pushes the
goal follow-up questionnaire, it opens with the goals of the plan the client accepted (or the
newest draft), and keeps the last follow-up's ratings only for goals still worded the same."""

from __future__ import annotations

from typing import Any

from assessments.service import GOAL_FOLLOW_UP, GOAL_SLOTS
from core.errors import DomainError
from plans.service import PlanService
from video.live_state import AssessmentTemplate, LiveAssessments, SubmittedAssessment

MAX_GOAL_ANSWER = 300  # the questionnaire's goal_<n>: free_text, max_length 300


class GoalsFollowedUp:
    """The room's questionnaires (video.live_state.LiveAssessments), the plan's goals written in."""

    def __init__(self, questionnaires: LiveAssessments, plans: PlanService) -> None:
        self._questionnaires = questionnaires
        self._plans = plans

    def template(self, template_id: str) -> AssessmentTemplate:
        return self._questionnaires.template(template_id)

    async def record(
        self, meeting_id: str, template_id: str, answers: dict[str, Any]
    ) -> SubmittedAssessment:
        return await self._questionnaires.record(meeting_id, template_id, answers)

    async def prefill(self, meeting_id: str, template_id: str) -> dict[str, Any]:
        known = await self._questionnaires.prefill(meeting_id, template_id)
        if template_id != GOAL_FOLLOW_UP:
            return known
        try:
            goals = await self._plans.agreed_goals(meeting_id)
        except DomainError:
            return known
        if not goals:
            return known
        return with_plan_goals(known, [goal.goal[:MAX_GOAL_ANSWER] for goal in goals])


def with_plan_goals(known: dict[str, Any], goals: list[str]) -> dict[str, Any]:
    answers = {
        key: value
        for key, value in known.items()
        if not key.startswith("goal_") and key not in ("more_goals", "third_goal")
    }
    for n, text in zip(GOAL_SLOTS, goals, strict=False):
        answers[f"goal_{n}"] = text
        before = known.get(f"goal_{n}_before")
        if known.get(f"goal_{n}") == text and before is not None:
            answers[f"goal_{n}_before"] = before
    answers["more_goals"] = "yes" if len(goals) > 1 else "no"
    if len(goals) > 1:
        answers["third_goal"] = "yes" if len(goals) > 2 else "no"
    return answers
