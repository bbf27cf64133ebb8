"""Wellbeing plans made together: goals, and for each the agreed actions (who does what by
when). A client has one plan per unit. The caseworker drafts it from one of the client's
bookings; the client reads it on their own pages, may propose changes (a new version of their
own), and accepts a version the caseworker wrote. Every save is a new version; nothing is
overwritten, so the plan's history is whole. Staff reads and writes are in the access log.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import AuditLog
from booking.service import BookingService
from booking.types import BookingView
from core.db import Sessions, new_id, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import IdentifiedClient, Role, Viewer
from plans.models import PlanVersion, WellbeingPlan
from video.live_state import PlanDraft

SUBJECT_TYPE = "wellbeing_plan"
CASEWORKER, CLIENT = "caseworker", "client"
MAX_GOALS, MAX_ACTIONS = 8, 6
MAX_GOAL, MAX_WHAT, MAX_WHO = 500, 300, 100


@dataclasses.dataclass(frozen=True, slots=True)
class Action:
    what: str
    who: str
    by: date | None


@dataclasses.dataclass(frozen=True, slots=True)
class Goal:
    goal: str
    actions: tuple[Action, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    goals: tuple[Goal, ...]
    author_kind: str
    created_at: datetime
    accepted_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class PlanView:
    id: str
    unit_id: str
    caseworker_name: str
    versions: tuple[VersionView, ...]  # oldest first

    @property
    def latest(self) -> VersionView:
        return self.versions[-1]

    @property
    def accepted(self) -> VersionView | None:
        return next((v for v in reversed(self.versions) if v.accepted_at is not None), None)

    @property
    def awaits_client(self) -> bool:
        """The newest version is the caseworker's and the client has not accepted it yet."""
        return self.latest.author_kind == CASEWORKER and self.latest.accepted_at is None


def checked_goals(raw: Sequence[Mapping[str, Any]]) -> tuple[Goal, ...]:
    """Goals as typed (blank rows left out), or a ValidationFailed naming each bad field as
    ``goals.<i>.goal`` or ``goals.<i>.actions.<j>.<what|who|by>``."""
    errors: dict[str, str] = {}
    goals: list[Goal] = []
    for i, entry in enumerate(raw[:MAX_GOALS]):
        text = " ".join(str(entry.get("goal", "")).split())
        actions: list[Action] = []
        for j, action in enumerate(list(entry.get("actions") or [])[:MAX_ACTIONS]):
            what = " ".join(str(action.get("what", "")).split())
            who = " ".join(str(action.get("who", "")).split())
            by_text = str(action.get("by") or "").strip()
            if not (what or who or by_text):
                continue
            key = f"goals.{i}.actions.{j}"
            if not what:
                errors[f"{key}.what"] = N_("Say what will be done.")
            elif len(what) > MAX_WHAT:
                errors[f"{key}.what"] = N_("Keep it to 300 characters.")
            if not who:
                errors[f"{key}.who"] = N_("Say who does it.")
            elif len(who) > MAX_WHO:
                errors[f"{key}.who"] = N_("Keep it to 100 characters.")
            by = None
            if by_text:
                try:
                    by = date.fromisoformat(by_text)
                except ValueError:
                    errors[f"{key}.by"] = N_("Enter a date, like 2027-03-31.")
            actions.append(Action(what, who, by))
        if not text and not actions:
            continue
        if not text:
            errors[f"goals.{i}.goal"] = N_("Write the goal.")
        elif len(text) > MAX_GOAL:
            errors[f"goals.{i}.goal"] = N_("Keep the goal to 500 characters.")
        goals.append(Goal(text, tuple(actions)))
    if not goals and not errors:
        errors["goals.0.goal"] = N_("Write at least one goal.")
    if errors:
        raise ValidationFailed(errors)
    return tuple(goals)


class PlanService:
    def __init__(
        self,
        sessions: Sessions,
        bookings: BookingService,
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._bookings = bookings
        self._audit = audit
        self._clock = clock

    # ---- the caseworker -----------------------------------------------------------------------

    async def for_booking(self, viewer: Viewer, booking_id: str) -> PlanView | None:
        """The client's plan with the booking's unit, if one was begun."""
        booking = await self._identified_booking(viewer, booking_id)
        async with self._sessions.begin() as session:
            plan = await self._plan_of(session, booking)
            if plan is None:
                return None
            self._audit.add(session, viewer, "plan.read", SUBJECT_TYPE, [plan.id], "client plan")
            return await self._view(session, plan, booking.caseworker.name)

    async def save_by_caseworker(
        self, viewer: Viewer, booking_id: str, raw_goals: Sequence[Mapping[str, Any]]
    ) -> int:
        """A new version by the caseworker (the plan is begun by the first); its number."""
        booking = await self._identified_booking(viewer, booking_id)
        goals = checked_goals(raw_goals)
        now = self._clock()
        async with self._sessions.begin() as session:
            plan = await self._plan_of(session, booking)
            if plan is None:
                plan = WellbeingPlan(
                    id=new_id(),
                    person_hash=booking.client_identity_hash or "",
                    unit_id=_unit_of(booking),
                    caseworker_id=viewer.user_id,
                    booking_id=booking.id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(plan)
                await session.flush()
            number = await self._add_version(session, plan, goals, CASEWORKER, viewer.user_id)
            self._audit.add(session, viewer, "plan.write", SUBJECT_TYPE, [plan.id], "client plan")
            return number

    # ---- in the video meeting (video.live_state.LivePlans) -------------------------------------

    async def draft(self, meeting_id: str) -> PlanDraft:
        """The newest version, for the host to open beside the video (empty before the first)."""
        host, booking = await self._meeting(meeting_id)
        _identified(booking)
        async with self._sessions.begin() as session:
            plan = await self._plan_of(session, booking)
            if plan is None:
                return PlanDraft(None, [])
            self._audit.add(session, host, "plan.read", SUBJECT_TYPE, [plan.id], "client plan")
            latest = (await self._view(session, plan, booking.caseworker.name)).latest
            return PlanDraft(latest.number, _editable(latest.goals))

    async def agreed_goals(self, meeting_id: str) -> tuple[Goal, ...]:
        """The goals the client accepted last (or the newest draft's), for their follow-up."""
        host, booking = await self._meeting(meeting_id)
        if booking.client_identity_hash is None:
            return ()
        async with self._sessions.begin() as session:
            plan = await self._plan_of(session, booking)
            if plan is None:
                return ()
            self._audit.add(session, host, "plan.read", SUBJECT_TYPE, [plan.id], "goal follow-up")
            view = await self._view(session, plan, booking.caseworker.name)
            return (view.accepted or view.latest).goals

    async def save(self, meeting_id: str, raw_goals: list[dict[str, Any]]) -> PlanDraft:
        """The plan as edited together in the meeting, saved as the caseworker's new version."""
        host, booking = await self._meeting(meeting_id)
        number = await self.save_by_caseworker(host, booking.id, raw_goals)
        return PlanDraft(number, _editable(checked_goals(raw_goals)))

    async def _meeting(self, meeting_id: str) -> tuple[Viewer, BookingView]:
        booking = await self._bookings.booking_for_invited_guest(meeting_id[:36])
        return booking.caseworker.as_host(), booking

    # ---- the client ---------------------------------------------------------------------------

    async def of_person(self, person: IdentifiedClient) -> list[PlanView]:
        async with self._sessions() as session:
            plans = (
                await session.scalars(
                    select(WellbeingPlan)
                    .where(WellbeingPlan.person_hash == person.identity_hash)
                    .order_by(WellbeingPlan.updated_at.desc())
                )
            ).all()
            names = await self._caseworker_names(person)
            return [
                await self._view(session, plan, names.get(plan.booking_id or "", ""))
                for plan in plans
            ]

    async def for_person(self, person: IdentifiedClient, plan_id: str) -> PlanView:
        async with self._sessions() as session:
            plan = await self._client_plan(session, person, plan_id)
            names = await self._caseworker_names(person)
            return await self._view(session, plan, names.get(plan.booking_id or "", ""))

    async def propose(
        self, person: IdentifiedClient, plan_id: str, raw_goals: Sequence[Mapping[str, Any]]
    ) -> int:
        """The client's own version: changes they propose, for the caseworker to take up."""
        goals = checked_goals(raw_goals)
        async with self._sessions.begin() as session:
            plan = await self._client_plan(session, person, plan_id)
            return await self._add_version(session, plan, goals, CLIENT, None)

    async def accept(self, person: IdentifiedClient, plan_id: str, number: int) -> None:
        """Accept the newest version, which must be the caseworker's; accepting an older one,
        or one already accepted, is refused (the page was out of date)."""
        async with self._sessions.begin() as session:
            plan = await self._client_plan(session, person, plan_id)
            latest = await session.scalar(
                select(PlanVersion)
                .where(PlanVersion.plan_id == plan.id)
                .order_by(PlanVersion.number.desc())
                .limit(1)
                .with_for_update()
            )
            if (
                latest is None
                or latest.number != number
                or latest.author_kind != CASEWORKER
                or latest.accepted_at is not None
            ):
                raise Conflict(N_("The plan has changed since you opened it. Read it again."))
            latest.accepted_at = self._clock()
            plan.updated_at = latest.accepted_at

    # ---- parts --------------------------------------------------------------------------------

    async def _identified_booking(self, viewer: Viewer, booking_id: str) -> BookingView:
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        return _identified(await self._bookings.booking(viewer, booking_id[:36]))

    async def _plan_of(self, session: AsyncSession, booking: BookingView) -> WellbeingPlan | None:
        plan: WellbeingPlan | None = await session.scalar(
            select(WellbeingPlan).where(
                WellbeingPlan.person_hash == booking.client_identity_hash,
                WellbeingPlan.unit_id == _unit_of(booking),
            )
        )
        return plan

    async def _client_plan(
        self, session: AsyncSession, person: IdentifiedClient, plan_id: str
    ) -> WellbeingPlan:
        plan = await session.get(WellbeingPlan, plan_id[:36])
        if plan is None or plan.person_hash != person.identity_hash:
            raise NotFound()
        return plan

    async def _caseworker_names(self, person: IdentifiedClient) -> dict[str, str]:
        own = await self._bookings.own_bookings(person.identity_hash)
        return {item.booking.id: item.booking.caseworker.name for item in own}

    async def _add_version(
        self,
        session: AsyncSession,
        plan: WellbeingPlan,
        goals: tuple[Goal, ...],
        author_kind: str,
        author_id: str | None,
    ) -> int:
        highest = await session.scalar(
            select(func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
        )
        number = int(highest or 0) + 1
        now = self._clock()
        session.add(
            PlanVersion(
                plan_id=plan.id,
                number=number,
                goals=json.dumps([_goal_json(goal) for goal in goals], ensure_ascii=False),
                author_kind=author_kind,
                author_id=author_id,
                created_at=now,
            )
        )
        plan.updated_at = now
        return number

    async def _view(
        self, session: AsyncSession, plan: WellbeingPlan, caseworker_name: str
    ) -> PlanView:
        versions = (
            await session.scalars(
                select(PlanVersion)
                .where(PlanVersion.plan_id == plan.id)
                .order_by(PlanVersion.number)
            )
        ).all()
        return PlanView(
            id=plan.id,
            unit_id=plan.unit_id,
            caseworker_name=caseworker_name,
            versions=tuple(
                VersionView(
                    number=v.number,
                    goals=tuple(_goal_of(entry) for entry in json.loads(v.goals)),
                    author_kind=v.author_kind,
                    created_at=v.created_at,
                    accepted_at=v.accepted_at,
                )
                for v in versions
            ),
        )


class PlansOfRemovedBookings:
    """booking retention's listener: a plan outlives the booking it was begun in."""

    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        await session.execute(
            update(WellbeingPlan)
            .where(WellbeingPlan.booking_id.in_(list(booking_ids)))
            .values(booking_id=None)
        )


def _identified(booking: BookingView) -> BookingView:
    if booking.client_identity_hash is None:
        raise ValidationFailed(
            {
                "goals.0.goal": N_(
                    "A plan is made with an identified client. Save the client's identity "
                    "code on the booking first."
                )
            }
        )
    return booking


def _unit_of(booking: BookingView) -> str:
    unit = booking.meeting_type.unit_id or booking.caseworker.unit_id
    if unit is None:
        raise Conflict(N_("The booking's caseworker belongs to no unit."))
    return unit


def _goal_json(goal: Goal) -> dict[str, Any]:
    return {
        "goal": goal.goal,
        "actions": [
            {"what": a.what, "who": a.who, "by": a.by.isoformat() if a.by else None}
            for a in goal.actions
        ],
    }


def _goal_of(entry: Mapping[str, Any]) -> Goal:
    return Goal(
        str(entry["goal"]),
        tuple(
            Action(a["what"], a["who"], date.fromisoformat(a["by"]) if a.get("by") else None)
            for a in entry.get("actions", [])
        ),
    )


def _editable(goals: Sequence[Goal]) -> list[dict[str, Any]]:
    """Goals as the room's form edits them: every field a string."""
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


def goals_json(goals: Sequence[Goal]) -> list[dict[str, Any]]:
    """Goals as the API gives them."""
    return [_goal_json(goal) for goal in goals]
