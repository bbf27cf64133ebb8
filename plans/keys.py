"""The plans package's app key, and reading a plan's goals from a page's form (used by the
caseworker's and the client's pages alike)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from plans.service import MAX_ACTIONS, MAX_GOALS, PlanService

plan_service_key = web.AppKey("plan_service", PlanService)


def goals_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``goals.<i>.goal`` and ``goals.<i>.actions.<j>.<what|who|by>`` fields as a list, in
    order (the form shows each goal's rows and one blank row more; blanks are left out later)."""
    goals = []
    for i in range(MAX_GOALS):
        actions = [
            {
                part: str(form.get(f"goals.{i}.actions.{j}.{part}", ""))[:1000]
                for part in ("what", "who", "by")
            }
            for j in range(MAX_ACTIONS)
        ]
        goals.append({"goal": str(form.get(f"goals.{i}.goal", ""))[:2000], "actions": actions})
    return goals


def form_rows(goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the plan form shows: each goal typed so far with its actions and one blank action
    row more, then one blank goal (no JavaScript needed to add rows: saving adds them)."""
    blank_action = {"what": "", "who": "", "by": ""}
    rows = []
    for goal in goals:
        actions = [a for a in goal.get("actions", []) if any(str(v).strip() for v in a.values())]
        if not str(goal.get("goal", "")).strip() and not actions:
            continue
        rows.append(
            {"goal": goal.get("goal", ""), "actions": [*actions, dict(blank_action)][:MAX_ACTIONS]}
        )
    rows.append({"goal": "", "actions": [dict(blank_action)]})
    return rows[:MAX_GOALS]


def raw_of(goals: Any) -> list[dict[str, Any]]:
    """A saved version's goals as the form's rows hold them."""
    return [
        {
            "goal": goal.goal,
            "actions": [
                {"what": a.what, "who": a.who, "by": a.by.isoformat() if a.by else ""}
                for a in goal.actions
            ],
        }
        for goal in goals
    ]
