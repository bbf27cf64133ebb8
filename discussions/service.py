"""Group discussions' lasting side: the scheduled sessions a unit's staff create, change and
cancel, the public listing, and the host's summary published afterwards. Staff actions go to
the access log. What is said in a session is not here: it lives in memory while the session
does (discussions/rooms.py), and is gone when it ends."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import AccountService, StaffMember
from audit.service import AuditLog
from core.db import Sessions, new_id, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from discussions.models import GroupSession
from discussions.types import JOIN_EARLY, RoomInfo

STAFF_ROLES = (Role.CASEWORKER, Role.INTAKE)
LANGUAGES = ("fi", "sv", "en")
SUBJECT_TYPE = "group_session"
PURPOSE = "group discussions"
MIN_MINUTES, MAX_MINUTES = 15, 240
MIN_CAPACITY, MAX_CAPACITY = 2, 200
MAX_MODERATORS = 10
MAX_TOPIC, MAX_DESCRIPTION, MAX_SUMMARY = 120, 2000, 10_000
PAST_SHOWN = 20
CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


@dataclasses.dataclass(frozen=True, slots=True)
class SessionFields:
    """A session as the staff's form gives it: the date and times in the service's zone, as
    typed. ``unit_id`` is the admin's choice; other staff create in their own unit."""

    topic: str
    description: str
    language: str
    host_id: str
    moderator_ids: tuple[str, ...]
    day: str  # YYYY-MM-DD
    starts: str  # HH:MM
    ends: str  # HH:MM
    capacity: str
    premoderation: bool
    unit_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    unit_id: str
    topic: str
    description: str
    language: str
    host_id: str
    host_name: str
    moderators: tuple[StaffMember, ...]
    starts_at: datetime
    ends_at: datetime
    capacity: int
    premoderation: bool
    cancelled: bool
    summary: str
    summary_published_at: datetime | None

    def is_on(self, now: datetime) -> bool:
        """Whether the room is open to join: from ten minutes before the start to the end."""
        return not self.cancelled and self.starts_at - JOIN_EARLY <= now < self.ends_at

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at

    def state(self, now: datetime) -> str:
        """``cancelled``, ``ended``, ``on`` (the room is open) or ``later``."""
        if self.cancelled:
            return "cancelled"
        if self.has_ended(now):
            return "ended"
        return "on" if self.is_on(now) else "later"

    def room_info(self) -> RoomInfo:
        return RoomInfo(
            session_id=self.id,
            topic=self.topic,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            capacity=self.capacity,
            premoderation=self.premoderation,
            cancelled=self.cancelled,
            host_id=self.host_id,
            host_name=self.host_name,
            moderator_ids=tuple(m.id for m in self.moderators),
            moderator_names=tuple(m.name for m in self.moderators),
        )


class GroupSessions:
    def __init__(
        self,
        sessions: Sessions,
        accounts: AccountService,
        audit: AuditLog,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._accounts = accounts
        self._audit = audit
        self._zone = zone
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    # ---- the public side ---------------------------------------------------------------------

    async def upcoming(self) -> list[SessionView]:
        """Sessions going on or still to come, soonest first (cancelled ones left out)."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(GroupSession)
                    .where(GroupSession.ends_at > self._clock(), GroupSession.cancelled.is_(False))
                    .order_by(GroupSession.starts_at)
                )
            ).all()
        return await self._views(rows)

    async def past_with_summary(self) -> list[SessionView]:
        """Ended sessions whose host published a summary, newest first."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(GroupSession)
                    .where(
                        GroupSession.ends_at <= self._clock(),
                        GroupSession.summary_published_at.is_not(None),
                    )
                    .order_by(GroupSession.starts_at.desc())
                    .limit(PAST_SHOWN)
                )
            ).all()
        return await self._views(rows)

    async def session(self, session_id: str) -> SessionView:
        """One session as anyone may see it (a cancelled one says so)."""
        async with self._sessions() as session:
            row = await session.get(GroupSession, session_id[:36])
        if row is None:
            raise NotFound()
        return (await self._views([row]))[0]

    # ---- the staff's side --------------------------------------------------------------------

    async def for_staff(self, viewer: Viewer) -> list[SessionView]:
        """The viewer's unit's sessions (every unit's for admins), the newest start first."""
        query = select(GroupSession).order_by(GroupSession.starts_at.desc())
        if viewer.role != Role.ADMIN:
            query = query.where(GroupSession.unit_id == await self._unit_of(viewer))
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return await self._views(rows)

    async def for_staff_one(self, viewer: Viewer, session_id: str) -> SessionView:
        async with self._sessions() as session:
            row = await self._managed(session, viewer, session_id)
        return (await self._views([row]))[0]

    async def staff_choices(self, viewer: Viewer) -> list[StaffMember]:
        """Who may host or moderate: the viewer's unit's staff (every unit's for admins)."""
        require_role(viewer, Role.ADMIN, *STAFF_ROLES)
        if viewer.role == Role.ADMIN:
            return await self._accounts.unit_staff()
        return await self._accounts.unit_staff(await self._unit_of(viewer))

    async def own_unit(self, viewer: Viewer) -> str | None:
        """The unit a worker creates sessions in (None for admins, who choose)."""
        return None if viewer.role == Role.ADMIN else await self._unit_of(viewer)

    async def create(self, viewer: Viewer, fields: SessionFields) -> SessionView:
        require_role(viewer, Role.ADMIN, *STAFF_ROLES)
        unit_id = await self._unit_for(viewer, fields.unit_id)
        row = GroupSession(id=new_id(), unit_id=unit_id, cancelled=False, summary="")
        await self._check_and_fill(row, fields, new=True)
        async with self._sessions.begin() as session:
            session.add(row)
            self._audit.add(session, viewer, "group.create", SUBJECT_TYPE, [row.id], PURPOSE)
        return (await self._views([row]))[0]

    async def change(self, viewer: Viewer, session_id: str, fields: SessionFields) -> SessionView:
        async with self._sessions.begin() as session:
            row = await self._managed(session, viewer, session_id)
            if row.cancelled or row.ends_at <= self._clock():
                raise Conflict(N_("A cancelled or ended discussion cannot be changed."))
            await self._check_and_fill(row, dataclasses.replace(fields, unit_id=None), new=False)
            self._audit.add(session, viewer, "group.change", SUBJECT_TYPE, [row.id], PURPOSE)
        return (await self._views([row]))[0]

    async def cancel(self, viewer: Viewer, session_id: str) -> SessionView:
        async with self._sessions.begin() as session:
            row = await self._managed(session, viewer, session_id)
            if row.ends_at <= self._clock():
                raise Conflict(N_("The discussion has already ended."))
            row.cancelled = True
            self._audit.add(session, viewer, "group.cancel", SUBJECT_TYPE, [row.id], PURPOSE)
        return (await self._views([row]))[0]

    async def publish_summary(self, viewer: Viewer, session_id: str, text: str) -> SessionView:
        """The host's summary, public on the session's page from now on."""
        summary = text.strip().replace("\r\n", "\n")
        async with self._sessions.begin() as session:
            row = await self._managed(session, viewer, session_id)
            if row.cancelled:
                raise Conflict(N_("The discussion was cancelled."))
            if row.ends_at > self._clock():
                raise ValidationFailed(
                    {"summary": N_("A summary can be published once the discussion has ended.")}
                )
            if not summary or len(summary) > MAX_SUMMARY or "\x00" in summary:
                raise ValidationFailed(
                    {"summary": N_("Write the summary (up to 10,000 characters).")}
                )
            row.summary = summary
            row.summary_published_at = self._clock()
            self._audit.add(session, viewer, "group.summary", SUBJECT_TYPE, [row.id], PURPOSE)
        return (await self._views([row]))[0]

    # ---- what the rooms write (discussions.types.GroupRecords) ---------------------------------

    async def staff_action(self, user_id: str, action: str, session_id: str) -> None:
        """A host's or moderator's action in a room: who, what, which session; never the words
        or whom it concerned."""
        async with self._sessions.begin() as session:
            self._audit.add_by(session, user_id, action, SUBJECT_TYPE, [session_id], PURPOSE)

    # ---- the demo ------------------------------------------------------------------------------

    async def ensure_session(
        self,
        unit_id: str,
        host_id: str,
        topic: str,
        *,
        description: str,
        language: str,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
        premoderation: bool,
    ) -> str:
        """A session of the unit with this topic that has not ended, made if there is none
        (the demo, run again, adds nothing). No checks: the demo's may have begun already."""
        async with self._sessions.begin() as session:
            found = await session.scalar(
                select(GroupSession.id).where(
                    GroupSession.unit_id == unit_id,
                    GroupSession.topic == topic,
                    GroupSession.ends_at > self._clock(),
                )
            )
            if found is not None:
                return str(found)
            row = GroupSession(
                id=new_id(),
                unit_id=unit_id,
                host_id=host_id,
                topic=topic,
                description=description,
                language=language,
                moderators="[]",
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                premoderation=premoderation,
                cancelled=False,
                summary="",
            )
            session.add(row)
            return row.id

    # ---- rules -------------------------------------------------------------------------------

    async def _check_and_fill(self, row: GroupSession, fields: SessionFields, *, new: bool) -> None:
        errors: dict[str, str] = {}
        topic = " ".join(fields.topic.split())
        if not 3 <= len(topic) <= MAX_TOPIC:
            errors["topic"] = N_("Give the topic (3–120 characters).")
        description = fields.description.strip().replace("\r\n", "\n")
        if len(description) > MAX_DESCRIPTION:
            errors["description"] = N_("The description can be at most 2000 characters.")
        if fields.language not in LANGUAGES:
            errors["language"] = N_("Choose the language of the discussion.")
        staff = {member.id: member for member in await self._accounts.unit_staff(row.unit_id)}
        if fields.host_id not in staff:
            errors["host_id"] = N_("Choose the host from the unit's staff.")
        moderators = [m for m in dict.fromkeys(fields.moderator_ids) if m != fields.host_id]
        if len(moderators) > MAX_MODERATORS or any(m not in staff for m in moderators):
            errors["moderator_ids"] = N_("Choose at most 10 moderators from the unit's staff.")
        capacity = int(fields.capacity) if fields.capacity.strip().isdigit() else -1
        if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            errors["capacity"] = N_("Enter a number from 2 to 200.")
        starts_at, ends_at = self._times(fields, errors)
        if starts_at is not None and ends_at is not None:
            unchanged = not new and starts_at == row.starts_at
            if starts_at <= self._clock() and not unchanged:
                errors["starts"] = N_("The start time must be in the future.")
            minutes = (ends_at - starts_at).total_seconds() / 60
            if not MIN_MINUTES <= minutes <= MAX_MINUTES:
                errors["ends"] = N_("The discussion lasts from 15 minutes to 4 hours.")
        if errors:
            raise ValidationFailed(errors)
        assert starts_at is not None and ends_at is not None
        row.topic = topic
        row.description = description
        row.language = fields.language
        row.host_id = fields.host_id
        row.moderators = json.dumps(moderators)
        row.starts_at = starts_at
        row.ends_at = ends_at
        row.capacity = capacity
        row.premoderation = fields.premoderation

    def _times(
        self, fields: SessionFields, errors: dict[str, str]
    ) -> tuple[datetime | None, datetime | None]:
        """The start and end in UTC from the local date and clock times typed."""
        try:
            day = date.fromisoformat(fields.day.strip())
        except ValueError:
            errors["day"] = N_("Enter the date like 2027-03-10.")
            return None, None
        starts = self._moment(day, fields.starts)
        ends = self._moment(day, fields.ends)
        if starts is None:
            errors["starts"] = N_("Enter the start time like 18:00 (a time that exists that day).")
        if ends is None:
            errors["ends"] = N_("Enter the end time like 19:30 (a time that exists that day).")
        return starts, ends

    def _moment(self, day: date, typed: str) -> datetime | None:
        found = CLOCK.fullmatch(typed.strip())
        if found is None:
            return None
        local = datetime.combine(day, time(int(found[1]), int(found[2])), self._zone)
        moment = local.astimezone(UTC)
        # A time the clocks skip when summer time begins does not come back the same.
        if moment.astimezone(self._zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            return None
        return moment

    async def _unit_for(self, viewer: Viewer, chosen: str | None) -> str:
        if viewer.role != Role.ADMIN:
            return await self._unit_of(viewer)
        units = {unit.id for unit in await self._accounts.organisation.units()}
        if chosen not in units:
            raise ValidationFailed({"unit_id": N_("Choose the unit.")})
        assert chosen is not None
        return chosen

    async def _unit_of(self, viewer: Viewer) -> str:
        return await self._accounts.unit_of(viewer, *STAFF_ROLES)

    async def _managed(
        self, session: AsyncSession, viewer: Viewer, session_id: str
    ) -> GroupSession:
        """The session, if the viewer may manage it: staff of its unit, or an admin. Another
        unit's session is not found, as if it did not exist."""
        require_role(viewer, Role.ADMIN, *STAFF_ROLES)
        row = await session.get(GroupSession, session_id[:36])
        if row is None:
            raise NotFound()
        if viewer.role != Role.ADMIN and row.unit_id != await self._unit_of(viewer):
            raise NotFound()
        return row

    async def _views(self, rows: Sequence[GroupSession]) -> list[SessionView]:
        moderator_ids = {row.id: tuple(json.loads(row.moderators or "[]")) for row in rows}
        wanted = {row.host_id for row in rows} | {m for ids in moderator_ids.values() for m in ids}
        people = {m.id: m for m in await self._accounts.staff_members(sorted(wanted))}
        return [
            SessionView(
                id=row.id,
                unit_id=row.unit_id,
                topic=row.topic,
                description=row.description,
                language=row.language,
                host_id=row.host_id,
                host_name=people[row.host_id].name if row.host_id in people else "",
                moderators=tuple(people[m] for m in moderator_ids[row.id] if m in people),
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                capacity=row.capacity,
                premoderation=row.premoderation,
                cancelled=row.cancelled,
                summary=row.summary,
                summary_published_at=row.summary_published_at,
            )
            for row in rows
        ]

    def local_fields(self, view: SessionView) -> dict[str, str]:
        """A session's values as the form shows them: the date and times in the zone."""
        starts = view.starts_at.astimezone(self._zone)
        ends = view.ends_at.astimezone(self._zone)
        return {
            "topic": view.topic,
            "description": view.description,
            "language": view.language,
            "host_id": view.host_id,
            "day": starts.date().isoformat(),
            "starts": starts.strftime("%H:%M"),
            "ends": ends.strftime("%H:%M"),
            "capacity": str(view.capacity),
            "premoderation": "yes" if view.premoderation else "",
        }
