"""Assessment results: filled before the meeting, in the meeting, or by the caseworker.

Results are never changed: a correction is a new row naming the one it replaces, who made it and
why. Only the booking's own caseworker reads results (admins do not: a result says more about a
client than a booking does, and an admin has no client relationship); every read is written to
the access log in the same transaction.

Bookings are read through BookingService before a write transaction begins: on SQLite a second
connection inside a write transaction would wait for that very transaction's lock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assessments.models import AssessmentResult
from assessments.templates import Catalog, Template
from audit.service import AuditLog
from booking.models import CANCELLED
from booking.service import BookingService
from booking.types import BookingView, ManageToken
from core.db import Sessions, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role

MAX_REASON_LENGTH = 1000
SUBJECT = "assessment_result"
GOAL_FOLLOW_UP = "goal-follow-up"  # templates/goal-follow-up.yaml: goal_<n>, _now, _before
GOAL_SLOTS = (1, 2, 3)


class AlreadySubmitted(Conflict):
    title = N_("You have already sent your answers.")


class AlreadyCorrected(Conflict):
    title = N_("This result has already been corrected. Correct the newest version.")


class NotOpen(Conflict):
    title = N_("The questionnaire can no longer be answered for this booking.")


@dataclasses.dataclass(frozen=True, slots=True)
class ResultView:
    id: str
    booking_id: str
    template_id: str
    template_version: int
    answers: dict[str, Any]
    score: dict[str, Any] | None
    filled_by: str
    submitted_at: datetime
    submitted_by: str | None
    replaces_id: str | None
    correction_reason: str | None
    # The newer row that corrects this one, if any.
    replaced_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        found["submitted_at"] = self.submitted_at.isoformat()
        return found


@dataclasses.dataclass(frozen=True, slots=True)
class PreMeeting:
    """What the client's questionnaire page needs."""

    booking: BookingView
    template: Template
    submitted: bool


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryPoint:
    booking_id: str
    booking_start: datetime
    result: ResultView


def _view(row: AssessmentResult, replaced_by: str | None = None) -> ResultView:
    return ResultView(
        id=row.id,
        booking_id=row.booking_id,
        template_id=row.template_id,
        template_version=row.template_version,
        answers=dict(row.answers),
        score=dict(row.score) if row.score is not None else None,
        filled_by=row.filled_by,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        replaces_id=row.replaces_id,
        correction_reason=row.correction_reason,
        replaced_by=replaced_by,
    )


def _views(rows: Sequence[AssessmentResult]) -> list[ResultView]:
    replaced = {row.replaces_id: row.id for row in rows if row.replaces_id is not None}
    return [_view(row, replaced.get(row.id)) for row in rows]


class AssessmentService:
    def __init__(
        self,
        sessions: Sessions,
        bookings: BookingService,
        audit: AuditLog,
        catalog: Catalog,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._bookings = bookings
        self._audit = audit
        self._catalog = catalog
        self._clock = clock

    # ---- questionnaires ----------------------------------------------------------------------

    def template(self, template_id: str) -> Template:
        """The questionnaire, or NotFound."""
        return self._catalog.get(template_id)

    def templates(self) -> list[Template]:
        return self._catalog.all()

    # ---- submitting --------------------------------------------------------------------------

    async def record(
        self, meeting_id: str, template_id: str, answers: dict[str, Any]
    ) -> ResultView:
        """Store what the client answered in the video meeting (the room has checked who)."""
        template = self.template(template_id)
        booking = await self._bookings.booking_for_invited_guest(meeting_id)
        return await self._insert(booking, template, answers, filled_by="client_in_meeting")

    async def prefill(self, meeting_id: str, template_id: str) -> dict[str, Any]:
        """What a live questionnaire starts with: in a goal follow-up, the goals of the person's
        last follow-up, its ratings of now as this one's ratings of before."""
        if template_id != GOAL_FOLLOW_UP:
            return {}
        booking = await self._bookings.booking_for_invited_guest(meeting_id)
        if booking.client_identity_hash is None:
            return {}
        own = await self._bookings.own_bookings(booking.client_identity_hash)
        async with self._sessions.begin() as session:
            last = await session.scalar(
                select(AssessmentResult)
                .where(
                    AssessmentResult.booking_id.in_([item.booking.id for item in own]),
                    AssessmentResult.template_id == GOAL_FOLLOW_UP,
                )
                .order_by(AssessmentResult.submitted_at.desc())
                .limit(1)
            )
            if last is None:
                return {}
            host = booking.caseworker.as_host()
            self._audit.add(session, host, "assessment.read", SUBJECT, [last.id], "goal follow-up")
            return goals_followed_up(last.answers)

    async def pre_meeting(self, token: ManageToken) -> PreMeeting:
        """The questionnaire the booking's meeting type asks the client to fill, or NotFound."""
        booking = await self._bookings.booking(token)
        template_id = booking.meeting_type.assessment_template_id
        if template_id is None:
            raise NotFound()
        template = self.template(template_id)
        async with self._sessions() as session:
            found = await session.scalar(
                select(AssessmentResult.id)
                .where(
                    AssessmentResult.booking_id == booking.id,
                    AssessmentResult.template_id == template.id,
                    AssessmentResult.filled_by == "client",
                )
                .limit(1)
            )
        return PreMeeting(booking, template, submitted=found is not None)

    async def submit_before_meeting(
        self, token: ManageToken, answers: dict[str, Any]
    ) -> ResultView:
        """The client's answers by manage token; once, and only before the meeting ends."""
        state = await self.pre_meeting(token)
        if state.submitted:
            raise AlreadySubmitted()
        if state.booking.status == CANCELLED or state.booking.end <= self._clock():
            raise NotOpen()
        return await self._insert(
            state.booking, state.template, answers, filled_by="client", only_once=True
        )

    async def submit_on_behalf(
        self, viewer: Viewer | None, booking_id: str, template_id: str, answers: dict[str, Any]
    ) -> ResultView:
        """The caseworker fills the questionnaire for the client (on the phone, in person)."""
        viewer = require_role(viewer, Role.CASEWORKER)
        booking = await self._own_booking(viewer, booking_id)
        template = self.template(template_id)
        return await self._insert(
            booking, template, answers, filled_by="caseworker", submitted_by=viewer.user_id
        )

    async def correct(
        self, viewer: Viewer | None, result_id: str, answers: dict[str, Any], reason: str
    ) -> ResultView:
        """A new version of a result; the old one stays as it was."""
        reason = reason.strip()
        if not reason:
            raise ValidationFailed({"reason": N_("Say why the result is corrected.")})
        if len(reason) > MAX_REASON_LENGTH:
            raise ValidationFailed({"reason": N_("The reason is too long.")})
        viewer = require_role(viewer, Role.CASEWORKER)
        original = await self._row(result_id)
        booking = await self._own_booking(viewer, original.booking_id)
        template = self.template(original.template_id)
        return await self._insert(
            booking,
            template,
            answers,
            filled_by="caseworker",
            submitted_by=viewer.user_id,
            replaces=original.id,
            reason=reason,
        )

    async def _insert(
        self,
        booking: BookingView,
        template: Template,
        answers: Mapping[str, Any],
        *,
        filled_by: str,
        submitted_by: str | None = None,
        replaces: str | None = None,
        reason: str | None = None,
        only_once: bool = False,
    ) -> ResultView:
        template.check_complete(answers)
        shown = template.visible_answers(answers)
        row = AssessmentResult(
            booking_id=booking.id,
            template_id=template.id,
            template_version=template.version,
            answers=shown,
            score=template.score(shown),
            filled_by=filled_by,
            submitted_at=self._clock(),
            submitted_by=submitted_by,
            replaces_id=replaces,
            correction_reason=reason,
            once_key=f"{booking.id}:{template.id}:{filled_by}" if only_once else None,
        )
        try:
            async with self._sessions.begin() as session:
                if only_once and await self._exists(session, booking.id, template.id, filled_by):
                    raise AlreadySubmitted()
                if replaces is not None:
                    newer = await session.scalar(
                        select(AssessmentResult.id).where(AssessmentResult.replaces_id == replaces)
                    )
                    if newer is not None:
                        raise AlreadyCorrected()
                session.add(row)
        except IntegrityError:
            # Another submission won the race between the check above and the insert.
            raise AlreadyCorrected() if replaces is not None else AlreadySubmitted() from None
        return _view(row)

    @staticmethod
    async def _exists(
        session: AsyncSession, booking_id: str, template_id: str, filled_by: str
    ) -> bool:
        found = await session.scalar(
            select(AssessmentResult.id)
            .where(
                AssessmentResult.booking_id == booking_id,
                AssessmentResult.template_id == template_id,
                AssessmentResult.filled_by == filled_by,
            )
            .limit(1)
        )
        return found is not None

    # ---- reading (the booking's caseworker only; every read is logged) -----------------------

    async def results(self, viewer: Viewer | None, booking_id: str) -> list[ResultView]:
        """Every result of a booking, corrections included, oldest first."""
        booking = await self._own_booking(viewer, booking_id)
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(AssessmentResult)
                    .where(AssessmentResult.booking_id == booking.id)
                    .order_by(AssessmentResult.submitted_at, AssessmentResult.id)
                )
            ).all()
            self._audit.add(
                session, viewer, "assessment.list", SUBJECT, [r.id for r in rows], "client meeting"
            )
        return _views(rows)

    async def results_of_bookings(
        self, viewer: Viewer, booking_ids: Sequence[str], purpose: str
    ) -> list[ResultView]:
        """Every result of these bookings, for an admin answering the client's access request."""
        require_role(viewer, Role.ADMIN)
        return await self._results_read(viewer, booking_ids, "person.read", purpose)

    async def results_shared_by_consent(
        self, viewer: Viewer, booking_ids: Sequence[str], purpose: str
    ) -> list[ResultView]:
        """The results of a client's bookings for a worker of a unit the client consented to
        show them to. The caller (consents/) has checked the consent holds now."""
        require_role(viewer, Role.CASEWORKER, Role.INTAKE)
        return await self._results_read(viewer, booking_ids, "assessment.shared", purpose)

    async def own_results(self, booking_ids: Sequence[str]) -> list[ResultView]:
        """The results of the person's own bookings, as they read them on their own pages: the
        newest version of each (a correction replaces what it corrects), oldest first."""
        if not booking_ids:
            return []
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(AssessmentResult)
                    .where(AssessmentResult.booking_id.in_(list(booking_ids)))
                    .order_by(AssessmentResult.submitted_at, AssessmentResult.id)
                )
            ).all()
        return [view for view in _views(rows) if view.replaced_by is None]

    async def result_ids_of_bookings(self, booking_ids: Sequence[str]) -> list[str]:
        """Only ids: for the client's own view of who has read their data."""
        if not booking_ids:
            return []
        async with self._sessions() as session:
            found = await session.scalars(
                select(AssessmentResult.id).where(
                    AssessmentResult.booking_id.in_(list(booking_ids))
                )
            )
            return list(found)

    async def _results_read(
        self, viewer: Viewer, booking_ids: Sequence[str], action: str, purpose: str
    ) -> list[ResultView]:
        if not booking_ids:
            return []
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(AssessmentResult)
                    .where(AssessmentResult.booking_id.in_(list(booking_ids)))
                    .order_by(AssessmentResult.submitted_at, AssessmentResult.id)
                )
            ).all()
            self._audit.add(session, viewer, action, SUBJECT, [r.id for r in rows], purpose)
        return _views(rows)

    async def result(self, viewer: Viewer | None, result_id: str) -> ResultView:
        original = await self._row(result_id)
        await self._own_booking(viewer, original.booking_id)
        async with self._sessions.begin() as session:
            row = await session.get(AssessmentResult, result_id)
            if row is None:
                raise NotFound()
            newer = await session.scalar(
                select(AssessmentResult.id).where(AssessmentResult.replaces_id == row.id)
            )
            self._audit.add(session, viewer, "assessment.read", SUBJECT, [row.id], "client meeting")
        return _view(row, newer)

    async def history(self, viewer: Viewer | None, result_id: str) -> list[HistoryPoint]:
        """The same questionnaire over this client's bookings with this caseworker, up to the
        result's booking: the newest version of each result, oldest booking first."""
        original = await self._row(result_id)
        viewer = require_role(viewer, Role.CASEWORKER)
        booking_ids = await self._bookings.bookings_of_same_client(viewer, original.booking_id)
        starts = {b: await self._start_of(viewer, b) for b in booking_ids}
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(AssessmentResult)
                    .where(
                        AssessmentResult.booking_id.in_(booking_ids),
                        AssessmentResult.template_id == original.template_id,
                    )
                    .order_by(AssessmentResult.submitted_at, AssessmentResult.id)
                )
            ).all()
            views = [v for v in _views(rows) if v.replaced_by is None]
            self._audit.add(
                session, viewer, "assessment.read", SUBJECT, [v.id for v in views], "history"
            )
        points = [HistoryPoint(v.booking_id, starts[v.booking_id], v) for v in views]
        return sorted(points, key=lambda p: (p.booking_start, p.result.submitted_at))

    async def _start_of(self, viewer: Viewer, booking_id: str) -> datetime:
        return (await self._bookings.booking(viewer, booking_id)).start

    async def _row(self, result_id: str) -> AssessmentResult:
        if len(result_id) > 36:
            raise NotFound()
        async with self._sessions() as session:
            row = await session.get(AssessmentResult, result_id)
        if row is None:
            raise NotFound()
        return row

    async def _own_booking(self, viewer: Viewer | None, booking_id: str) -> BookingView:
        """The booking, if ``viewer`` is its caseworker (admins are refused by policy)."""
        viewer = require_role(viewer, Role.CASEWORKER)
        return await self._bookings.booking(viewer, booking_id)


def goals_followed_up(last: Mapping[str, Any]) -> dict[str, Any]:
    """A goal follow-up's goals and its ratings of now, as the next one's goals and before."""
    carried: dict[str, Any] = {
        key: last[key] for key in ("more_goals", "third_goal") if key in last
    }
    for n in GOAL_SLOTS:
        if last.get(f"goal_{n}"):
            carried[f"goal_{n}"] = last[f"goal_{n}"]
            if f"goal_{n}_now" in last:
                carried[f"goal_{n}_before"] = last[f"goal_{n}_now"]
    return carried
