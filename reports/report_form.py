"""The questions of the public concern report and the draft its pages carry from step to step.

Each step is a GOV.UK question page asking for a few ``Field``s. Everything typed travels in
hidden fields of POST forms (never in a URL, a cookie or a log line); ``Draft`` reads those
fields back, writes them out again, and gives them the shape of the API's report so that the
service can judge them (reports/report_pages.py).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from typing import Any

from multidict import MultiDictProxy

from core.i18n import N_
from reports.labels import CATEGORIES

KINDS = ("professional", "private")
STEPS = ("reporter", "child", "guardians", "informed", "whereabouts", "concern", "attachments")
ATTACHMENT_FIELD = "attachment"
MAX_FIELD_LENGTH = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    name: str  # the form field: the API's path with "-" for "." ("child-identity_number")
    label: str
    kind: str = "text"  # text, textarea, date, yes_no, categories, email, tel
    hint: str = ""
    optional: bool = True
    autocomplete: str = ""


TITLES = {
    "reporter": N_("About you"),
    "child": N_("About the child"),
    "guardians": N_("The child's guardian"),
    "informed": N_("Who has been told about this report"),
    "whereabouts": N_("Where is the child now?"),
    "concern": N_("Your concern"),
    "attachments": N_("Attachments"),
}


def step_fields(step: str, kind: str) -> tuple[Field, ...]:
    required = kind == "professional"
    if step == "reporter":
        return (
            Field("reporter-name", N_("Your name"), optional=not required, autocomplete="name"),
            Field(
                "reporter-role",
                N_("Your role"),
                hint=N_("For example class teacher, school nurse or school social worker."),
                optional=not required,
            ),
            Field(
                "reporter-organisation",
                N_("School or organisation"),
                optional=not required,
                autocomplete="organization",
            ),
            Field("reporter-phone", N_("Phone number"), "tel", autocomplete="tel"),
            Field(
                "reporter-email",
                N_("Email address"),
                "email",
                autocomplete="email",
                hint=N_("We send a receipt with the reference number only."),
            ),
        )
    if step == "child":
        return (
            Field("child-name", N_("The child's name"), optional=False),
            Field(
                "child-identity_number",
                N_("Personal identity number"),
                hint=N_("If you do not know it, give the date of birth instead."),
            ),
            Field("child-date_of_birth", N_("Date of birth"), "date"),
            Field("child-address", N_("Address")),
            Field("child-school", N_("School or day care")),
            Field("child-school_class", N_("Class")),
            Field(
                "child-siblings",
                N_("Siblings"),
                "textarea",
                hint=N_("Names and ages, if you know them."),
            ),
        )
    if step == "guardians":
        return (
            Field("guardian-name", N_("Guardian's name")),
            Field("guardian-phone", N_("Guardian's phone number"), "tel"),
            Field("guardian-email", N_("Guardian's email address"), "email"),
            Field("guardian-address", N_("Guardian's address")),
            Field(
                "guardian-interpreter_needed",
                N_("Does the guardian need an interpreter?"),
                "yes_no",
            ),
            Field("guardian-interpreter_language", N_("Language of the interpreter")),
        )
    if step == "informed":
        return (
            Field(
                "informed-guardians_told",
                N_("Have the guardians been told about this report?"),
                "yes_no",
                optional=False,
            ),
            Field(
                "informed-child_told",
                N_("Has the child been told about this report?"),
                "yes_no",
                optional=False,
            ),
            Field("informed-why_not", N_("If not, why not?"), "textarea"),
        )
    if step == "attachments":
        return ()
    if step == "whereabouts":
        return (
            Field(
                "child_whereabouts",
                N_("Where is the child now?"),
                "textarea",
                hint=N_("For example at school until 14:00, or at home."),
            ),
        )
    return (
        Field(
            "concern-categories",
            N_("What is the concern about?"),
            "categories",
            hint=N_("Choose all that apply."),
            optional=False,
        ),
        Field(
            "concern-description",
            N_("What have you seen or heard?"),
            "textarea",
            hint=N_("Write what happened and what the child said, in their own words if you can."),
            optional=False,
        ),
        Field("concern-since", N_("Since when?"), "textarea"),
        Field("concern-why_now", N_("Why are you reporting now?"), "textarea"),
    )


ALL_FIELDS = {
    kind: [field for step in STEPS for field in step_fields(step, kind)] for kind in KINDS
}


def step_of(field_path: str) -> str:
    """The step whose page asks for a field named by the API ("guardians.0.phone")."""
    head = field_path.split(".", 1)[0].split("-", 1)[0]
    return {
        "reporter": "reporter",
        "child": "child",
        "guardians": "guardians",
        "guardian": "guardians",
        "informed": "informed",
        "child_whereabouts": "whereabouts",
        "concern": "concern",
        "attachments": "attachments",
        "file": "attachments",
    }.get(head, "concern")


def form_name(field_path: str) -> str:
    parts = field_path.split(".")
    if parts[0] == "guardians":
        return "guardian-" + (parts[2] if len(parts) > 2 else "name")
    if parts[0] == "concern" and len(parts) > 1 and parts[1] == "categories":
        return "concern-categories"
    return "-".join(parts[:2])


# ---- the draft ------------------------------------------------------------------------------


@dataclasses.dataclass
class Draft:
    kind: str
    submission_id: str
    values: dict[str, str]
    categories: list[str]
    # Files already uploaded on the attachments step, as their signed form values.
    attachments: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def read(cls, kind: str, params: Mapping[str, Any]) -> Draft:
        values = {}
        for field in ALL_FIELDS[kind]:
            raw = params.get(field.name, "")
            if isinstance(raw, str) and field.kind != "categories":
                values[field.name] = raw[:MAX_FIELD_LENGTH]
        categories: list[str] = []
        attachments: list[str] = []
        if isinstance(params, MultiDictProxy):
            categories = [
                value
                for value in params.getall("concern-categories", [])
                if isinstance(value, str) and value in CATEGORIES
            ]
            attachments = [
                value
                for value in params.getall(ATTACHMENT_FIELD, [])
                if isinstance(value, str) and len(value) < 1000
            ][:5]
        submission = params.get("submission_id", "")
        if not isinstance(submission, str) or not 16 <= len(submission) <= 64:
            submission = secrets.token_urlsafe(24)
        return cls(kind, submission, values, categories, attachments)

    def hidden(self, *leaving_out: str) -> list[tuple[str, str]]:
        fields = [("submission_id", self.submission_id)]
        fields += [
            (name, value)
            for name, value in self.values.items()
            if value and name not in leaving_out
        ]
        if "concern-categories" not in leaving_out:
            fields += [("concern-categories", category) for category in self.categories]
        fields += [(ATTACHMENT_FIELD, value) for value in self.attachments]
        return fields

    def data(self, language: str) -> dict[str, Any]:
        """The draft in the shape of the API's report (maybe incomplete)."""
        v = {name: value.strip() for name, value in self.values.items() if value.strip()}

        def section(prefix: str) -> dict[str, Any]:
            return {
                name.split("-", 1)[1]: value for name, value in v.items() if name.startswith(prefix)
            }

        guardian: dict[str, Any] = section("guardian-")
        if "interpreter_needed" in guardian:
            guardian["interpreter_needed"] = guardian["interpreter_needed"] == "yes"
        informed: dict[str, Any] = section("informed-")
        for name in ("guardians_told", "child_told"):
            if name in informed:
                informed[name] = informed[name] == "yes"
        concern: dict[str, Any] = section("concern-")
        concern["categories"] = self.categories
        data: dict[str, Any] = {
            "submission_id": self.submission_id,
            "reporter_kind": self.kind,
            "language": language,
            "reporter": section("reporter-"),
            "child": section("child-"),
            "guardians": [guardian] if any(guardian.values()) else [],
            "informed": informed,
            "concern": concern,
        }
        if "child_whereabouts" in v:
            data["child_whereabouts"] = v["child_whereabouts"]
        return data
