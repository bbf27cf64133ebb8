"""A live questionnaire in a room (docs/signaling.md, "Assessments in the meeting"): the host
pushes one, the client answers it question by question, both see the answers as they are given,
and the client's submit saves it through the assessments package."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from core.errors import DomainError, ValidationFailed
from video.live_state import LiveAssessment, LiveAssessments
from video.participants import Participant, Room, error_message
from video.signaling import (
    AssessmentAnswer,
    AssessmentCancel,
    AssessmentStart,
    AssessmentSubmit,
    Close,
    Refusal,
)

log = logging.getLogger("kohtaamo.video")

AssessmentMessage = AssessmentStart | AssessmentAnswer | AssessmentSubmit | AssessmentCancel


class AssessmentDesk:
    def __init__(
        self,
        assessments: LiveAssessments | None,
        background: Callable[[Coroutine[Any, Any, None]], None],
        changed: Callable[[str], None],
    ) -> None:
        self._assessments = assessments
        self._background = background
        self._changed = changed

    def restore(self, room: Room, saved: Mapping[str, Any] | None) -> None:
        """The live assessment of another instance's room snapshot, if its template is known."""
        if not saved or self._assessments is None:
            return
        try:
            template = self._assessments.template(saved["template"])
        except DomainError:
            log.warning("live assessment %s not restored: no such template", saved["id"])
        else:
            room.assessment = LiveAssessment(saved["id"], template, dict(saved["answers"]))

    def handle(self, room: Room, sender: Participant, message: AssessmentMessage) -> None:
        if not sender.admitted:
            raise Refusal(Close.FORBIDDEN, f"{message.type} needs admission")
        is_host = sender.role == "host"
        if isinstance(message, AssessmentStart | AssessmentCancel) and not is_host:
            raise Refusal(Close.FORBIDDEN, f"only the host may send {message.type}")
        if isinstance(message, AssessmentAnswer | AssessmentSubmit) and sender.seat != "client":
            raise Refusal(Close.FORBIDDEN, f"only the client may send {message.type}")
        if isinstance(message, AssessmentStart):
            self._start(room, sender, message.template)
            return
        live = room.assessment
        if live is None or live.id != message.assessment or live.submitting:
            sender.send(error_message("no-assessment", "no such open assessment"))
            return
        match message:
            case AssessmentCancel():
                room.assessment = None
                for person in room.assessment_audience():
                    person.send({"type": "assessment-closed", "assessment": live.id})
            case AssessmentAnswer():
                self._answer(room, sender, live, message)
            case AssessmentSubmit():
                try:
                    live.template.check_complete(live.answers)
                except ValidationFailed as incomplete:
                    sender.send(error_message("incomplete", "answers missing", incomplete.fields))
                    return
                live.submitting = True
                self._background(self._submit(room, live))

    def _answer(
        self, room: Room, sender: Participant, live: LiveAssessment, message: AssessmentAnswer
    ) -> None:
        try:
            live.template.check_answer(message.question, message.value, live.answers)
        except ValidationFailed as invalid:
            sender.send(error_message("invalid-answer", "answer refused", invalid.fields))
            return
        if message.value is None:
            live.answers.pop(message.question, None)
        else:
            live.answers[message.question] = message.value
        answered = {
            "type": "assessment-answer",
            "assessment": live.id,
            "question": message.question,
            "value": message.value,
        }
        for person in room.assessment_audience():
            person.send(answered)

    def _start(self, room: Room, host: Participant, template_id: str) -> None:
        if self._assessments is None:
            host.send(error_message("unknown-template", "assessments are not available"))
            return
        if room.respondent() is None:
            host.send(error_message("no-client", "the client is not in the room"))
            return
        if room.assessment is not None:
            host.send(
                error_message("assessment-open", "finish or cancel the open assessment first")
            )
            return
        try:
            template = self._assessments.template(template_id)
        except DomainError:
            host.send(error_message("unknown-template", "no such template"))
            return
        # Taken at once, so a second start is refused while the known answers are read.
        room.assessment = LiveAssessment(id=secrets.token_urlsafe(9), template=template)
        self._background(self._open(room, room.assessment))

    async def _open(self, room: Room, live: LiveAssessment) -> None:
        assert self._assessments is not None
        try:
            known = await self._assessments.prefill(room.meeting.id, live.template.id)
        except Exception as error:  # the questionnaire still opens, only empty
            log.warning("live assessment not prefilled: %s", type(error).__name__)
            known = {}
        if room.assessment is not live:
            return  # cancelled meanwhile
        _place(live, known)
        for person in room.assessment_audience():
            person.send(live.state())
        self._changed(room.meeting.id)

    async def _submit(self, room: Room, live: LiveAssessment) -> None:
        assert self._assessments is not None
        try:
            result = await self._assessments.record(
                room.meeting.id, live.template.id, dict(live.answers)
            )
        except Exception as error:
            log.warning("live assessment not saved: %s", type(error).__name__)
            live.submitting = False
            fields = error.fields if isinstance(error, ValidationFailed) else {}
            for person in room.assessment_audience():
                person.send(error_message("not-saved", "the answers were not saved", fields))
            return
        if room.assessment is live:
            room.assessment = None
            self._changed(room.meeting.id)
        done = {
            "type": "assessment-result",
            "assessment": live.id,
            "result": {"id": result.id, "score": result.score},
        }
        for person in room.assessment_audience():
            person.send(done)


def _place(live: LiveAssessment, known: Mapping[str, Any]) -> None:
    """Take the known answers the questionnaire accepts: a question asked only after another's
    answer (``condition``) is placed once that answer is."""
    pending = dict(known)
    while pending:
        placed = False
        for question, value in list(pending.items()):
            try:
                live.template.check_answer(question, value, live.answers)
            except ValidationFailed:
                continue
            live.answers.setdefault(question, value)
            del pending[question]
            placed = True
        if not placed:
            return
