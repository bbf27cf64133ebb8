"""Meeting types: what a client may book with a caseworker (length, buffers, notice, ways of
meeting, reminders, a questionnaire), either the caseworker's own or shared by a whole unit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence

from sqlalchemy import or_, select

from calendars.caseworker_calendar import own_calendar
from calendars.models import MeetingType
from core.db import Sessions, one_of
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.principal import Role, Viewer, require_role

MODES = ("video", "phone", "in_person")


@dataclasses.dataclass(frozen=True, slots=True)
class PreMeetingQuestion:
    id: str
    kind: str  # "text" or "yes_no"
    label: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label.get(language) or self.label.get("en") or self.id


@dataclasses.dataclass(frozen=True, slots=True)
class MeetingTypeInfo:
    id: str
    unit_id: str | None
    caseworker_id: str | None
    names: dict[str, str]
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    horizon_days: int
    slot_step_minutes: int
    modes: tuple[str, ...]
    address: str
    asks_pre_meeting_form: bool
    pre_meeting_questions: tuple[PreMeetingQuestion, ...]
    max_active_bookings_per_client: int
    is_active: bool
    reminder_minutes: tuple[int, ...] = ()
    assessment_template_id: str | None = None
    requires_identification: bool = False
    network_meeting: bool = False

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


@dataclasses.dataclass(frozen=True, slots=True)
class MeetingTypeFields:
    """What a caseworker or admin sets on a meeting type; checked by ``check``."""

    name_fi: str
    name_sv: str
    name_en: str
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 120
    horizon_days: int = 42
    slot_step_minutes: int = 15
    modes: tuple[str, ...] = ("video",)
    address: str = ""
    asks_pre_meeting_form: bool = False
    pre_meeting_questions: tuple[PreMeetingQuestion, ...] = ()
    max_active_bookings_per_client: int = 1
    is_active: bool = True
    reminder_minutes: tuple[int, ...] = ()  # empty: the service's default reminders
    assessment_template_id: str | None = None
    requires_identification: bool = False
    network_meeting: bool = False

    def check(self) -> None:
        fields: dict[str, str] = {}
        for language in SUPPORTED_LANGUAGES:
            name = getattr(self, f"name_{language}").strip()
            if not name or len(name) > 200:
                fields[f"name_{language}"] = N_("Enter a name of at most 200 characters.")
        bounds = {
            "duration_minutes": (5, 480),
            "buffer_before_minutes": (0, 240),
            "buffer_after_minutes": (0, 240),
            "minimum_notice_minutes": (0, 60 * 24 * 30),
            "horizon_days": (1, 365),
            "slot_step_minutes": (5, 240),
            "max_active_bookings_per_client": (1, 20),
        }
        for name, (low, high) in bounds.items():
            if not low <= getattr(self, name) <= high:
                fields[name] = N_("Enter a number in the allowed range.")
        if not self.modes or any(mode not in MODES for mode in self.modes):
            fields["modes"] = N_("Choose at least one way of meeting.")
        if len(self.reminder_minutes) > 4 or any(
            not 1 <= value <= 20160 for value in self.reminder_minutes
        ):
            fields["reminder_minutes"] = N_(
                "Give at most four reminders, each 1 to 20160 minutes before."
            )
        if "in_person" in self.modes and not self.address.strip():
            fields["address"] = N_("Enter the address for meetings in person.")
        if fields:
            raise ValidationFailed(fields)


def _meeting_type_info(row: MeetingType) -> MeetingTypeInfo:
    return MeetingTypeInfo(
        id=row.id,
        unit_id=row.unit_id,
        caseworker_id=row.caseworker_id,
        names={"fi": row.name_fi, "sv": row.name_sv, "en": row.name_en},
        duration_minutes=row.duration_minutes,
        buffer_before_minutes=row.buffer_before_minutes,
        buffer_after_minutes=row.buffer_after_minutes,
        minimum_notice_minutes=row.minimum_notice_minutes,
        horizon_days=row.horizon_days,
        slot_step_minutes=row.slot_step_minutes,
        modes=tuple(mode for mode in row.modes.split(",") if mode),
        address=row.address,
        asks_pre_meeting_form=row.asks_pre_meeting_form,
        pre_meeting_questions=tuple(
            PreMeetingQuestion(
                id=str(item["id"]), kind=str(item["kind"]), label=dict(item["label"])
            )
            for item in row.pre_meeting_questions or ()
        ),
        max_active_bookings_per_client=row.max_active_bookings_per_client,
        is_active=row.is_active,
        reminder_minutes=tuple(row.reminder_minutes or ()),
        assessment_template_id=row.assessment_template_id,
        requires_identification=row.requires_identification,
        network_meeting=row.network_meeting,
    )


def _apply_fields(row: MeetingType, fields: MeetingTypeFields) -> None:
    row.name_fi, row.name_sv, row.name_en = (
        fields.name_fi.strip(),
        fields.name_sv.strip(),
        fields.name_en.strip(),
    )
    row.duration_minutes = fields.duration_minutes
    row.buffer_before_minutes = fields.buffer_before_minutes
    row.buffer_after_minutes = fields.buffer_after_minutes
    row.minimum_notice_minutes = fields.minimum_notice_minutes
    row.horizon_days = fields.horizon_days
    row.slot_step_minutes = fields.slot_step_minutes
    row.modes = ",".join(fields.modes)
    row.address = fields.address.strip()
    row.asks_pre_meeting_form = fields.asks_pre_meeting_form
    row.pre_meeting_questions = [
        {"id": question.id, "kind": question.kind, "label": question.label}
        for question in fields.pre_meeting_questions
    ]
    row.max_active_bookings_per_client = fields.max_active_bookings_per_client
    row.is_active = fields.is_active
    row.reminder_minutes = sorted(set(fields.reminder_minutes), reverse=True)
    row.assessment_template_id = fields.assessment_template_id or None
    row.requires_identification = fields.requires_identification
    row.network_meeting = fields.network_meeting


class MeetingTypes:
    def __init__(
        self,
        sessions: Sessions,
        assessment_templates: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        self._sessions = sessions
        # The questionnaires a meeting type may ask for; the assessments package knows them.
        self._assessment_templates = assessment_templates

    def _check_assessment(self, fields: MeetingTypeFields) -> None:
        chosen = fields.assessment_template_id
        if chosen and chosen not in self._assessment_templates():
            raise ValidationFailed(
                {"assessment_template_id": N_("Choose one of the questionnaires listed.")}
            )

    async def create_meeting_type(
        self,
        viewer: Viewer | None,
        fields: MeetingTypeFields,
        *,
        caseworker_id: str | None = None,
        unit_id: str | None = None,
    ) -> MeetingTypeInfo:
        """A caseworker's own meeting type, or (admins only) one for every caseworker of a unit."""
        if (caseworker_id is None) == (unit_id is None):
            raise ValueError("a meeting type belongs to either a caseworker or a unit")
        if caseworker_id is not None:
            own_calendar(viewer, caseworker_id)
        else:
            require_role(viewer, Role.ADMIN)
        fields.check()
        self._check_assessment(fields)
        async with self._sessions.begin() as session:
            row = MeetingType(caseworker_id=caseworker_id, unit_id=unit_id)
            _apply_fields(row, fields)
            session.add(row)
            await session.flush()
            return _meeting_type_info(row)

    async def update_meeting_type(
        self, viewer: Viewer | None, meeting_type_id: str, fields: MeetingTypeFields
    ) -> MeetingTypeInfo:
        async with self._sessions.begin() as session:
            row = await session.get(MeetingType, meeting_type_id)
            if row is None:
                raise NotFound()
            if row.caseworker_id is not None:
                own_calendar(viewer, row.caseworker_id)
            else:
                require_role(viewer, Role.ADMIN)
            fields.check()
            self._check_assessment(fields)
            _apply_fields(row, fields)
            return _meeting_type_info(row)

    async def meeting_type(self, meeting_type_id: str) -> MeetingTypeInfo:
        async with self._sessions() as session:
            row = await session.get(MeetingType, meeting_type_id)
            if row is None:
                raise NotFound()
            return _meeting_type_info(row)

    async def meeting_types_by_id(
        self, meeting_type_ids: Iterable[str]
    ) -> dict[str, MeetingTypeInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingType).where(MeetingType.id.in_(list(meeting_type_ids)))
            )
            return {row.id: _meeting_type_info(row) for row in rows}

    async def meeting_types_for(
        self, caseworkers: Sequence[tuple[str, str | None]], *, active_only: bool = True
    ) -> dict[str, list[MeetingTypeInfo]]:
        """Per caseworker id, the meeting types they offer: their own and their unit's.

        ``caseworkers`` pairs each caseworker id with their unit id.
        """
        unit_ids = {unit_id for _, unit_id in caseworkers if unit_id}
        caseworker_ids = [caseworker_id for caseworker_id, _ in caseworkers]
        async with self._sessions() as session:
            query = select(MeetingType).where(
                or_(
                    one_of(session, MeetingType.caseworker_id, caseworker_ids),
                    one_of(session, MeetingType.unit_id, unit_ids),
                )
            )
            if active_only:
                query = query.where(MeetingType.is_active.is_(True))
            rows = (
                await session.scalars(
                    query.order_by(MeetingType.duration_minutes, MeetingType.name_en)
                )
            ).all()
        offered: dict[str, list[MeetingTypeInfo]] = {
            caseworker_id: [] for caseworker_id in caseworker_ids
        }
        for row in rows:
            info = _meeting_type_info(row)
            for caseworker_id, unit_id in caseworkers:
                if row.caseworker_id == caseworker_id or (
                    row.unit_id is not None and row.unit_id == unit_id
                ):
                    offered[caseworker_id].append(info)
        return offered

    async def unit_meeting_types(self, unit_id: str) -> list[MeetingTypeInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MeetingType)
                .where(MeetingType.unit_id == unit_id)
                .order_by(MeetingType.name_en)
            )
            return [_meeting_type_info(row) for row in rows]

    async def ensure_meeting_type(
        self,
        fields: MeetingTypeFields,
        *,
        unit_id: str | None = None,
        caseworker_id: str | None = None,
    ) -> MeetingTypeInfo:
        """For the demo: the meeting type with this English name, made if it is not there."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(MeetingType).where(
                    MeetingType.name_en == fields.name_en,
                    MeetingType.unit_id == unit_id
                    if unit_id
                    else MeetingType.caseworker_id == caseworker_id,
                )
            )
            if row is None:
                row = MeetingType(unit_id=unit_id, caseworker_id=caseworker_id)
                _apply_fields(row, fields)
                session.add(row)
                await session.flush()
            return _meeting_type_info(row)
