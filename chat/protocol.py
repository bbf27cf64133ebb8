"""The advice chat's WebSocket protocol, version 1 (docs/chat.md): messages, limits and close
codes. Every frame is checked here before the desk sees it: shape (exact, unknown fields
refused), size and rate. A violation closes that one connection with its code; the chat it was
in goes on."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from core.websockets import Refusal

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024
MAX_TEXT_LENGTH = 2000
MESSAGES_PER_SECOND = 10
HELLO_TIMEOUT_SECONDS = 10


class Close:
    """WebSocket close codes (docs/chat.md, "Close codes")."""

    LEFT = 1000
    TOO_BIG = 1009
    SERVER_ERROR = 1011
    MALFORMED = 4400
    NOT_AUTHENTICATED = 4401
    BLOCKED = 4403
    NO_SERVICE = 4404
    REPLACED = 4409
    ENDED = 4410
    CLOSED_NOW = 4423
    FLOOD = 4429
    RESTARTING = 4503


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Token = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ChatId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Seq = Annotated[int, Field(ge=0, le=1_000_000)]


class Hello(_Message):
    type: Literal["hello"]
    v: int
    # The person's: the service they write to (the worker's hello has none).
    service: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    resume: Token | None = None
    # The last line this page has: lines after it are sent again on resume.
    seen: Seq = 0
    # An identified person's choice to chat under their name (else the chat is anonymous).
    identified: bool = False


class Say(_Message):
    type: Literal["say"]
    text: Text
    chat: ChatId | None = None  # the worker's: which of their chats


class Typing(_Message):
    type: Literal["typing"]
    on: bool
    chat: ChatId | None = None


class Seen(_Message):
    type: Literal["seen"]
    seq: Seq
    chat: ChatId | None = None


class Leave(_Message):
    """The person ends the chat (the "Exit" button, or closing it for good)."""

    type: Literal["leave"]


class Ping(_Message):
    type: Literal["ping"]


class Keep(_Message):
    """An identified person keeps the transcript on their own pages."""

    type: Literal["keep"]


class Duty(_Message):
    type: Literal["duty"]
    services: Annotated[
        list[Annotated[str, StringConstraints(max_length=40)]], Field(max_length=20)
    ]


class Take(_Message):
    type: Literal["take"]
    service: Annotated[str, StringConstraints(max_length=40)] | None = None


class End(_Message):
    type: Literal["end"]
    chat: ChatId
    topic: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class Transfer(_Message):
    type: Literal["transfer"]
    chat: ChatId
    service: Annotated[str, StringConstraints(max_length=40)] | None = None
    worker: Annotated[str, StringConstraints(max_length=40)] | None = None
    note: Note = ""


class OfferBooking(_Message):
    type: Literal["offer-booking"]
    chat: ChatId


class Block(_Message):
    type: Literal["block"]
    chat: ChatId


class Danger(_Message):
    """The worker judges the person may be in danger: logged, and the steps are shown."""

    type: Literal["danger"]
    chat: ChatId


PersonMessage = Annotated[
    Hello | Say | Typing | Seen | Leave | Ping | Keep, Field(discriminator="type")
]
WorkerMessage = Annotated[
    Hello
    | Say
    | Typing
    | Seen
    | Ping
    | Duty
    | Take
    | End
    | Transfer
    | OfferBooking
    | Block
    | Danger,
    Field(discriminator="type"),
]
_person: TypeAdapter[PersonMessage] = TypeAdapter(PersonMessage)
_worker: TypeAdapter[WorkerMessage] = TypeAdapter(WorkerMessage)


def parse_person(text: str) -> PersonMessage:
    message: PersonMessage = _parse(text, _person)
    return message


def parse_worker(text: str) -> WorkerMessage:
    message: WorkerMessage = _parse(text, _worker)
    if isinstance(message, Say | Typing | Seen) and message.chat is None:
        raise Refusal(Close.MALFORMED, f"{message.type} needs chat")
    return message


def _parse(text: str, adapter: TypeAdapter) -> Any:  # type: ignore[type-arg]
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise Refusal(Close.TOO_BIG, "message over 16 KiB")
    try:
        raw = json.loads(text)
    except ValueError:
        raise Refusal(Close.MALFORMED, "not JSON") from None
    if not isinstance(raw, dict):
        raise Refusal(Close.MALFORMED, "not a JSON object")
    try:
        message = adapter.validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise Refusal(Close.MALFORMED, f"{where}: {first['type']}"[:120]) from None
    if isinstance(message, Hello) and message.v != PROTOCOL_VERSION:
        raise Refusal(Close.MALFORMED, f"unsupported protocol version {message.v}")
    return message
