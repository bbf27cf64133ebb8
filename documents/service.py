"""Documents a caseworker shares with the client of a booking: a summary of the meeting written
here, or a PDF. Only a booking that belongs to an identified person (made identified, or given
the client's identity code) can have them: they are shown on that person's own pages, nowhere
else. The client's reads are recorded and shown to the caseworker. Every shared document goes
to the client record system too, where one is configured; it can also be exported by hand.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import AuditLog
from booking.service import BookingService
from booking.types import BookingView
from core.db import Sessions, new_id, utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from core.files import EncryptedFiles
from core.i18n import N_
from core.principal import IdentifiedClient, Role, Viewer, require_role
from core.uploads import MAX_ATTACHMENT_BYTES, Upload, media_type_of
from core.validators import InvalidValue
from documents.models import FILE, SUMMARY, SharedDocument

SUBJECT_TYPE = "shared_document"
MAX_TITLE = 150
MAX_SUMMARY = 20000
FORMAT = "kohtaamo.shared_document/1"


class RecordSystem(Protocol):
    async def document_shared(
        self, session: AsyncSession, document_id: str, document: dict[str, Any]
    ) -> None:
        """Hand the shared document to the client record system (if there is one)."""


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    booking_id: str
    kind: str
    title: str
    body: str
    filename: str
    size: int
    created_at: datetime
    first_read_at: datetime | None
    meeting_names: dict[str, str]  # the booking's meeting type, by language
    caseworker: str

    def meeting_in(self, language: str) -> str:
        return self.meeting_names.get(language) or self.meeting_names.get("fi", "")


class DocumentService:
    def __init__(
        self,
        sessions: Sessions,
        bookings: BookingService,
        audit: AuditLog,
        files: EncryptedFiles,
        records: RecordSystem,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._bookings = bookings
        self._audit = audit
        self._files = files
        self._records = records
        self._clock = clock

    # ---- the caseworker -----------------------------------------------------------------------

    async def share(
        self,
        viewer: Viewer,
        booking_id: str,
        title: str,
        summary: str = "",
        upload: Upload | None = None,
    ) -> str:
        """Share a written summary, or with ``upload`` a PDF, with the booking's client."""
        booking = await self._own_booking(viewer, booking_id)
        title, summary = " ".join(title.split()), summary.strip()
        errors: dict[str, str] = {}
        if booking.client_identity_hash is None:
            errors["title"] = N_(
                "Only an identified client sees shared documents. Save the client's identity "
                "code on the booking first."
            )
        if not title:
            errors["title"] = N_("Write a title.")
        elif len(title) > MAX_TITLE:
            errors["title"] = N_("Keep the title to 150 characters.")
        if upload is None and not summary:
            errors["summary"] = N_("Write the summary, or choose a PDF file.")
        elif len(summary) > MAX_SUMMARY:
            errors["summary"] = N_("Keep the summary to 20000 characters.")
        if upload is not None:
            errors |= _file_errors(upload)
        if errors:
            raise ValidationFailed(errors)
        assert booking.client_identity_hash is not None
        document = SharedDocument(
            id=new_id(),
            booking_id=booking.id,
            person_hash=booking.client_identity_hash,
            shared_by=viewer.user_id,
            kind=FILE if upload is not None else SUMMARY,
            title=title,
            body=summary if upload is None else "",
            created_at=self._clock(),
        )
        if upload is not None:
            document.blob_id = new_id()
            document.filename = PurePath(upload.filename).name[:200]
            document.media_type, document.size = "application/pdf", len(upload.data)
            self._files.write(document.blob_id, upload.data)
        filed = _export(_view(document, booking), booking, upload.data if upload else None)
        try:
            async with self._sessions.begin() as session:
                session.add(document)
                self._audit.add(
                    session, viewer, "document.share", SUBJECT_TYPE, [document.id], "shared"
                )
                await self._records.document_shared(session, document.id, filed)
        except BaseException:
            if document.blob_id is not None:
                self._files.delete(document.blob_id)
            raise
        return document.id

    async def of_booking(self, viewer: Viewer, booking_id: str) -> list[DocumentView]:
        booking = await self._own_booking(viewer, booking_id)
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(SharedDocument)
                    .where(SharedDocument.booking_id == booking.id)
                    .order_by(SharedDocument.created_at)
                )
            ).all()
        return [_view(row, booking) for row in rows]

    async def export(self, viewer: Viewer, document_id: str) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(SharedDocument, document_id[:36])
        if row is None:
            raise NotFound()
        booking = await self._own_booking(viewer, row.booking_id)
        data = self._files.read(row.blob_id) if row.blob_id else None
        async with self._sessions.begin() as session:
            self._audit.add(session, viewer, "document.export", SUBJECT_TYPE, [row.id], "filing")
        return _export(_view(row, booking), booking, data)

    async def for_access_request(
        self,
        viewer: Viewer,
        identity_hash: str,
        found_bookings: Sequence[BookingView],
        purpose: str,
    ) -> list[dict[str, Any]]:
        """Every document shared with the person (with the bookings the access request found
        already), for an admin answering it (a PDF is listed, not included)."""
        require_role(viewer, Role.ADMIN)
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(SharedDocument)
                    .where(SharedDocument.person_hash == identity_hash)
                    .order_by(SharedDocument.created_at)
                )
            ).all()
        bookings = {view.id: view for view in found_bookings}
        async with self._sessions.begin() as session:
            self._audit.add(
                session, viewer, "person.read", SUBJECT_TYPE, [r.id for r in rows], purpose
            )
        return [
            _export(_view(row, bookings[row.booking_id]), bookings[row.booking_id], None)
            for row in rows
            if row.booking_id in bookings
        ]

    # ---- the client ---------------------------------------------------------------------------

    async def of_person(self, person: IdentifiedClient) -> list[DocumentView]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(SharedDocument)
                    .where(SharedDocument.person_hash == person.identity_hash)
                    .order_by(SharedDocument.created_at.desc())
                )
            ).all()
        bookings = {
            item.booking.id: item.booking
            for item in await self._bookings.own_bookings(person.identity_hash)
        }
        # A booking no longer the person's (its identity code changed) hides its documents.
        return [_view(row, bookings[row.booking_id]) for row in rows if row.booking_id in bookings]

    async def read_by_client(
        self, person: IdentifiedClient, document_id: str
    ) -> tuple[DocumentView, bytes | None]:
        """The document (and a PDF's contents) for its person; the read is recorded."""
        own = {
            item.booking.id: item.booking
            for item in await self._bookings.own_bookings(person.identity_hash)
        }
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await session.get(SharedDocument, document_id[:36])
            if row is None or row.person_hash != person.identity_hash or row.booking_id not in own:
                raise NotFound()
            row.first_read_at = row.first_read_at or now
            row.last_read_at = now
            view, blob_id = _view(row, own[row.booking_id]), row.blob_id
        return view, self._files.read(blob_id) if blob_id else None

    async def document_ids(self, person: IdentifiedClient) -> list[str]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(SharedDocument.id).where(SharedDocument.person_hash == person.identity_hash)
            )
            return list(found)

    # ---- parts --------------------------------------------------------------------------------

    async def _own_booking(self, viewer: Viewer, booking_id: str) -> BookingView:
        if viewer.role is not Role.CASEWORKER:
            raise Forbidden()
        return await self._bookings.booking(viewer, booking_id[:36])


class DocumentsOfRemovedBookings:
    """booking retention's listener: a booking's shared documents go with it (the record
    system has had its copy)."""

    def __init__(self, files: EncryptedFiles) -> None:
        self._files = files

    async def bookings_removed(self, session: AsyncSession, booking_ids: Sequence[str]) -> None:
        blob_ids = (
            await session.scalars(
                select(SharedDocument.blob_id).where(
                    SharedDocument.booking_id.in_(list(booking_ids)),
                    SharedDocument.blob_id.is_not(None),
                )
            )
        ).all()
        await session.execute(
            delete(SharedDocument).where(SharedDocument.booking_id.in_(list(booking_ids)))
        )
        for blob_id in blob_ids:
            if blob_id is not None:
                self._files.delete(blob_id)


def _file_errors(upload: Upload) -> dict[str, str]:
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        return {"file": N_("The file is larger than 10 MB.")}
    try:
        if media_type_of(upload) != "application/pdf":
            return {"file": N_("Share a PDF file.")}
    except InvalidValue as error:
        return {"file": str(error)}
    return {}


def _view(row: SharedDocument, booking: BookingView) -> DocumentView:
    names = {lang: booking.meeting_type.name_in(lang) for lang in ("fi", "sv", "en")}
    return DocumentView(
        id=row.id,
        booking_id=row.booking_id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        filename=row.filename,
        size=row.size,
        created_at=row.created_at,
        first_read_at=row.first_read_at,
        meeting_names=names,
        caseworker=booking.caseworker.name,
    )


def _export(view: DocumentView, booking: BookingView, data: bytes | None) -> dict[str, Any]:
    """The document as the client record system files it."""
    exported: dict[str, Any] = {
        "format": FORMAT,
        "id": view.id,
        "kind": view.kind,
        "title": view.title,
        "shared_at": view.created_at.isoformat(),
        "shared_by": view.caseworker,
        "client": {"name": booking.client_name, "identity_code": booking.client_identity_code},
        "meeting": {
            "booking_id": booking.id,
            "start": booking.start.isoformat(),
            "meeting_type": view.meeting_names,
        },
    }
    if view.kind == SUMMARY:
        exported["summary"] = view.body
    else:
        exported["file"] = {
            "filename": view.filename,
            "media_type": "application/pdf",
            "size": view.size,
        }
        if data is not None:
            exported["file"]["sha256"] = hashlib.sha256(data).hexdigest()
            exported["file"]["content_base64"] = base64.b64encode(data).decode()
    return exported
