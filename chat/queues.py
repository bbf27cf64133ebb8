"""Each advice chat's queue: who waits, in order, and what a person is told of their place and
the wait (the place times the chat's recent handling time, over the workers on duty)."""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Mapping
from typing import Any

from chat.parties import Conversation

# What a chat is expected to take before enough have ended to know better.
DEFAULT_HANDLING_MINUTES = 10.0
HANDLED_REMEMBERED = 20
# The consoles list the first ones waiting (the next to take) and count the rest.
SHOWN_TO_WORKERS = 20


class ServiceQueues:
    def __init__(self) -> None:
        self._queues: dict[str, list[Conversation]] = collections.defaultdict(list)
        self._handled: dict[str, collections.deque[float]] = collections.defaultdict(
            lambda: collections.deque(maxlen=HANDLED_REMEMBERED)
        )

    def waiting(self, service_id: str) -> list[Conversation]:
        return list(self._queues.get(service_id, []))

    def add(self, conversation: Conversation, *, front: bool = False) -> None:
        conversation.queued_at = time.monotonic()
        if conversation.first_queued_at is None:
            conversation.first_queued_at = conversation.queued_at
        queue = self._queues[conversation.service.id]
        queue.insert(0, conversation) if front else queue.append(conversation)

    def remove(self, conversation: Conversation) -> None:
        queue = self._queues.get(conversation.service.id, [])
        if conversation in queue:
            queue.remove(conversation)
        conversation.queued_at = None
        conversation.told = None

    def handled(self, service_id: str, minutes: float) -> None:
        """A chat of the service was talked for ``minutes``: the estimates learn from it."""
        self._handled[service_id].append(minutes)

    def tell_the_waiting(self, service_id: str, on_duty: int) -> None:
        """Each person whose place or estimate changed hears the new one (only they: someone
        joining the end of a long queue changes nothing for those before them)."""
        minutes = self._handling_minutes(service_id)
        for position, conversation in enumerate(self._queues.get(service_id, []), start=1):
            estimate = math.ceil(position * minutes / on_duty) if on_duty else None
            if conversation.told != (position, estimate):
                conversation.told = (position, estimate)
                conversation.send(
                    {"type": "queue", "position": position, "estimate_minutes": estimate}
                )

    def for_workers(self, service_id: str) -> dict[str, Any]:
        """The queue as the consoles show it: how many wait, and the first of them with how long
        each has waited and its newest line."""
        now = time.monotonic()
        queue = self._queues.get(service_id, [])
        return {
            "type": "queue",
            "service": service_id,
            "count": len(queue),
            "waiting": [
                {
                    "chat": c.id,
                    "waited_seconds": round(now - (c.queued_at or now)),
                    "preview": c.lines[-1].text[:200] if c.lines else "",
                    "transferred": c.transferred,
                }
                for c in queue[:SHOWN_TO_WORKERS]
            ],
        }

    def export(self) -> dict[str, Any]:
        """The queues as chat ids in order, and the handling times the estimates learn from."""
        return {
            "queues": {sid: [c.id for c in queue] for sid, queue in self._queues.items() if queue},
            "handled": {sid: list(minutes) for sid, minutes in self._handled.items()},
        }

    def restore(self, state: dict[str, Any], chats: Mapping[str, Conversation]) -> None:
        for service_id, ids in state["queues"].items():
            self._queues[service_id] = [chats[i] for i in ids if i in chats]
        for service_id, minutes in state["handled"].items():
            self._handled[service_id].extend(minutes)

    def _handling_minutes(self, service_id: str) -> float:
        handled = self._handled.get(service_id)
        if not handled:
            return DEFAULT_HANDLING_MINUTES
        return max(1.0, sum(handled) / len(handled))
