"""Secure messages between an identified client and a unit.

A client writes to a unit where they have or had a booking, or where a thread with them is
open, so the inbox is no open channel; at most ``MESSAGES_PER_HOUR`` of their messages an hour.
Staff of the unit (caseworkers and intake workers) see the unit's inbox, answer, write internal
notes the client never sees, assign a thread to a worker and close it; they may also start a
thread to a person by identity code, which the person sees at their next login. Every staff
read is in the access log. A notification says only that there is a new message, never what it
says or its subject (messaging/notices.py). Nothing is deleted by the client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.service import AccountService, StaffMember
from audit.service import AuditLog
from booking.service import BookingService
from booking.types import BookingView
from core.db import Sessions, new_id, utcnow
from core.errors import NotFound, RateLimited, ValidationFailed
from core.files import EncryptedFiles
from core.i18n import N_
from core.lookup import PersonHasher
from core.principal import IdentifiedClient, Role, Viewer, require_role
from core.uploads import Upload, check_uploads
from core.validators import InvalidValue, nordic_identity_number
from messaging.checks import MAX_SUBJECT, body_errors, text_errors, upload_errors
from messaging.export import thread_export
from messaging.models import (
    CLIENT,
    CLOSED,
    NOTE,
    OPEN,
    STAFF,
    MessageAttachment,
    MessageThread,
    ThreadMessage,
)
from messaging.notices import MessageNotices
from messaging.presenting import ThreadPresenter
from messaging.types import Addressee, FileDownload, ThreadSummary, ThreadView
from reports.deadlines import working_calendar

MESSAGES_PER_HOUR = 10
SUBJECT_TYPE = "message_thread"
STAFF_ROLES = (Role.CASEWORKER, Role.INTAKE)


class MessagingService:
    def __init__(
        self,
        sessions: Sessions,
        accounts: AccountService,
        bookings: BookingService,
        audit: AuditLog,
        files: EncryptedFiles,
        hasher: Callable[[], PersonHasher],
        notices: MessageNotices,
        *,
        country: str = "fi",
        zone_of_day: Callable[[datetime], date] = lambda moment: moment.date(),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._accounts = accounts
        self._bookings = bookings
        self._audit = audit
        self._files = files
        self._hasher = hasher
        self._notices = notices
        calendar = working_calendar("se" if country == "se" else "fi")
        self._presenter = ThreadPresenter(accounts, calendar, zone_of_day)
        self._day_of = zone_of_day
        self._clock = clock

    def today(self) -> date:
        """Today in the service's zone: what answer targets are compared with."""
        return self._day_of(self._clock())

    # ---- the client --------------------------------------------------------------------------

    async def addressees(self, person: IdentifiedClient) -> list[Addressee]:
        """Units where the person has or had a booking, or has an open thread, each with the
        caseworkers of the person's bookings there."""
        met: dict[str, dict[str, StaffMember]] = {}
        for item in await self._bookings.own_bookings(person.identity_hash):
            unit_id = _unit_of_booking(item.booking)
            if unit_id is not None:
                caseworker = item.booking.caseworker
                met.setdefault(unit_id, {})[caseworker.id] = caseworker
        async with self._sessions() as session:
            open_units = await session.scalars(
                select(MessageThread.unit_id).where(
                    MessageThread.person_hash == person.identity_hash,
                    MessageThread.status == OPEN,
                )
            )
            for unit_id in open_units:
                met.setdefault(unit_id, {})
        units = await self._accounts.organisation.units()
        return [
            Addressee(unit, tuple(sorted(met[unit.id].values(), key=lambda m: m.name)))
            for unit in units
            if unit.id in met
        ]

    async def start_by_client(
        self,
        person: IdentifiedClient,
        unit_id: str,
        subject: str,
        body: str,
        uploads: Sequence[Upload] = (),
        language: str = "fi",
        caseworker_id: str | None = None,
    ) -> str:
        """A new thread to a unit the person has met, addressed to one of the caseworkers they
        met there if they choose one (it is then also assigned to that caseworker)."""
        subject, body = " ".join(subject.split()), body.strip()
        errors = text_errors(subject, body)
        allowed = {a.unit.id: a for a in await self.addressees(person)}
        if unit_id not in allowed:
            errors["unit_id"] = N_("Choose one of the units you have met.")
        elif caseworker_id and caseworker_id not in {m.id for m in allowed[unit_id].caseworkers}:
            errors["unit_id"] = N_("Choose one of the caseworkers you have met in the unit.")
        errors |= upload_errors(uploads)
        if errors:
            raise ValidationFailed(errors)
        await self._refuse_if_writing_too_much(person)
        blob_ids = self._store_files(uploads)
        now = self._clock()
        thread = MessageThread(
            id=new_id(),
            unit_id=unit_id,
            person_hash=person.identity_hash,
            person_name=person.name,
            person_code=person.identity_code,
            subject=subject,
            caseworker_id=caseworker_id or None,
            assigned_to=caseworker_id or None,
            started_by=CLIENT,
            language=language[:2],
            created_at=now,
            waiting_since=now,
            last_message_at=now,
            unread_by_staff=True,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(thread)
                await session.flush()
                message_id = await self._add_message(
                    session, thread.id, CLIENT, None, body, uploads, blob_ids, now
                )
                workers = await self._unit_workers(thread)
                await self._notices.client_wrote(session, message_id, thread.id, workers)
        except BaseException:
            self._delete_files(blob_ids)
            raise
        return thread.id

    async def keep_chat(
        self, person: IdentifiedClient, unit_id: str, subject: str, transcript: str
    ) -> str:
        """An advice chat the identified person chose to keep: a closed thread with the unit
        holding the transcript, on their own pages. Nobody is notified and nothing is filed in
        the record system; writing to it reopens it as any thread."""
        now = self._clock()
        thread = MessageThread(
            id=new_id(),
            unit_id=unit_id,
            person_hash=person.identity_hash,
            person_name=person.name,
            person_code=person.identity_code,
            subject=subject[:MAX_SUBJECT],
            started_by=CLIENT,
            status=CLOSED,
            created_at=now,
            closed_at=now,
            last_message_at=now,
        )
        async with self._sessions.begin() as session:
            session.add(thread)
            await session.flush()
            await self._add_message(session, thread.id, CLIENT, None, transcript, (), (), now)
        return thread.id

    async def client_threads(self, person: IdentifiedClient) -> list[ThreadSummary]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(MessageThread)
                    .where(MessageThread.person_hash == person.identity_hash)
                    .order_by(MessageThread.last_message_at.desc())
                )
            ).all()
        return await self._presenter.summaries(rows, for_client=True)

    async def client_thread(self, person: IdentifiedClient, thread_id: str) -> ThreadView:
        async with self._sessions.begin() as session:
            thread = await self._client_row(session, person, thread_id)
            thread.unread_by_client = False
            return await self._presenter.view(session, thread, for_client=True)

    async def client_reply(
        self,
        person: IdentifiedClient,
        thread_id: str,
        body: str,
        uploads: Sequence[Upload] = (),
        language: str = "fi",
    ) -> None:
        body = body.strip()
        errors = body_errors(body) | upload_errors(uploads)
        if errors:
            raise ValidationFailed(errors)
        await self._refuse_if_writing_too_much(person)
        blob_ids = self._store_files(uploads)
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                thread = await self._client_row(session, person, thread_id)
                if not thread.person_name:  # a thread staff began: now the person is known
                    thread.person_name, thread.person_code = person.name, person.identity_code
                message_id = await self._add_message(
                    session, thread.id, CLIENT, None, body, uploads, blob_ids, now
                )
                thread.status, thread.closed_at = OPEN, None  # writing again reopens it
                thread.waiting_since = thread.waiting_since or now
                thread.last_message_at, thread.unread_by_staff = now, True
                thread.language = language[:2]
                workers = await self._unit_workers(thread)
                await self._notices.client_wrote(session, message_id, thread.id, workers)
        except BaseException:
            self._delete_files(blob_ids)
            raise

    async def client_attachment(self, person: IdentifiedClient, attachment_id: str) -> FileDownload:
        async with self._sessions() as session:
            attachment, thread = await self._attachment_and_thread(session, attachment_id)
            if thread.person_hash != person.identity_hash or attachment.kind == NOTE:
                raise NotFound()
        return self._download(attachment.row)

    async def for_access_request(
        self, viewer: Viewer, identity_hash: str, purpose: str
    ) -> list[dict[str, Any]]:
        """Every thread with the person, notes included, for an admin answering their access
        request (files listed, not included)."""
        require_role(viewer, Role.ADMIN)
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(MessageThread)
                    .where(MessageThread.person_hash == identity_hash)
                    .order_by(MessageThread.created_at)
                )
            ).all()
            exported = [
                thread_export(
                    await self._presenter.view(session, row, for_client=False),
                    (row.person_name, row.person_code),
                    {},
                )
                for row in rows
            ]
            self._audit.add(
                session, viewer, "person.read", SUBJECT_TYPE, [r.id for r in rows], purpose
            )
        return exported

    async def thread_ids(self, person: IdentifiedClient) -> list[str]:
        """The person's threads, for their own view of who has read their data."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(MessageThread.id).where(MessageThread.person_hash == person.identity_hash)
            )
            return list(found)

    async def unread_count(self, person: IdentifiedClient) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(MessageThread)
                .where(
                    MessageThread.person_hash == person.identity_hash,
                    MessageThread.unread_by_client.is_(True),
                )
            )
        return int(count or 0)

    # ---- the unit -----------------------------------------------------------------------------

    async def inbox(self, viewer: Viewer, *, show: str = "open") -> list[ThreadSummary]:
        """The viewer's unit's threads: open ones (unanswered first) or closed ones."""
        unit_id = await self._unit_of(viewer)
        async with self._sessions.begin() as session:
            status = CLOSED if show == "closed" else OPEN
            rows = (
                await session.scalars(
                    select(MessageThread)
                    .where(MessageThread.unit_id == unit_id, MessageThread.status == status)
                    .order_by(MessageThread.last_message_at.desc())
                )
            ).all()
            self._audit.add(
                session, viewer, "message.list", SUBJECT_TYPE, [r.id for r in rows], "unit inbox"
            )
        summaries = await self._presenter.summaries(rows, for_client=False)
        return sorted(
            summaries, key=lambda t: (t.waiting_since is None, t.waiting_since or t.last_message_at)
        )

    async def staff_thread(self, viewer: Viewer, thread_id: str) -> ThreadView:
        async with self._sessions.begin() as session:
            thread = await self._staff_row(session, viewer, thread_id)
            thread.unread_by_staff = False
            self._audit.add(session, viewer, "message.read", SUBJECT_TYPE, [thread.id], "answering")
            return await self._presenter.view(session, thread, for_client=False)

    async def staff_reply(
        self,
        viewer: Viewer,
        thread_id: str,
        body: str,
        uploads: Sequence[Upload] = (),
        *,
        note: bool = False,
    ) -> None:
        """An answer the client sees (and is told of), or with ``note`` an internal note."""
        body = body.strip()
        errors = body_errors(body) | upload_errors(uploads)
        if errors:
            raise ValidationFailed(errors)
        blob_ids = self._store_files(uploads)
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                thread = await self._staff_row(session, viewer, thread_id)
                kind = NOTE if note else STAFF
                message_id = await self._add_message(
                    session, thread.id, kind, viewer.user_id, body, uploads, blob_ids, now
                )
                if not note:
                    thread.waiting_since, thread.last_message_at = None, now
                    thread.unread_by_client = True
                    await self._notify_client(session, thread, message_id)
        except BaseException:
            self._delete_files(blob_ids)
            raise

    async def start_by_staff(
        self, viewer: Viewer, identity_code: str, subject: str, body: str
    ) -> str:
        """A thread to a person by identity code, from the viewer's unit."""
        unit_id = await self._unit_of(viewer)
        subject, body = " ".join(subject.split()), body.strip()
        errors = text_errors(subject, body)
        code = None
        try:
            code = nordic_identity_number(identity_code[:40], self._clock().date()).value
        except InvalidValue as error:
            errors["identity_code"] = str(error)
        if errors or code is None:
            raise ValidationFailed(errors)
        person_hash = self._hasher().identity_code(code) or ""
        now = self._clock()
        thread = MessageThread(
            id=new_id(),
            unit_id=unit_id,
            person_hash=person_hash,
            person_name="",
            person_code=code,
            subject=subject,
            started_by=STAFF,
            created_at=now,
            last_message_at=now,
            unread_by_client=True,
            assigned_to=viewer.user_id,
        )
        async with self._sessions.begin() as session:
            session.add(thread)
            await session.flush()
            message_id = await self._add_message(
                session, thread.id, STAFF, viewer.user_id, body, (), [], now
            )
            self._audit.add(
                session, viewer, "message.start", SUBJECT_TYPE, [thread.id], "to a person"
            )
            await self._notify_client(session, thread, message_id)
        return thread.id

    async def assign(self, viewer: Viewer, thread_id: str, user_id: str | None) -> None:
        unit_id = await self._unit_of(viewer)
        if user_id:
            member = next(iter(await self._accounts.staff_members([user_id])), None)
            if member is None or member.unit_id != unit_id or member.role not in STAFF_ROLES:
                raise ValidationFailed({"assigned_to": N_("Choose a worker of your unit.")})
        async with self._sessions.begin() as session:
            thread = await self._staff_row(session, viewer, thread_id)
            thread.assigned_to = user_id or None

    async def close(self, viewer: Viewer, thread_id: str) -> None:
        """Close the thread and hand it to the client record system (where one is set)."""
        filed = await self.export(viewer, thread_id, purpose="closed: to the record system")
        async with self._sessions.begin() as session:
            thread = await self._staff_row(session, viewer, thread_id)
            closed_at = self._clock()
            thread.status, thread.closed_at, thread.waiting_since = CLOSED, closed_at, None
            filed |= {"status": CLOSED, "closed_at": closed_at.isoformat()}
            await self._notices.thread_closed(session, thread.id, closed_at, filed)

    async def export(
        self, viewer: Viewer, thread_id: str, *, purpose: str = "export for filing"
    ) -> dict[str, Any]:
        """The whole thread, notes and files included, for the client record system."""
        async with self._sessions.begin() as session:
            thread = await self._staff_row(session, viewer, thread_id)
            view = await self._presenter.view(session, thread, for_client=False)
            rows = (
                await session.scalars(
                    select(MessageAttachment)
                    .join(ThreadMessage, ThreadMessage.id == MessageAttachment.message_id)
                    .where(ThreadMessage.thread_id == thread.id)
                )
            ).all()
            self._audit.add(session, viewer, "message.export", SUBJECT_TYPE, [thread.id], purpose)
            person = (thread.person_name, thread.person_code)
        contents = {row.id: self._files.read(row.blob_id) for row in rows}
        return thread_export(view, person, contents)

    async def staff_attachment(self, viewer: Viewer, attachment_id: str) -> FileDownload:
        async with self._sessions.begin() as session:
            attachment, thread = await self._attachment_and_thread(session, attachment_id)
            await self._check_staff(viewer, thread)
            self._audit.add(
                session, viewer, "message.file", SUBJECT_TYPE, [thread.id], "attachment"
            )
        return self._download(attachment.row)

    async def workers(self, viewer: Viewer) -> list[StaffMember]:
        """Who in the viewer's unit a thread can be assigned to."""
        unit_id = await self._unit_of(viewer)
        members = await self._accounts.caseworkers(unit_id)
        return [m for m in members if m.role in STAFF_ROLES]

    # ---- parts --------------------------------------------------------------------------------

    async def _refuse_if_writing_too_much(self, person: IdentifiedClient) -> None:
        since = self._clock() - timedelta(hours=1)
        async with self._sessions() as session:
            recent = await session.scalar(
                select(func.count())
                .select_from(ThreadMessage)
                .join(MessageThread, MessageThread.id == ThreadMessage.thread_id)
                .where(
                    MessageThread.person_hash == person.identity_hash,
                    ThreadMessage.kind == CLIENT,
                    ThreadMessage.created_at > since,
                )
            )
        if (recent or 0) >= MESSAGES_PER_HOUR:
            raise RateLimited(3600)

    async def _client_row(
        self, session: AsyncSession, person: IdentifiedClient, thread_id: str
    ) -> MessageThread:
        thread = await session.get(MessageThread, thread_id[:36])
        if thread is None or thread.person_hash != person.identity_hash:
            raise NotFound()
        return thread

    async def _staff_row(
        self, session: AsyncSession, viewer: Viewer, thread_id: str
    ) -> MessageThread:
        thread = await session.get(MessageThread, thread_id[:36])
        if thread is None:
            raise NotFound()
        await self._check_staff(viewer, thread)
        return thread

    async def _check_staff(self, viewer: Viewer, thread: MessageThread) -> None:
        if await self._unit_of(viewer) != thread.unit_id:
            raise NotFound()

    async def _unit_of(self, viewer: Viewer) -> str:
        return await self._accounts.unit_of(viewer, *STAFF_ROLES)

    async def _unit_workers(self, thread: MessageThread) -> list[StaffMember]:
        """Whom to tell of a client's message: the assigned worker, else the addressed
        caseworker; no one else (the unit's inbox shows it)."""
        wanted = thread.assigned_to or thread.caseworker_id
        return await self._accounts.staff_members([wanted]) if wanted else []

    async def _notify_client(
        self, session: AsyncSession, thread: MessageThread, message_id: str
    ) -> None:
        # The email address of the person's latest booking with this unit, else of any.
        own = [item.booking for item in await self._bookings.own_bookings(thread.person_hash)]
        with_email = [booking for booking in own if booking.client_email]
        in_unit = [b for b in with_email if _unit_of_booking(b) == thread.unit_id]
        contact = next(iter(in_unit or with_email), None)
        if contact is not None and contact.client_email:
            await self._notices.staff_wrote(
                session,
                message_id,
                thread.id,
                contact.client_email,
                thread.language or contact.language,
            )

    async def _add_message(
        self,
        session: AsyncSession,
        thread_id: str,
        kind: str,
        author_id: str | None,
        body: str,
        uploads: Sequence[Upload],
        blob_ids: Sequence[str],
        now: datetime,
    ) -> str:
        message = ThreadMessage(
            id=new_id(),
            thread_id=thread_id,
            kind=kind,
            author_id=author_id,
            body=body,
            created_at=now,
        )
        session.add(message)
        await session.flush()  # the attachments refer to it
        media_types = check_uploads(uploads)
        for upload, media_type, blob_id in zip(uploads, media_types, blob_ids, strict=True):
            session.add(
                MessageAttachment(
                    message_id=message.id,
                    filename=PurePath(upload.filename).name[:200],
                    media_type=media_type,
                    size=len(upload.data),
                    blob_id=blob_id,
                )
            )
        return message.id

    def _store_files(self, uploads: Sequence[Upload]) -> list[str]:
        blob_ids = [new_id() for _ in uploads]
        for blob_id, upload in zip(blob_ids, uploads, strict=True):
            self._files.write(blob_id, upload.data)
        return blob_ids

    def _delete_files(self, blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            self._files.delete(blob_id)

    def _download(self, row: MessageAttachment) -> FileDownload:
        return FileDownload(row.filename, row.media_type, self._files.read(row.blob_id))

    async def _attachment_and_thread(
        self, session: AsyncSession, attachment_id: str
    ) -> tuple[_Attachment, MessageThread]:
        found = (
            await session.execute(
                select(MessageAttachment, ThreadMessage.kind, MessageThread)
                .join(ThreadMessage, ThreadMessage.id == MessageAttachment.message_id)
                .join(MessageThread, MessageThread.id == ThreadMessage.thread_id)
                .where(MessageAttachment.id == attachment_id[:36])
            )
        ).first()
        if found is None:
            raise NotFound()
        row, kind, thread = found
        return _Attachment(row, kind), thread


@dataclasses.dataclass(frozen=True, slots=True)
class _Attachment:
    row: MessageAttachment
    kind: str


def _unit_of_booking(booking: BookingView) -> str | None:
    return booking.meeting_type.unit_id or booking.caseworker.unit_id
