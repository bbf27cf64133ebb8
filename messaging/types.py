"""What messaging shows: threads, their messages and files, and who the client is."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from accounts.organisation import UnitInfo
from accounts.service import StaffMember


@dataclasses.dataclass(frozen=True, slots=True)
class Addressee:
    """A unit the client may write to, and its caseworkers the client has met there (whom a
    thread may be addressed to)."""

    unit: UnitInfo
    caseworkers: tuple[StaffMember, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class AttachmentView:
    id: str
    filename: str
    media_type: str
    size: int


@dataclasses.dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    kind: str
    author: str | None  # the staff member's name; None for the client
    body: str
    at: datetime
    attachments: list[AttachmentView]


@dataclasses.dataclass(frozen=True, slots=True)
class ThreadSummary:
    id: str
    unit: UnitInfo
    subject: str
    person_name: str
    status: str
    started_by: str
    last_message_at: datetime
    unread: bool
    waiting_since: datetime | None
    answer_due: date | None
    assigned_to: StaffMember | None
    # The caseworker the client wrote to, if they chose one.
    addressed_to: StaffMember | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ThreadView:
    summary: ThreadSummary
    messages: list[MessageView]


@dataclasses.dataclass(frozen=True, slots=True)
class FileDownload:
    filename: str
    media_type: str
    data: bytes
