"""The advice chats of this process: who is on duty for which service, who waits in each
service's queue, and the conversations going on (docs/chat.md).

Everything here runs on the event loop without awaiting, like the video rooms: each message is
handled whole. A connection's outgoing messages go through its ``Link``, which queues them and
never blocks. What is said lives only here, in memory, bounded, and only while the chat does:
nothing of it is written anywhere. What is written, in the background, is a statistic when a
chat ends (service, topic, waiting and talking time) and the staff's actions for the access log.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chat.desk_state import (
    service_of,
    service_state,
    to_monotonic,
    to_wall,
    worker_of,
    worker_state,
)
from chat.parties import Conversation, Link, Worker
from chat.protocol import (
    Block,
    Close,
    Danger,
    Duty,
    End,
    Keep,
    Leave,
    OfferBooking,
    Ping,
    Say,
    Seen,
    Take,
    Transfer,
    Typing,
)
from chat.queues import ServiceQueues
from chat.types import TOPICS, ChatKeeper, ChatRecords, ServiceInfo
from core.background import Background
from core.crypto import token_hash
from core.db import utcnow
from core.principal import IdentifiedClient
from core.websockets import Refusal

PERSON_GRACE_SECONDS = 120.0
WORKER_GRACE_SECONDS = 60.0
BLOCK_SECONDS = 24 * 3600.0
ANNOUNCE_SECONDS = 0.1
HELSINKI = ZoneInfo("Europe/Helsinki")
log = logging.getLogger("kohtaamo.chat")


class ChatDesk:
    def __init__(
        self,
        records: ChatRecords,
        *,
        keeper: Callable[[], ChatKeeper | None] = lambda: None,
        zone: ZoneInfo = HELSINKI,
        person_grace: float = PERSON_GRACE_SECONDS,
        worker_grace: float = WORKER_GRACE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._records = records
        self._keeper = keeper
        self._zone = zone
        self._person_grace = person_grace
        self._worker_grace = worker_grace
        self._clock = clock
        self._services: dict[str, ServiceInfo] = {}
        self._chats: dict[str, Conversation] = {}
        self._queues = ServiceQueues()
        self._workers: dict[str, Worker] = {}
        self._blocked: dict[str, float] = {}  # browser session hash → until (monotonic)
        self._writes = Background()
        self._unannounced: set[str] = set()  # services whose queue changed since last told
        self._announcing: asyncio.TimerHandle | None = None
        # Told of every change: a chat's id, or None for the desk's own state (chat/cluster.py
        # saves them so that another instance can carry on).
        self._watcher: Callable[[str | None], None] = lambda chat_id: None

    def watch(self, watcher: Callable[[str | None], None]) -> None:
        self._watcher = watcher

    def _note(self, conversation: Conversation) -> None:
        self._watcher(conversation.id)
        self._watcher(None)

    # ---- reading -------------------------------------------------------------------------------

    def on_duty(self, service_id: str) -> int:
        """How many workers are on duty for the service now."""
        return sum(1 for w in self._workers.values() if service_id in w.services and w.link)

    def waiting(self, service_id: str) -> int:
        return len(self._queues.waiting(service_id))

    def conversation(self, chat_id: str) -> Conversation | None:
        return self._chats.get(chat_id)

    def is_blocked(self, session_hash: str) -> bool:
        until = self._blocked.get(session_hash)
        if until is None:
            return False
        if until < time.monotonic():
            del self._blocked[session_hash]
            return False
        return True

    # ---- the person ----------------------------------------------------------------------------

    def person_enter(
        self,
        service: ServiceInfo,
        link: Link,
        *,
        resume: str | None,
        seen: int,
        session_hash: str,
        language: str,
        identity: IdentifiedClient | None,
        open_now: bool,
    ) -> Conversation:
        """Back into one's own chat with a resume token, or into a new one (written to once
        the first message is sent). A new one needs the service open with someone on duty."""
        if self.is_blocked(session_hash):
            raise Refusal(Close.BLOCKED, "blocked")
        self._services[service.id] = service
        conversation = self._resumable(service, resume)
        if conversation is not None:
            self._reconnect(conversation, link, seen)
            return conversation
        if not open_now or self.on_duty(service.id) == 0:
            raise Refusal(Close.CLOSED_NOW, "closed")
        resume = secrets.token_urlsafe(24)
        conversation = Conversation(
            id=secrets.token_urlsafe(9),
            service=service,
            language=language,
            resume_hash=token_hash(resume),
            session_hash=session_hash,
            identity=identity,
            link=link,
            started_at=self._clock(),
        )
        self._chats[conversation.id] = conversation
        link.send(conversation.welcome(resume, 0))
        self._note(conversation)
        return conversation

    def person_message(
        self, conversation: Conversation, message: Say | Typing | Seen | Leave | Ping | Keep
    ) -> None:
        if self._chats.get(conversation.id) is not conversation:
            return  # already gone: a message that crossed its own end
        match message:
            case Ping():
                conversation.send({"type": "pong"})
            case Leave():
                self._end(conversation, "left", close_person=(Close.LEFT, "left"))
            case Keep():
                self._keep(conversation)
            case _ if conversation.ended:
                conversation.send(_error("ended", "the chat has ended"))
            case Say():
                self._person_says(conversation, message.text)
            case Typing():
                conversation.to_worker({"type": "typing", "on": message.on})
            case Seen():
                conversation.to_worker({"type": "seen", "seq": message.seq})

    def _keep(self, conversation: Conversation) -> None:
        keeper = self._keeper()
        person = conversation.identity
        unit_id = conversation.service.unit_id
        if keeper is None or person is None or unit_id is None or not conversation.lines:
            conversation.send(_error("cannot-keep", "only an identified person's chat is kept"))
            return
        day = self._clock().astimezone(self._zone).strftime("%d.%m.%Y")
        subject = f"{conversation.service.name_in(conversation.language)} {day}"
        transcript = conversation.transcript(self._zone)

        async def keep() -> None:
            try:
                thread_id = await keeper.keep_chat(person, unit_id, subject, transcript)
            except Exception as error:
                log.warning("chat not kept: %s", type(error).__name__)
                conversation.send(_error("not-kept", "the chat could not be kept"))
                return
            conversation.send({"type": "kept", "url": f"/my/messages/{thread_id}"})

        self._writes.start(keep())

    def person_disconnected(self, conversation: Conversation, link: Link) -> None:
        if conversation.link is not link:
            return
        conversation.link = None
        if conversation.ended or not conversation.lines:
            self._forget(conversation)
            return
        conversation.to_worker({"type": "person-away"})
        conversation.away = asyncio.get_running_loop().call_later(
            self._person_grace, self._person_gone, conversation.id
        )

    def _person_says(self, conversation: Conversation, text: str) -> None:
        line = conversation.add("person", "", text, self._clock())
        self._note(conversation)
        conversation.send({"type": "line", **line.public()})
        if conversation.worker is not None:
            conversation.worker.send({"type": "line", "chat": conversation.id, **line.public()})
        elif conversation.queued_at is None:
            self._enqueue(conversation)
        else:
            self._announce_queue(conversation.service.id)  # the preview shows the newest line

    # ---- the worker ----------------------------------------------------------------------------

    def worker_enter(self, user_id: str, name: str, unit_id: str | None, link: Link) -> Worker:
        """A worker's console connects; a worker coming back (another tab, a dropped connection)
        finds their duty and their chats as they were."""
        worker = self._workers.get(user_id)
        if worker is None:
            worker = self._workers[user_id] = Worker(user_id, name, unit_id, link)
        else:
            if worker.away is not None:
                worker.away.cancel()
                worker.away = None
            if worker.link is not None and worker.link is not link:
                worker.link.close(Close.REPLACED, "replaced")
            worker.link = link
            for conversation in worker.chats.values():
                conversation.send({"type": "worker-back"})
        worker.send(
            {
                "type": "welcome",
                "v": 1,
                "services": sorted(worker.services),
                "chats": [c.for_worker() for c in worker.chats.values()],
            }
        )
        for service_id in worker.services:
            worker.send(self._queues.for_workers(service_id))
        self._announce_colleagues()
        self._watcher(None)
        return worker

    def worker_message(self, worker: Worker, message: Any, services: Iterable[ServiceInfo]) -> None:
        match message:
            case Ping():
                worker.send({"type": "pong"})
            case Duty():
                self._duty(worker, message.services, services)
            case Take():
                self._take(worker, message.service)
            case (
                Say() | Typing() | Seen() | End() | Transfer() | OfferBooking() | Block() | Danger()
            ):
                conversation = worker.chats.get(message.chat or "")
                if conversation is None:
                    worker.send(_error("no-chat", "not one of your chats"))
                    return
                self._in_chat(worker, conversation, message)

    def worker_disconnected(self, worker: Worker, link: Link) -> None:
        if worker.link is not link:
            return
        worker.link = None
        for conversation in worker.chats.values():
            conversation.send({"type": "worker-away"})
        worker.away = asyncio.get_running_loop().call_later(
            self._worker_grace, self._worker_gone, worker.user_id
        )

    def _duty(self, worker: Worker, wanted: list[str], services: Iterable[ServiceInfo]) -> None:
        allowed = {s.id: s for s in services if s.unit_id is None or s.unit_id == worker.unit_id}
        unknown = [s for s in wanted if s not in allowed]
        if unknown:
            worker.send(_error("unknown-service", "not a service of your unit"))
            return
        before = set(worker.services)
        worker.services = set(wanted)
        self._watcher(None)
        for service_id in wanted:
            self._services[service_id] = allowed[service_id]
        worker.send({"type": "duty", "services": sorted(worker.services)})
        for service_id in before ^ worker.services:
            self._announce_queue(service_id)
        self._announce_colleagues()
        for service_id in worker.services:
            worker.send(self._queues.for_workers(service_id))

    def _take(self, worker: Worker, service_id: str | None) -> None:
        candidates = [
            c
            for sid in ([service_id] if service_id else sorted(worker.services))
            if sid in worker.services
            for c in self._queues.waiting(sid)[:1]
        ]
        if not candidates:
            worker.send(_error("queue-empty", "nobody is waiting"))
            return
        conversation = min(candidates, key=lambda c: c.queued_at or 0.0)
        if len(worker.chats) >= conversation.service.capacity:
            worker.send(_error("at-capacity", "end a chat before taking another"))
            return
        self._assign(worker, conversation)
        self._staff_action(worker, "chat.take", conversation)

    def _assign(self, worker: Worker, conversation: Conversation) -> None:
        self._dequeue(conversation)
        conversation.worker = worker
        if conversation.answered_at is None:
            conversation.answered_at = time.monotonic()
        worker.chats[conversation.id] = conversation
        self._note(conversation)
        worker.send(conversation.for_worker())
        conversation.send({"type": "joined", "name": worker.shown_name})
        self._announce_queue(conversation.service.id)

    def _in_chat(self, worker: Worker, conversation: Conversation, message: Any) -> None:
        if conversation.ended and not isinstance(message, End):
            worker.send(_error("ended", "the chat has ended"))
            return
        match message:
            case Say():
                line = conversation.add("worker", worker.shown_name, message.text, self._clock())
                self._note(conversation)
                conversation.send({"type": "line", **line.public()})
                worker.send({"type": "line", "chat": conversation.id, **line.public()})
            case Typing():
                conversation.send({"type": "typing", "on": message.on})
            case Seen():
                conversation.send({"type": "seen", "seq": message.seq})
            case End():
                if message.topic not in TOPICS:
                    worker.send(_error("unknown-topic", "no such topic"))
                    return
                self._staff_action(worker, "chat.end", conversation)
                self._end(conversation, "worker", topic=message.topic)
            case Transfer():
                self._transfer(worker, conversation, message)
            case OfferBooking():
                conversation.send(
                    {"type": "booking-offer", "url": conversation.service.booking_url()}
                )
                worker.send({"type": "booking-offered", "chat": conversation.id})
                self._staff_action(worker, "chat.offer-booking", conversation)
            case Block():
                self._staff_action(worker, "chat.block", conversation)
                self._blocked[conversation.session_hash] = time.monotonic() + BLOCK_SECONDS
                self._watcher(None)
                self._end(conversation, "blocked", close_person=(Close.BLOCKED, "blocked"))
            case Danger():
                self._staff_action(worker, "chat.danger", conversation)
                worker.send({"type": "danger-steps", "chat": conversation.id})

    def _transfer(self, worker: Worker, conversation: Conversation, message: Transfer) -> None:
        target_worker = self._workers.get(message.worker or "")
        target_service = self._services.get(message.service or "")
        if message.worker:
            if (
                target_worker is None
                or target_worker is worker
                or target_worker.link is None
                or conversation.service.id not in target_worker.services
            ):
                worker.send(_error("no-such-worker", "that colleague is not on duty here"))
                return
            if len(target_worker.chats) >= conversation.service.capacity:
                worker.send(_error("at-capacity", "that colleague has no room"))
                return
        elif target_service is None or self.on_duty(target_service.id) == 0:
            worker.send(_error("no-such-service", "nobody is on duty for that service"))
            return
        self._staff_action(worker, "chat.transfer", conversation)
        del worker.chats[conversation.id]
        worker.send({"type": "transferred", "chat": conversation.id})
        conversation.worker = None
        conversation.transferred = True
        if message.note:
            conversation.notes.append(f"{worker.name}: {message.note}")
        self._note(conversation)
        conversation.send({"type": "transferring"})
        if target_worker is not None:
            self._assign(target_worker, conversation)
            return
        assert target_service is not None
        conversation.service = target_service
        # It has waited once: it goes to the front of the new service's queue.
        self._enqueue(conversation, front=True)

    # ---- queues --------------------------------------------------------------------------------

    def _enqueue(self, conversation: Conversation, *, front: bool = False) -> None:
        self._queues.add(conversation, front=front)
        self._note(conversation)
        self._announce_queue(conversation.service.id)

    def _dequeue(self, conversation: Conversation) -> None:
        if conversation.queued_at is not None:
            self._queues.remove(conversation)
            self._note(conversation)

    def _announce_queue(self, service_id: str) -> None:
        """Each person waiting hears their place and the estimate; workers on duty, the queue.
        Gathered for a moment, so that a burst of arrivals is told once, not once an arrival to
        every console (a thousand arrivals told a hundred consoles a hundred thousand times)."""
        self._unannounced.add(service_id)
        if self._announcing is None:
            loop = asyncio.get_running_loop()
            self._announcing = loop.call_later(ANNOUNCE_SECONDS, self._announce)

    def _announce(self) -> None:
        self._announcing = None
        services, self._unannounced = self._unannounced, set()
        for service_id in services:
            self._queues.tell_the_waiting(service_id, self.on_duty(service_id))
            update = self._queues.for_workers(service_id)
            for worker in self._workers.values():
                if service_id in worker.services:
                    worker.send(update)

    def _announce_colleagues(self) -> None:
        """Who is on duty where: the consoles offer them as whom to transfer a chat to."""
        on_duty = [
            {"id": w.user_id, "name": w.name, "services": sorted(w.services)}
            for w in self._workers.values()
            if w.link is not None and w.services
        ]
        for worker in self._workers.values():
            worker.send({"type": "colleagues", "workers": on_duty})

    # ---- ending --------------------------------------------------------------------------------

    def _end(
        self,
        conversation: Conversation,
        reason: str,
        *,
        topic: str = "other",
        close_person: tuple[int, str] | None = None,
    ) -> None:
        if conversation.ended:
            if close_person is not None and conversation.link is not None:
                conversation.link.close(*close_person)  # leaving a chat already ended
                self._forget(conversation)
            return
        conversation.ended = reason
        self._dequeue(conversation)
        self._note(conversation)
        worker = conversation.worker
        if worker is not None:
            worker.chats.pop(conversation.id, None)
            worker.send({"type": "ended", "chat": conversation.id, "reason": reason})
        self._announce_queue(conversation.service.id)
        conversation.send({"type": "ended", "reason": reason})
        if close_person is not None and conversation.link is not None:
            conversation.link.close(*close_person)
        self._count(conversation, topic)
        if conversation.link is None or close_person is not None:
            self._forget(conversation)

    def _count(self, conversation: Conversation, topic: str) -> None:
        times = conversation.waited_and_talked()
        if times is None:
            return  # never written to: nothing to count
        if conversation.answered_at is not None:
            self._queues.handled(conversation.service.id, times[1] / 60)
        service, identified = conversation.service.id, conversation.identity is not None
        self._writes.start(
            self._records.chat_ended(service, topic, conversation.started_at, *times,
                                     conversation.transferred, identified)
        )  # fmt: skip

    def _person_gone(self, chat_id: str) -> None:
        conversation = self._chats.get(chat_id)
        if conversation is not None and conversation.link is None:
            self._end(conversation, "gone")
            self._forget(conversation)

    def _worker_gone(self, user_id: str) -> None:
        """A worker who did not come back: their chats wait at the front of the queue again."""
        worker = self._workers.get(user_id)
        if worker is None or worker.link is not None:
            return
        del self._workers[user_id]
        self._watcher(None)
        for conversation in list(worker.chats.values()):
            conversation.worker = None
            conversation.send({"type": "transferring"})
            self._enqueue(conversation, front=True)
        for service_id in worker.services:
            self._announce_queue(service_id)
        self._announce_colleagues()

    def _forget(self, conversation: Conversation) -> None:
        if conversation.away is not None:
            conversation.away.cancel()
        self._dequeue(conversation)
        self._chats.pop(conversation.id, None)
        conversation.lines.clear()
        self._note(conversation)

    def _resumable(self, service: ServiceInfo, resume: str | None) -> Conversation | None:
        if not resume:
            return None
        wanted = token_hash(resume)
        for conversation in self._chats.values():
            if secrets.compare_digest(conversation.resume_hash, wanted):
                return conversation
        return None

    def _reconnect(self, conversation: Conversation, link: Link, seen: int) -> None:
        if conversation.away is not None:
            conversation.away.cancel()
            conversation.away = None
        if conversation.link is not None:
            conversation.link.close(Close.REPLACED, "replaced")
        conversation.link = link
        link.send(conversation.welcome(None, seen))
        if conversation.queued_at is not None:
            conversation.told = None  # a new page: tell it its place
            self._announce_queue(conversation.service.id)
        conversation.to_worker({"type": "person-back"})

    # ---- carrying on elsewhere (chat/cluster.py) ---------------------------------------------

    def export(self) -> dict[str, Any]:
        """The desk's own state (each chat's is saved apart, chat/desk_state.py)."""
        now = time.monotonic()
        return {
            "chats": list(self._chats),
            "services": [service_state(s) for s in self._services.values()],
            "workers": [worker_state(w) for w in self._workers.values()],
            "blocked": {h: to_wall(until) for h, until in self._blocked.items() if until > now},
            **self._queues.export(),
        }

    def restore(self, state: dict[str, Any], chats: Iterable[Conversation]) -> None:
        """Carry on from another instance's desk: everyone there is disconnected, with the
        usual time to come back."""
        self._chats = {c.id: c for c in chats}
        self._services = {s["id"]: service_of(s) for s in state["services"]}
        self._blocked = {h: to_monotonic(wall) or 0.0 for h, wall in state["blocked"].items()}
        self._queues.restore(state, self._chats)
        loop = asyncio.get_running_loop()
        for saved in state["workers"]:
            worker = self._workers[saved["user_id"]] = worker_of(saved, self._chats)
            worker.away = loop.call_later(self._worker_grace, self._worker_gone, worker.user_id)
        for conversation in self._chats.values():
            conversation.away = loop.call_later(
                self._person_grace, self._person_gone, conversation.id
            )

    def drop(self) -> None:
        """Forget everything without a word to anyone: another instance carries on."""
        for conversation in self._chats.values():
            if conversation.away is not None:
                conversation.away.cancel()
        for worker in self._workers.values():
            if worker.away is not None:
                worker.away.cancel()
        self._chats.clear()
        self._workers.clear()
        self._queues = ServiceQueues()

    # ---- shutting down and writing -------------------------------------------------------------

    def close_all(self, code: int = Close.RESTARTING, reason: str = "restarting") -> None:
        for conversation in self._chats.values():
            if conversation.link is not None:
                conversation.link.close(code, reason)
        for worker in self._workers.values():
            if worker.link is not None:
                worker.link.close(code, reason)

    async def flush(self) -> None:
        await self._writes.flush()

    def _staff_action(self, worker: Worker, action: str, conversation: Conversation) -> None:
        self._writes.start(self._records.staff_action(worker.user_id, action, conversation.id))


def _error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail}
