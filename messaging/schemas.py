"""The secure messages API's bodies."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from messaging.types import Addressee, MessageView, ThreadSummary, ThreadView


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThreadIn(Strict):
    unit_id: str = Field(max_length=36)
    # One of the caseworkers the client has met in the unit (GET /api/v1/my/addressees).
    caseworker_id: str | None = Field(default=None, max_length=36)
    subject: str = Field(max_length=1000)
    body: str = Field(max_length=20000)


class CaseworkerOut(BaseModel):
    id: str
    name: str


class AddresseeOut(BaseModel):
    unit_id: str
    unit_name: str
    caseworkers: list[CaseworkerOut]

    @classmethod
    def of(cls, addressee: Addressee, language: str) -> AddresseeOut:
        return cls(
            unit_id=addressee.unit.id,
            unit_name=addressee.unit.name_in(language),
            caseworkers=[CaseworkerOut(id=m.id, name=m.name) for m in addressee.caseworkers],
        )


class AddresseesOut(BaseModel):
    addressees: list[AddresseeOut]


class StaffThreadIn(Strict):
    identity_code: str = Field(max_length=40)
    subject: str = Field(max_length=1000)
    body: str = Field(max_length=20000)


class MessageIn(Strict):
    body: str = Field(max_length=20000)


class StaffMessageIn(Strict):
    body: str = Field(max_length=20000)
    # An internal note: the client never sees it.
    note: bool = False


class AssignIn(Strict):
    user_id: str | None = Field(default=None, max_length=36)


class CreatedOut(BaseModel):
    id: str


class AttachmentOut(BaseModel):
    id: str
    filename: str
    media_type: str
    size: int


class MessageOut(BaseModel):
    id: str
    kind: str
    author: str | None
    body: str
    at: AwareDatetime
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, message: MessageView) -> MessageOut:
        return cls(
            id=message.id,
            kind=message.kind,
            author=message.author,
            body=message.body,
            at=message.at,
            attachments=[
                AttachmentOut(id=a.id, filename=a.filename, media_type=a.media_type, size=a.size)
                for a in message.attachments
            ],
        )


class ThreadOut(BaseModel):
    id: str
    unit_id: str
    unit_name: str
    subject: str
    status: str
    started_by: str
    last_message_at: AwareDatetime
    unread: bool
    waiting_since: AwareDatetime | None
    answer_due: date | None
    assigned_to: str | None
    # The name of the caseworker the client addressed, if any.
    addressed_to: str | None = None
    person_name: str | None = None

    @classmethod
    def of(cls, thread: ThreadSummary, language: str, *, for_staff: bool) -> ThreadOut:
        return cls(
            id=thread.id,
            unit_id=thread.unit.id,
            unit_name=thread.unit.name_in(language),
            subject=thread.subject,
            status=thread.status,
            started_by=thread.started_by,
            last_message_at=thread.last_message_at,
            unread=thread.unread,
            waiting_since=thread.waiting_since if for_staff else None,
            answer_due=thread.answer_due if for_staff else None,
            assigned_to=thread.assigned_to.id if for_staff and thread.assigned_to else None,
            addressed_to=thread.addressed_to.name if thread.addressed_to else None,
            person_name=thread.person_name if for_staff else None,
        )


class ThreadsOut(BaseModel):
    threads: list[ThreadOut]


class ThreadDetailOut(BaseModel):
    thread: ThreadOut
    messages: list[MessageOut]

    @classmethod
    def of(cls, view: ThreadView, language: str, *, for_staff: bool) -> ThreadDetailOut:
        return cls(
            thread=ThreadOut.of(view.summary, language, for_staff=for_staff),
            messages=[MessageOut.of(message) for message in view.messages],
        )
