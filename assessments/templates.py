"""Questionnaires as data: YAML files under ``assessments/templates/``, checked once at start.

A file is read into pydantic models; a broken file stops the program with ``TemplateError``
naming the file and the field. ``Template`` is what the rest of the service uses: the
definition (all languages), answer checks, the conditions that hide questions, and scoring.

Answers are a JSON mapping of question id to value: a single choice is the option's value, a
multiple choice a list of option values, a scale an integer, a number an integer or decimal,
free text a string and a date an ISO date string (``2027-03-28``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import NotFound, ValidationFailed
from core.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_MAX_TEXT = 2000

ANSWER_REQUIRED = N_("Answer this question.")
CHOOSE_AN_OPTION = N_("Choose one of the options.")
CHOOSE_OPTIONS = N_("Choose from the options given.")
WHOLE_NUMBER_IN_RANGE = N_("Give a whole number within the range shown.")
NUMBER_IN_RANGE = N_("Give a number within the range shown.")
TEXT_TOO_LONG = N_("The answer is too long.")
REAL_DATE = N_("Give a real date, for example 28.3.2027.")
NOT_ASKED = N_("This question is not asked with the answers given.")
UNKNOWN_QUESTION = N_("There is no such question.")

QuestionType = Literal["single_choice", "multiple_choice", "scale", "number", "free_text", "date"]
ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class TemplateError(ValueError):
    """A questionnaire file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    fi: str = Field(min_length=1)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def all(self) -> dict[str, str]:
        return {"fi": self.fi, "sv": self.sv, "en": self.en}


class Option(_Strict):
    value: str = Field(pattern=ID_PATTERN)
    label: Text
    points: float | None = None


class Condition(_Strict):
    """Show the question only if an earlier question's answer equals a value (or one of some)."""

    question: str
    equals: str | int | None = None
    one_of: list[str | int] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.equals is None) == (self.one_of is None):
            raise ValueError("give exactly one of 'equals' and 'one_of'")
        return self

    def values(self) -> list[str | int]:
        return [self.equals] if self.equals is not None else list(self.one_of or [])


class Question(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: Text
    hint: Text | None = None
    type: QuestionType
    required: bool = True
    options: list[Option] | None = None
    min: float | None = None
    max: float | None = None
    min_label: Text | None = None
    max_label: Text | None = None
    max_length: int | None = Field(default=None, ge=1, le=10000)
    condition: Condition | None = None

    @model_validator(mode="after")
    def _fits_its_type(self) -> Question:
        choice = self.type in ("single_choice", "multiple_choice")
        if choice and not self.options:
            raise ValueError(f"a {self.type} question needs 'options'")
        if not choice and self.options:
            raise ValueError(f"a {self.type} question has no 'options'")
        if self.options and len({o.value for o in self.options}) != len(self.options):
            raise ValueError("option values must differ")
        if self.type == "scale":
            if self.min is None or self.max is None or self.min_label is None:
                raise ValueError("a scale needs 'min', 'max', 'min_label' and 'max_label'")
            if self.max_label is None or not (self.min.is_integer() and self.max.is_integer()):
                raise ValueError("a scale needs 'max_label' and whole-number ends")
        elif self.min_label is not None or self.max_label is not None:
            raise ValueError("only a scale has 'min_label' and 'max_label'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        if self.type not in ("scale", "number") and (self.min is not None or self.max is not None):
            raise ValueError(f"a {self.type} question has no 'min' or 'max'")
        if self.max_length is not None and self.type != "free_text":
            raise ValueError("only free text has 'max_length'")
        return self


class Group(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    questions: list[str] = Field(min_length=1)


class Band(_Strict):
    min: float
    max: float
    label: Text


class Scoring(_Strict):
    # Summed into the total; by default every question that gives points.
    total: list[str] | None = None
    reverse: list[str] = []
    groups: list[Group] = []
    percent_multiplier: float | None = Field(default=None, gt=0)
    bands_on: Literal["total", "percent"] = "total"
    bands: list[Band] = []


class TemplateFile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    version: int = Field(ge=1)
    source: str = Field(min_length=1)
    title: Text
    introduction: Text | None = None
    questions: list[Question] = Field(min_length=1)
    scoring: Scoring | None = None

    @model_validator(mode="after")
    def _references_hold(self) -> TemplateFile:
        seen: dict[str, Question] = {}
        for index, question in enumerate(self.questions):
            if question.id in seen:
                raise ValueError(f"questions.{index}.id: '{question.id}' is used twice")
            condition = question.condition
            if condition is not None:
                earlier = seen.get(condition.question)
                if earlier is None:
                    raise ValueError(
                        f"questions.{index}.condition.question: '{condition.question}' is not "
                        "an earlier question"
                    )
                if earlier.options is not None:
                    known = {o.value for o in earlier.options}
                    for value in condition.values():
                        if value not in known:
                            raise ValueError(
                                f"questions.{index}.condition: '{value}' is not an option of "
                                f"'{earlier.id}'"
                            )
            seen[question.id] = question
        if self.scoring is not None:
            self._check_scoring(self.scoring, seen)
        return self

    @staticmethod
    def _check_scoring(scoring: Scoring, questions: Mapping[str, Question]) -> None:
        named = [("scoring.total", scoring.total or []), ("scoring.reverse", scoring.reverse)]
        named += [
            (f"scoring.groups.{i}.questions", g.questions) for i, g in enumerate(scoring.groups)
        ]
        for where, ids in named:
            for question_id in ids:
                question = questions.get(question_id)
                if question is None:
                    raise ValueError(f"{where}: '{question_id}' is not a question")
                if _points_range(question) is None:
                    raise ValueError(f"{where}: '{question_id}' gives no points")
        for index, band in enumerate(scoring.bands):
            if band.min > band.max:
                raise ValueError(f"scoring.bands.{index}: 'min' is greater than 'max'")
        if scoring.bands_on == "percent" and scoring.percent_multiplier is None:
            raise ValueError("scoring.bands_on: 'percent' needs 'percent_multiplier'")


def _points_range(question: Question) -> tuple[float, float] | None:
    if question.type == "scale" and question.min is not None and question.max is not None:
        return question.min, question.max
    if question.type == "single_choice" and question.options:
        points = [o.points for o in question.options]
        if any(p is None for p in points):
            return None
        known = [p for p in points if p is not None]
        return min(known), max(known)
    return None


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_whole(value) or isinstance(value, float)) and math.isfinite(value)


class Template:
    """One questionnaire version, ready to use."""

    def __init__(self, data: TemplateFile) -> None:
        self.data = data
        self._questions = {q.id: q for q in data.questions}

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def version(self) -> int:
        return self.data.version

    @property
    def title(self) -> Text:
        return self.data.title

    @property
    def questions(self) -> list[Question]:
        return list(self.data.questions)

    def question(self, question_id: str) -> Question:
        question = self._questions.get(question_id)
        if question is None:
            raise ValidationFailed({question_id: UNKNOWN_QUESTION})
        return question

    def definition(self) -> dict[str, Any]:
        """The whole questionnaire as JSON (every language), for the room and the API."""
        return self.data.model_dump(mode="json", exclude_none=True)

    # ---- conditions --------------------------------------------------------------------------

    def is_shown(self, question: Question, answers: Mapping[str, Any]) -> bool:
        condition = question.condition
        if condition is None:
            return True
        earlier = self._questions[condition.question]
        if not self.is_shown(earlier, answers):
            return False
        given = answers.get(condition.question)
        wanted = condition.values()
        if isinstance(given, list):
            return any(value in wanted for value in given)
        return given in wanted

    def visible_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers to questions the other answers leave shown; hidden ones are dropped."""
        return {
            q.id: answers[q.id]
            for q in self.data.questions
            if q.id in answers and answers[q.id] is not None and self.is_shown(q, answers)
        }

    # ---- checking ----------------------------------------------------------------------------

    def check_answer(self, question_id: str, value: Any, answers: Mapping[str, Any]) -> None:
        """Raise ValidationFailed({question_id: msgid}) unless the question accepts ``value``."""
        question = self.question(question_id)
        if not self.is_shown(question, answers):
            raise ValidationFailed({question_id: NOT_ASKED})
        problem = _problem(question, value)
        if problem is not None:
            raise ValidationFailed({question_id: problem})

    def check_complete(self, answers: Mapping[str, Any]) -> None:
        """Raise ValidationFailed naming each shown question that is unanswered or wrong."""
        problems: dict[str, str] = {}
        for question_id in answers:
            if question_id not in self._questions:
                problems[question_id] = UNKNOWN_QUESTION
        for question in self.data.questions:
            if not self.is_shown(question, answers):
                continue
            value = answers.get(question.id)
            if _is_empty(value):
                if question.required:
                    problems[question.id] = ANSWER_REQUIRED
                continue
            problem = _problem(question, value)
            if problem is not None:
                problems[question.id] = problem
        if problems:
            raise ValidationFailed(problems)

    # ---- scoring -----------------------------------------------------------------------------

    def points(self, question: Question, value: Any) -> float | None:
        """The points an answer gives, reverse-scored where the instrument says so."""
        scoring = self.data.scoring
        ends = _points_range(question)
        if scoring is None or ends is None or _is_empty(value):
            return None
        if question.type == "scale":
            points = float(value)
        else:
            option = next((o for o in question.options or [] if o.value == value), None)
            if option is None or option.points is None:
                return None
            points = option.points
        if question.id in scoring.reverse:
            points = ends[0] + ends[1] - points
        return points

    def score(self, answers: Mapping[str, Any]) -> dict[str, Any] | None:
        """Total, groups, percentage and band of complete answers; None if nothing is scored."""
        scoring = self.data.scoring
        if scoring is None:
            return None
        shown = self.visible_answers(answers)

        def total_of(question_ids: Sequence[str]) -> float:
            found = (self.points(self._questions[i], shown.get(i)) for i in question_ids)
            return sum(points for points in found if points is not None)

        scored = scoring.total
        if scored is None:
            scored = [q.id for q in self.data.questions if _points_range(q) is not None]
        total = total_of(scored)
        percent = None
        if scoring.percent_multiplier is not None:
            percent = _tidy(total * scoring.percent_multiplier)
        measured = percent if scoring.bands_on == "percent" else total
        band = next(
            (b for b in scoring.bands if measured is not None and b.min <= measured <= b.max),
            None,
        )
        return {
            "total": _tidy(total),
            "percent": percent,
            "groups": {g.id: _tidy(total_of(g.questions)) for g in scoring.groups},
            "band": band.label.all() if band else None,
        }

    # ---- forms -------------------------------------------------------------------------------

    def answers_from_form(self, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Answers typed into an HTML form (``form`` maps a name to a list of strings).

        Returns the answers (what could be read, as typed otherwise, so the page can show it
        again) and the fields that could not be read at all."""
        answers: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for question in self.data.questions:
            raw = [str(v) for v in form.get(question.id, []) if str(v).strip() != ""]
            if not raw:
                continue
            if question.type == "multiple_choice":
                answers[question.id] = raw
                continue
            text = raw[0].strip()
            if question.type in ("scale", "number"):
                number = _read_number(text)
                if number is None:
                    problems[question.id] = (
                        WHOLE_NUMBER_IN_RANGE if question.type == "scale" else NUMBER_IN_RANGE
                    )
                    answers[question.id] = text
                else:
                    answers[question.id] = number
            elif question.type == "date":
                parsed = _read_date(text)
                answers[question.id] = parsed.isoformat() if parsed else text
                if parsed is None:
                    problems[question.id] = REAL_DATE
            else:
                answers[question.id] = text if question.type == "single_choice" else raw[0]
        return answers, problems


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else round(number, 2)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _read_number(text: str) -> int | float | None:
    text = text.replace(",", ".").replace("\u2212", "-")
    if re.fullmatch(r"-?\d{1,12}", text):
        return int(text)
    if re.fullmatch(r"-?\d{1,12}\.\d{1,6}", text):
        return float(text)
    return None


def _read_date(text: str) -> dt.date | None:
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _problem(question: Question, value: Any) -> str | None:
    """What is wrong with ``value`` as an answer to ``question``, or None."""
    options = {o.value for o in question.options or []}
    if question.type == "single_choice":
        return None if isinstance(value, str) and value in options else CHOOSE_AN_OPTION
    if question.type == "multiple_choice":
        if (
            not isinstance(value, list)
            or not value
            or len(set(map(str, value))) != len(value)
            or not all(isinstance(v, str) and v in options for v in value)
        ):
            return CHOOSE_OPTIONS
        return None
    if question.type == "scale":
        fits = _is_whole(value) and question.min is not None and question.max is not None
        return None if fits and question.min <= value <= question.max else WHOLE_NUMBER_IN_RANGE
    if question.type == "number":
        if not _is_number(value):
            return NUMBER_IN_RANGE
        too_small = question.min is not None and value < question.min
        too_big = question.max is not None and value > question.max
        return NUMBER_IN_RANGE if too_small or too_big else None
    if question.type == "free_text":
        if not isinstance(value, str):
            return ANSWER_REQUIRED
        return TEXT_TOO_LONG if len(value) > (question.max_length or DEFAULT_MAX_TEXT) else None
    # date
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return REAL_DATE
    return None if _read_date(value) is not None else REAL_DATE


# ---- loading ---------------------------------------------------------------------------------


def load_template(path: Path) -> Template:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TemplateError(f"{path.name}: cannot be read: {error}") from error
    try:
        return Template(TemplateFile.model_validate(raw))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        text = f"{path.name}: {where}: {message}" if where else f"{path.name}: {message}"
        raise TemplateError(text) from error


def load_catalog(directory: Path = TEMPLATES_DIR) -> Catalog:
    """Every questionnaire file in ``directory`` (``*.yaml``), or TemplateError."""
    templates: dict[str, Template] = {}
    for path in sorted(directory.glob("*.yaml")):
        template = load_template(path)
        if template.id in templates:
            raise TemplateError(f"{path.name}: id: '{template.id}' is used by another file")
        templates[template.id] = template
    return Catalog(templates)


class Catalog:
    """The questionnaires this instance offers, by id (one version of each)."""

    def __init__(self, templates: Mapping[str, Template]) -> None:
        self._templates = dict(templates)

    def get(self, template_id: str) -> Template:
        template = self._templates.get(template_id)
        if template is None:
            raise NotFound()
        return template

    def all(self) -> list[Template]:
        return sorted(self._templates.values(), key=lambda t: t.title.en)

    def titles(self) -> dict[str, dict[str, str]]:
        return {t.id: t.title.all() for t in self.all()}
