"""The shipped questionnaires score as hand-computed; conditions; broken files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessments.templates import TEMPLATES_DIR, TemplateError, load_catalog
from core.errors import ValidationFailed

CATALOG = load_catalog()
WHO5 = CATALOG.get("who-5")
NEEDS = CATALOG.get("service-needs")
GOALS = CATALOG.get("goal-follow-up")
FREQUENCY = {5: "all", 4: "most", 3: "more_than_half", 2: "less_than_half", 1: "some", 0: "never"}
ITEMS = ("cheerful", "calm", "active", "rested", "interest")


def who5(*points: int) -> dict[str, str]:
    return {item: FREQUENCY[p] for item, p in zip(ITEMS, points, strict=True)}


@pytest.mark.parametrize(
    ("points", "total", "percent", "band"),
    [
        ((3, 3, 2, 2, 2), 12, 48, "Poor wellbeing (50 % or less)"),
        ((3, 3, 3, 2, 2), 13, 52, "No indication of poor wellbeing"),
        ((2, 2, 1, 1, 1), 7, 28, "Indicates likely depression (28 % or less); assess further"),
        ((2, 2, 2, 1, 1), 8, 32, "Poor wellbeing (50 % or less)"),
        ((0, 0, 0, 0, 0), 0, 0, "Indicates likely depression (28 % or less); assess further"),
        ((5, 5, 5, 5, 5), 25, 100, "No indication of poor wellbeing"),
    ],
)
def test_who5_raw_score_times_four_with_the_published_cut_offs(
    points: tuple[int, ...], total: int, percent: int, band: str
) -> None:
    score = WHO5.score(who5(*points))
    assert score is not None
    assert (score["total"], score["percent"], score["band"]["en"]) == (total, percent, band)


def test_service_needs_sums_areas_and_groups() -> None:
    answers = {
        "housing": "urgent",
        "income": "some",
        "daily_life": "none",
        "relationships": "none",
        "health": "some",
        "safety": "urgent",
        "safe_now": "yes",
    }
    score = NEEDS.score(answers)
    assert score is not None
    assert score["total"] == 6  # 2 + 1 + 0 + 0 + 1 + 2
    assert score["groups"] == {"basic_security": 5, "everyday_wellbeing": 1}
    assert score["band"]["en"] == "Extensive need for support"
    none = {k: "none" for k in ("housing", "income", "daily_life", "relationships", "health")}
    nothing = NEEDS.score({**none, "safety": "none"})
    assert nothing is not None and nothing["total"] == 0
    assert nothing["band"]["en"] == "No need for support"
    some = NEEDS.score({**none, "safety": "some", "income": "urgent", "health": "some"})
    assert some is not None and some["total"] == 4 and some["band"]["en"] == "Some need for support"


def test_the_goal_follow_up_is_not_scored() -> None:
    assert GOALS.score({"goal_1": "Work", "goal_1_now": 6, "more_goals": "no"}) is None


def test_a_question_shown_only_after_an_answer_is_required_only_then() -> None:
    first = {"goal_1": "Find a flat", "goal_1_now": 4}
    GOALS.check_complete({**first, "more_goals": "no"})
    with pytest.raises(ValidationFailed) as refused:
        GOALS.check_complete({**first, "more_goals": "yes"})
    assert set(refused.value.fields) == {"goal_2", "goal_2_now", "third_goal"}
    with pytest.raises(ValidationFailed) as hidden:
        GOALS.check_answer("goal_2", "Work", {**first, "more_goals": "no"})
    assert "goal_2" in hidden.value.fields
    kept = GOALS.visible_answers({**first, "more_goals": "no", "goal_2": "left over"})
    assert "goal_2" not in kept


def test_answers_are_checked_against_type_range_and_options() -> None:
    with pytest.raises(ValidationFailed):
        GOALS.check_answer("goal_1_now", 11, {})
    with pytest.raises(ValidationFailed):
        GOALS.check_answer("goal_1_now", "5", {})
    with pytest.raises(ValidationFailed):
        WHO5.check_answer("calm", "sometimes", {})
    with pytest.raises(ValidationFailed):
        GOALS.check_answer("goal_1", "x" * 301, {})
    GOALS.check_answer("goal_1_now", 10, {})
    WHO5.check_answer("calm", "never", {})


def test_reverse_scored_item_counts_from_the_other_end(tmp_path: Path) -> None:
    (tmp_path / "mood.yaml").write_text(
        """
id: mood
version: 1
source: test
title: {fi: Mieliala, sv: Humör, en: Mood}
questions:
  - {id: good, type: scale, min: 0, max: 4, text: {fi: a, sv: a, en: a},
     min_label: {fi: a, sv: a, en: a}, max_label: {fi: b, sv: b, en: b}}
  - {id: bad, type: scale, min: 0, max: 4, text: {fi: a, sv: a, en: a},
     min_label: {fi: a, sv: a, en: a}, max_label: {fi: b, sv: b, en: b}}
scoring:
  reverse: [bad]
  bands:
    - {min: 0, max: 4, label: {fi: m, sv: m, en: low}}
    - {min: 5, max: 8, label: {fi: m, sv: m, en: high}}
""",
        encoding="utf-8",
    )
    mood = load_catalog(tmp_path).get("mood")
    score = mood.score({"good": 3, "bad": 1})
    assert score is not None and score["total"] == 6 and score["band"]["en"] == "high"


def test_a_broken_template_names_the_file_and_the_field(tmp_path: Path) -> None:
    text = (TEMPLATES_DIR / "who-5.yaml").read_text(encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(
        text.replace("type: single_choice", "type: slider", 1), encoding="utf-8"
    )
    with pytest.raises(TemplateError) as error:
        load_catalog(tmp_path)
    assert str(error.value).startswith("broken.yaml: questions.0.type:")


def test_a_condition_on_an_unknown_question_is_refused(tmp_path: Path) -> None:
    text = (TEMPLATES_DIR / "service-needs.yaml").read_text(encoding="utf-8")
    (tmp_path / "needs.yaml").write_text(
        text.replace("{question: safety, equals: urgent}", "{question: nope, equals: urgent}"),
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"needs.yaml: .*condition.question: 'nope'"):
        load_catalog(tmp_path)
