"""The wellbeing plan in a room (docs/signaling.md, "The plan in the meeting"): the host opens
the client's plan beside the video, both edit it field by field and see each other's changes as
they are typed, and the host saves it as a new version, which the client then accepts on their
own pages. Only the host and the client see it, never the other guests."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from core.errors import DomainError, ValidationFailed
from video.live_state import LivePlan, LivePlans
from video.participants import Participant, Room, error_message
from video.signaling import Close, PlanChange, PlanClose, PlanOpen, PlanSave, Refusal

log = logging.getLogger("kohtaamo.video")

PlanMessage = PlanOpen | PlanChange | PlanSave | PlanClose


class PlanDesk:
    def __init__(
        self,
        plans: LivePlans | None,
        background: Callable[[Coroutine[Any, Any, None]], None],
        changed: Callable[[str], None],
    ) -> None:
        self._plans = plans
        self._background = background
        self._changed = changed

    @staticmethod
    def restore(room: Room, saved: dict[str, Any] | None) -> None:
        if saved:
            room.plan = LivePlan(saved["id"], saved["goals"], saved["number"])

    def handle(self, room: Room, sender: Participant, message: PlanMessage) -> None:
        if not sender.admitted:
            raise Refusal(Close.FORBIDDEN, f"{message.type} needs admission")
        is_host = sender.role == "host"
        if not is_host and (sender.seat != "client" or not isinstance(message, PlanChange)):
            raise Refusal(Close.FORBIDDEN, f"only the host may send {message.type}")
        if isinstance(message, PlanOpen):
            self._open(room, sender)
            return
        live = room.plan
        if live is None or live.id != message.plan:
            sender.send(error_message("no-plan", "no such open plan"))
            return
        if live.saving:
            sender.send(error_message("plan-saving", "wait until the plan is saved"))
            return
        match message:
            case PlanChange():
                try:
                    live.change(message.field, message.value)
                except ValueError as refused:
                    sender.send(error_message("plan-field", str(refused)))
                    return
                changed = {
                    "type": "plan-change",
                    "plan": live.id,
                    "field": message.field,
                    "value": message.value,
                    "from": sender.id,
                }
                for person in room.assessment_audience():
                    person.send(changed)
            case PlanSave():
                live.saving = True
                self._background(self._save(room, live))
            case PlanClose():
                room.plan = None
                for person in room.assessment_audience():
                    person.send({"type": "plan-closed", "plan": live.id})

    def _open(self, room: Room, host: Participant) -> None:
        if room.plan is not None:
            host.send(room.plan.state())
            return
        if self._plans is None:
            host.send(error_message("plan-unavailable", "plans are not available"))
            return
        # Taken at once, so a second open waits for this one instead of reading the plan again.
        room.plan = LivePlan(secrets.token_urlsafe(9), [], None, saving=True)
        self._background(self._load(room, room.plan, host))

    async def _load(self, room: Room, live: LivePlan, host: Participant) -> None:
        assert self._plans is not None
        try:
            draft = await self._plans.draft(room.meeting.id)
        except Exception as error:
            if room.plan is live:
                room.plan = None
            fields = error.fields if isinstance(error, ValidationFailed) else {}
            if not isinstance(error, DomainError):
                log.warning("plan not opened in the room: %s", type(error).__name__)
            host.send(error_message("plan-unavailable", "the plan could not be opened", fields))
            return
        if room.plan is not live:
            return
        live.goals, live.number, live.saving = draft.goals, draft.number, False
        for person in room.assessment_audience():
            person.send(live.state())
        self._changed(room.meeting.id)

    async def _save(self, room: Room, live: LivePlan) -> None:
        assert self._plans is not None
        try:
            saved = await self._plans.save(room.meeting.id, live.goals)
        except Exception as error:
            live.saving = False
            fields = error.fields if isinstance(error, ValidationFailed) else {}
            if not isinstance(error, DomainError):
                log.warning("plan not saved in the room: %s", type(error).__name__)
            for person in room.assessment_audience():
                person.send(error_message("plan-not-saved", "the plan was not saved", fields))
            return
        live.goals, live.number, live.saving = saved.goals, saved.number, False
        for person in room.assessment_audience():
            person.send({"type": "plan-saved", "plan": live.id, "number": saved.number})
            person.send(live.state())
        self._changed(room.meeting.id)
