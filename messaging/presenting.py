"""Threads as their readers see them: the unit, the answer target in working days, who is
assigned, and the messages with their authors and files (the client never sees notes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.organisation import UnitInfo
from accounts.service import AccountService, StaffMember
from messaging.models import CLIENT, NOTE, MessageAttachment, MessageThread, ThreadMessage
from messaging.types import AttachmentView, MessageView, ThreadSummary, ThreadView
from reports.deadlines import WorkingCalendar


class ThreadPresenter:
    def __init__(
        self,
        accounts: AccountService,
        calendar: WorkingCalendar,
        day_of: Callable[[datetime], date],
    ) -> None:
        self._accounts = accounts
        self._calendar = calendar
        self._day_of = day_of

    async def summaries(
        self, rows: Sequence[MessageThread], *, for_client: bool
    ) -> list[ThreadSummary]:
        units = {unit.id: unit for unit in await self._accounts.organisation.units()}
        staff_ids = {row.assigned_to for row in rows if row.assigned_to}
        staff_ids |= {row.caseworker_id for row in rows if row.caseworker_id}
        staff = {m.id: m for m in await self._accounts.staff_members(sorted(staff_ids))}
        return [self._summary(row, units, staff, for_client) for row in rows]

    def _summary(
        self,
        row: MessageThread,
        units: dict[str, UnitInfo],
        staff: dict[str, StaffMember],
        for_client: bool,
    ) -> ThreadSummary:
        unit = units[row.unit_id]
        due = None
        if row.waiting_since is not None:
            due = self._calendar.add_working_days(self._day_of(row.waiting_since), unit.answer_days)
        return ThreadSummary(
            id=row.id,
            unit=unit,
            subject=row.subject,
            person_name=row.person_name,
            status=row.status,
            started_by=row.started_by,
            last_message_at=row.last_message_at,
            unread=row.unread_by_client if for_client else row.unread_by_staff,
            waiting_since=row.waiting_since,
            answer_due=due,
            assigned_to=staff.get(row.assigned_to or ""),
            addressed_to=staff.get(row.caseworker_id or ""),
        )

    async def view(
        self, session: AsyncSession, thread: MessageThread, *, for_client: bool
    ) -> ThreadView:
        query = select(ThreadMessage).where(ThreadMessage.thread_id == thread.id)
        if for_client:
            query = query.where(ThreadMessage.kind != NOTE)
        messages = (
            await session.scalars(query.order_by(ThreadMessage.created_at, ThreadMessage.id))
        ).all()
        attachments = (
            await session.scalars(
                select(MessageAttachment).where(
                    MessageAttachment.message_id.in_([m.id for m in messages])
                )
            )
        ).all()
        authors = {
            m.id: m.name
            for m in await self._accounts.staff_members(
                sorted({m.author_id for m in messages if m.author_id})
            )
        }
        files: dict[str, list[AttachmentView]] = {}
        for row in attachments:
            files.setdefault(row.message_id, []).append(
                AttachmentView(row.id, row.filename, row.media_type, row.size)
            )
        summary = (await self.summaries([thread], for_client=for_client))[0]
        return ThreadView(
            summary,
            [
                MessageView(
                    m.id,
                    m.kind,
                    authors.get(m.author_id or "") if m.kind != CLIENT else None,
                    m.body,
                    m.created_at,
                    files.get(m.id, []),
                )
                for m in messages
            ],
        )
