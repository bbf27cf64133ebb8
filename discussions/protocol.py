"""The group discussions' WebSocket protocol, version 1 (docs/groups.md): the messages, the
limits and the close codes. ``parse`` is a pure function from a frame's text to a message:
shape (exact, unknown fields refused), size and version are checked here before a room sees
it. The messages are frozen dataclasses of plain values, so that a frame checked on one
instance can be passed on as JSON (``as_json``) and read again (``of_json``) on another."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, Strict, StringConstraints, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from core.websockets import Refusal

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024
MAX_TEXT_LENGTH = 1000
FRAMES_PER_SECOND = 10
HELLO_TIMEOUT_SECONDS = 10


class Close:
    """WebSocket close codes (docs/groups.md, "Close codes")."""

    LEFT = 1000
    TOO_BIG = 1009
    SERVER_ERROR = 1011
    MALFORMED = 4400
    REMOVED = 4403
    NO_SESSION = 4404
    REPLACED = 4409
    ENDED = 4410
    FULL = 4413
    NICKNAME = 4422
    NOT_YET = 4425
    FLOOD = 4429
    RESTARTING = 4503


_CONFIG = ConfigDict(extra="forbid")

SessionId = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=36)]
Token = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=100)]
MemberId = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=40)]
# The room checks a nickname's rules (docs/groups.md); here only that it is a short string.
Nickname = Annotated[str, Strict(), StringConstraints(max_length=100)]
Text = Annotated[
    str,
    Strict(),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH),
]
Number = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Hello:
    """The first frame. A participant gives a nickname (or a resume token); the session's host
    and moderators are known by their staff session cookie and give neither."""

    type: Literal["hello"] = "hello"
    v: Annotated[int, Strict()]
    session: SessionId
    nickname: Nickname | None = None
    resume: Token | None = None
    # The highest ``mark`` this page has: what changed after it is sent again on resume.
    seen: Number = 0


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Say:
    type: Literal["say"] = "say"
    text: Text


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Ping:
    type: Literal["ping"] = "ping"


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Leave:
    """Leaving for good (the "Leave" button or "Exit this page"): the nickname is free again."""

    type: Literal["leave"] = "leave"


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Approve:
    type: Literal["approve"] = "approve"
    seq: Number


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Reject:
    type: Literal["reject"] = "reject"
    seq: Number


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Hide:
    type: Literal["hide"] = "hide"
    seq: Number


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Mute:
    type: Literal["mute"] = "mute"
    member: MemberId


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Unmute:
    type: Literal["unmute"] = "unmute"
    member: MemberId


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class Remove:
    type: Literal["remove"] = "remove"
    member: MemberId


@dataclass(frozen=True, kw_only=True, config=_CONFIG)
class End:
    """The host or a moderator ends the session before its time."""

    type: Literal["end"] = "end"


# What staff alone may send; a participant sending one is closed as malformed.
StaffMessage = Approve | Reject | Hide | Mute | Unmute | Remove | End
Message = Hello | Say | Ping | Leave | StaffMessage
_message: TypeAdapter[Message] = TypeAdapter(Annotated[Message, Field(discriminator="type")])


def parse(text: str) -> Message:
    """One frame's message, or a ``Refusal`` with the close code it deserves."""
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise Refusal(Close.TOO_BIG, "message over 16 KiB")
    try:
        raw = json.loads(text)
    except ValueError:
        raise Refusal(Close.MALFORMED, "not JSON") from None
    if not isinstance(raw, dict):
        raise Refusal(Close.MALFORMED, "not a JSON object")
    return of_json(raw)


def of_json(raw: dict[str, Any]) -> Message:
    try:
        message = _message.validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise Refusal(Close.MALFORMED, f"{where}: {first['type']}"[:120]) from None
    if isinstance(message, Hello) and message.v != PROTOCOL_VERSION:
        raise Refusal(Close.MALFORMED, f"unsupported protocol version {message.v}")
    return message


def as_json(message: Message) -> dict[str, Any]:
    return dataclasses.asdict(message)
