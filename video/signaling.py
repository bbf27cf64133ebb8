"""The signaling protocol, version 2 (docs/signaling.md): messages, limits and close codes.

Every message from a browser is checked here before the room sees it: shape (exact, unknown
fields refused), size and rate. A violation is a ``Refusal``, which closes that one connection
with its code.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from core.websockets import MessageBucket as MessageBucket
from core.websockets import Refusal as Refusal

PROTOCOL_VERSION = 2
# Version 1 pages (before the SFU) still work in a room that stays peer-to-peer.
SUPPORTED_VERSIONS = (1, 2)
MAX_MESSAGE_BYTES = 64 * 1024
MESSAGES_PER_SECOND = 50
HELLO_TIMEOUT_SECONDS = 10
MAX_CHAT_LENGTH = 2000


class Close:
    """WebSocket close codes (docs/signaling.md, "Close codes")."""

    LEFT = 1000
    TOO_BIG = 1009
    SERVER_ERROR = 1011
    MALFORMED = 4400
    NOT_AUTHENTICATED = 4401
    FORBIDDEN = 4403
    NO_MEETING = 4404
    REPLACED = 4409
    ENDED = 4410
    NOT_OPEN = 4423
    OUTDATED = 4426
    FLOOD = 4429
    RESTARTING = 4503


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


ParticipantId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Credential(_Message):
    kind: Literal["client", "guest"]
    token: Token


class Hello(_Message):
    type: Literal["hello"]
    v: int
    credential: Credential | None = None
    resume: Token | None = None


class DeviceCheck(_Message):
    type: Literal["device-check"]
    passed: bool
    rtt_ms: Annotated[float, Field(ge=0, le=60_000)] | None = None
    loss: Annotated[float, Field(ge=0, le=1)] | None = None


class Admit(_Message):
    type: Literal["admit"]
    participant: ParticipantId
    # Needed to admit a client whose identity differs from the booking's person.
    confirm_mismatch: bool = False


class Decline(_Message):
    type: Literal["decline"]
    participant: ParticipantId


class Remove(_Message):
    type: Literal["remove"]
    participant: ParticipantId


class End(_Message):
    type: Literal["end"]


class Description(_Message):
    type: Literal["offer", "answer", "rollback"]
    sdp: Annotated[str, StringConstraints(max_length=60_000)] = ""


class Candidate(BaseModel):
    # RTCIceCandidateInit as browsers serialise it; browsers may add fields, so extra is kept.
    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    candidate: Annotated[str, StringConstraints(max_length=1000)]
    sdpMid: Annotated[str, StringConstraints(max_length=100)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=100)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


class Signal(_Message):
    type: Literal["signal"]
    to: ParticipantId
    description: Description | None = None
    candidate: Candidate | None = None

    def relayed(self, sender: str) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "signal", "from": sender}
        if self.description is not None:
            message["description"] = self.description.model_dump()
        else:
            message["candidate"] = (
                self.candidate.model_dump(exclude_none=True) if self.candidate else None
            )
        return message


class SfuPublish(_Message):
    """The browser's offer for what it sends to the SFU."""

    type: Literal["sfu-publish"]
    description: Description


class SfuSubscribed(_Message):
    """The browser's answer to the SFU's offer of what it receives."""

    type: Literal["sfu-subscribed"]
    description: Description


class SfuCandidate(_Message):
    type: Literal["sfu-candidate"]
    target: Literal["publish", "subscribe"]
    candidate: Candidate | None


class SfuReceive(_Message):
    """Which quality of one participant's video to receive, or none (to save data)."""

    type: Literal["sfu-receive"]
    feed: ParticipantId
    layer: Literal["high", "medium", "low", "off"]


class Chat(_Message):
    type: Literal["chat"]
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_LENGTH)
    ]


class Media(_Message):
    type: Literal["media"]
    audio: bool
    video: bool
    screen: bool


class Ping(_Message):
    type: Literal["ping"]


class Leave(_Message):
    type: Literal["leave"]


TemplateId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
AssessmentId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class AssessmentStart(_Message):
    type: Literal["assessment-start"]
    template: TemplateId


class AssessmentAnswer(_Message):
    type: Literal["assessment-answer"]
    assessment: AssessmentId
    question: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    # The template checks the value; null clears an answer.
    value: Any = None


class AssessmentSubmit(_Message):
    type: Literal["assessment-submit"]
    assessment: AssessmentId


class AssessmentCancel(_Message):
    type: Literal["assessment-cancel"]
    assessment: AssessmentId


PlanId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class PlanOpen(_Message):
    type: Literal["plan-open"]


class PlanChange(_Message):
    type: Literal["plan-change"]
    plan: PlanId
    # goals.<i>.goal or goals.<i>.actions.<j>.<what|who|by>; the room checks it further.
    field: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    value: Annotated[str, StringConstraints(max_length=500)]


class PlanSave(_Message):
    type: Literal["plan-save"]
    plan: PlanId


class PlanClose(_Message):
    type: Literal["plan-close"]
    plan: PlanId


RoomMessage = Annotated[
    Hello
    | DeviceCheck
    | Admit
    | Decline
    | Remove
    | End
    | Signal
    | SfuPublish
    | SfuSubscribed
    | SfuCandidate
    | SfuReceive
    | Chat
    | Media
    | Ping
    | Leave
    | AssessmentStart
    | AssessmentAnswer
    | AssessmentSubmit
    | AssessmentCancel
    | PlanOpen
    | PlanChange
    | PlanSave
    | PlanClose,
    Field(discriminator="type"),
]
_messages: TypeAdapter[RoomMessage] = TypeAdapter(RoomMessage)


def parse_message(text: str) -> RoomMessage:
    """One frame's text as a protocol message, or a ``Refusal`` (4400 / 1009)."""
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise Refusal(Close.TOO_BIG, "message over 64 KiB")
    try:
        raw = json.loads(text)
    except ValueError:
        raise Refusal(Close.MALFORMED, "not JSON") from None
    if not isinstance(raw, dict):
        raise Refusal(Close.MALFORMED, "not a JSON object")
    try:
        message = _messages.validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise Refusal(Close.MALFORMED, f"{where}: {first['type']}"[:120]) from None
    if isinstance(message, Signal) and (message.description is None) == (
        "candidate" not in message.model_fields_set
    ):
        raise Refusal(Close.MALFORMED, "signal needs exactly one of description, candidate")
    if isinstance(message, Hello) and message.v not in SUPPORTED_VERSIONS:
        raise Refusal(Close.MALFORMED, f"unsupported protocol version {message.v}")
    if isinstance(message, SfuSubscribed) and message.description.type != "answer":
        raise Refusal(Close.MALFORMED, "sfu-subscribed carries an answer")
    if isinstance(message, SfuPublish) and message.description.type != "offer":
        raise Refusal(Close.MALFORMED, "sfu-publish carries an offer")
    return message
