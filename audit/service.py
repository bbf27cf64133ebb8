"""Writing and reading the access log of client data."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.models import AccessLogEntry
from core.db import Sessions
from core.principal import Role, Viewer, require_role

SEARCH_LIMIT = 1000
# What the retention jobs write, one entry a batch (see add_retention and docs/privacy.md).
RETENTION_DELETED = "retention.deleted"
RETENTION_ERASED = "retention.erased"


@dataclasses.dataclass(frozen=True, slots=True)
class AccessQuery:
    """What an admin searches the access log by; every part is optional."""

    user_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AccessRecord:
    at: datetime
    user_id: str | None
    actor_kind: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str


class AuditLog:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    @staticmethod
    def add(
        session: AsyncSession,
        viewer: Viewer | None,
        action: str,
        subject_type: str,
        subject_ids: Iterable[str],
        purpose: str,
    ) -> None:
        """Record reads inside the caller's transaction: no read is shown unless it is logged."""
        AuditLog.add_by(
            session, viewer.user_id if viewer else None, action, subject_type, subject_ids, purpose
        )

    @staticmethod
    def add_by(
        session: AsyncSession,
        user_id: str | None,
        action: str,
        subject_type: str,
        subject_ids: Iterable[str],
        purpose: str,
    ) -> None:
        """The same by the staff member's id (None: the client), where no session is at hand."""
        for subject_id in subject_ids:
            session.add(
                AccessLogEntry(
                    user_id=user_id,
                    actor_kind="staff" if user_id else "client",
                    action=action,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    purpose=purpose,
                )
            )

    @staticmethod
    def add_system(
        session: AsyncSession,
        action: str,
        subject_type: str,
        subject_ids: Iterable[str],
        purpose: str,
    ) -> None:
        """Record what the service itself did to client data (a scheduled deletion, say)."""
        for subject_id in subject_ids:
            session.add(
                AccessLogEntry(
                    user_id=None,
                    actor_kind="system",
                    action=action,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    purpose=purpose,
                )
            )

    @staticmethod
    def add_account_change(
        session: AsyncSession, actor_id: str | None, user_id: str, change: str
    ) -> None:
        """Record a change of a staff member's login security (their second factor)."""
        AuditLog._add_staff_change(
            session, actor_id, ("user", user_id), f"second-factor.{change}", "staff login security"
        )

    @staticmethod
    def add_unit_change(
        session: AsyncSession, actor_id: str, unit_id: str, setting: str, value: int | None
    ) -> None:
        """Record an admin's change of one of a unit's settings, with its new value ("default":
        the service's own)."""
        shown = "default" if value is None else value
        AuditLog._add_staff_change(
            session, actor_id, ("unit", unit_id), f"unit.{setting}={shown}", "unit settings"
        )

    @staticmethod
    def _add_staff_change(
        session: AsyncSession,
        actor_id: str | None,
        subject: tuple[str, str],
        action: str,
        purpose: str,
    ) -> None:
        subject_type, subject_id = subject
        session.add(
            AccessLogEntry(
                user_id=actor_id,
                actor_kind="staff",
                action=action[:40],
                subject_type=subject_type,
                subject_id=subject_id,
                purpose=purpose,
            )
        )

    @staticmethod
    def add_retention(session: AsyncSession, action: str, kind: str, count: int) -> None:
        """Record one batch of a retention job: what kind of data, how many rows, never whose.

        ``action`` is ``RETENTION_DELETED`` or ``RETENTION_ERASED`` (the row stays, its personal
        data blanked); the count stands where one subject's id would.
        """
        session.add(
            AccessLogEntry(
                user_id=None,
                actor_kind="system",
                action=action,
                subject_type=kind,
                subject_id=f"count:{count}",
                purpose="retention",
            )
        )

    async def entries_for(
        self, viewer: Viewer, subject_type: str, subject_id: str
    ) -> list[AccessRecord]:
        require_role(viewer, Role.ADMIN)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AccessLogEntry)
                .where(
                    AccessLogEntry.subject_type == subject_type,
                    AccessLogEntry.subject_id == subject_id,
                )
                .order_by(AccessLogEntry.at)
            )
            return [_record(row) for row in rows]

    async def reads_of(
        self, viewer: Viewer, subjects: Mapping[str, Sequence[str]]
    ) -> list[AccessRecord]:
        """Every entry about these items (subject type → ids), oldest first: who has read one
        person's data, for their access request."""
        require_role(viewer, Role.ADMIN)
        return await self._entries_about(subjects)

    async def staff_reads_of(self, subjects: Mapping[str, Sequence[str]]) -> list[AccessRecord]:
        """Staff members' entries about these items, oldest first: what a client sees of who
        has read their data. The caller has checked the items are the client's own."""
        return await self._entries_about(subjects, AccessLogEntry.actor_kind == "staff")

    async def _entries_about(
        self, subjects: Mapping[str, Sequence[str]], *only: ColumnElement[bool]
    ) -> list[AccessRecord]:
        conditions = [
            and_(AccessLogEntry.subject_type == kind, AccessLogEntry.subject_id.in_(list(ids)))
            for kind, ids in subjects.items()
            if ids
        ]
        if not conditions:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AccessLogEntry)
                .where(or_(*conditions), *only)
                .order_by(AccessLogEntry.at, AccessLogEntry.id)
            )
            return [_record(row) for row in rows]

    async def search(
        self, viewer: Viewer, query: AccessQuery, *, limit: int = SEARCH_LIMIT
    ) -> list[AccessRecord]:
        """Entries matching ``query``, newest first: who read what, when and why (admins only).

        Searching by ``user_id`` gives a staff member's reads; by subject, everyone's reads of
        one client's data (what the Finnish client data act lets the client ask for).
        """
        require_role(viewer, Role.ADMIN)
        statement = select(AccessLogEntry).order_by(AccessLogEntry.at.desc()).limit(limit)
        if query.user_id:
            statement = statement.where(AccessLogEntry.user_id == query.user_id)
        if query.subject_type:
            statement = statement.where(AccessLogEntry.subject_type == query.subject_type)
        if query.subject_id:
            statement = statement.where(AccessLogEntry.subject_id == query.subject_id)
        if query.since is not None:
            statement = statement.where(AccessLogEntry.at >= query.since)
        if query.until is not None:
            statement = statement.where(AccessLogEntry.at < query.until)
        async with self._sessions() as session:
            return [_record(row) for row in await session.scalars(statement)]


def _record(row: AccessLogEntry) -> AccessRecord:
    return AccessRecord(
        row.at,
        row.user_id,
        row.actor_kind,
        row.action,
        row.subject_type,
        row.subject_id,
        row.purpose,
    )


class SecondFactorAudit:
    """accounts' listener: every change of a staff member's second factor in the access log."""

    def second_factor_changed(
        self, session: AsyncSession, actor_id: str | None, user_id: str, change: str
    ) -> None:
        AuditLog.add_account_change(session, actor_id, user_id, change)


class UnitSettingsAudit:
    """accounts' listener: every change of a unit's settings in the access log."""

    def unit_settings_changed(
        self, session: AsyncSession, actor_id: str, unit_id: str, changes: Mapping[str, int | None]
    ) -> None:
        for setting, value in changes.items():
            AuditLog.add_unit_change(session, actor_id, unit_id, setting, value)
