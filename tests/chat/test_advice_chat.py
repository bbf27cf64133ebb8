"""The advice chat through the real WebSockets: two anonymous people queue and see their place,
a worker on duty takes one, they talk (typing and read receipts included), the worker ends it
with a topic, and only a count is written, never the words. A dropped person resumes; a closed
chat, or one with nobody on duty, says so and points elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from audit.models import AccessLogEntry
from chat.keys import chat_desk_key
from chat.models import ChatStatistic
from core.app_keys import sessions_key
from core.db import Base
from tests.chat.conftest import ChatWorld, closed_with, expect, set_clock

QUESTION = "Lapseni ei suostu menemään kouluun, mitä voin tehdä?"
ANSWER = "Kiitos kun kirjoitit. Kerrotko, kuinka kauan tätä on jatkunut?"


async def test_people_queue_a_worker_answers_and_ends_with_a_topic(chat_world: ChatWorld) -> None:
    maria = await chat_world.worker("maria@example.com")
    first, welcome = await chat_world.person()
    assert (welcome["state"], welcome["lines"]) == ("new", [])
    await first.send_json({"type": "say", "text": QUESTION})
    line = await expect(first, "line")
    assert (line["from"], line["text"]) == ("person", QUESTION)
    place = await expect(first, "queue")
    assert (place["position"], place["estimate_minutes"]) == (1, 10)
    second, _ = await chat_world.person()
    await second.send_json({"type": "say", "text": "Hei"})
    assert (await expect(second, "queue"))["position"] == 2
    queue = await expect(maria, "queue")
    while len(queue["waiting"]) < 2:
        queue = await expect(maria, "queue")
    assert [entry["preview"] for entry in queue["waiting"]] == [QUESTION, "Hei"]

    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    assert [entry["text"] for entry in chat["lines"]] == [QUESTION]
    assert chat["identified_as"] is None
    assert (await expect(first, "joined"))["name"] == "Maria"
    assert (await expect(second, "queue"))["position"] == 1

    await first.send_json({"type": "typing", "on": True})
    assert (await expect(maria, "typing"))["on"] is True
    await maria.send_json({"type": "say", "chat": chat["chat"], "text": ANSWER})
    said = await expect(first, "line")
    assert (said["from"], said["name"], said["text"]) == ("worker", "Maria", ANSWER)
    await first.send_json({"type": "seen", "seq": said["seq"]})
    assert (await expect(maria, "seen"))["seq"] == said["seq"]

    # The worker ends it with a topic; the person is told and may still read and download.
    await maria.send_json({"type": "end", "chat": chat["chat"], "topic": "no-such"})
    assert (await expect(maria, "error"))["code"] == "unknown-topic"
    await maria.send_json({"type": "end", "chat": chat["chat"], "topic": "parenting"})
    assert (await expect(first, "ended"))["reason"] == "worker"
    assert (await expect(maria, "ended"))["chat"] == chat["chat"]
    await first.send_json({"type": "say", "text": "Vielä yksi asia"})
    assert (await expect(first, "error"))["code"] == "ended"
    await chat_world.client.app[chat_desk_key].flush()

    async with chat_world.client.app[sessions_key]() as session:
        [counted] = (await session.scalars(select(ChatStatistic))).all()
        actions = (await session.scalars(select(AccessLogEntry.action))).all()
        rows = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in (await session.execute(select(table))).all()
        ]
    assert (counted.topic, counted.transferred, counted.identified) == ("parenting", False, False)
    assert counted.hour.minute == 0
    assert {"chat.take", "chat.end"} <= set(actions)
    everything = "\n".join(rows)
    for words in (QUESTION, ANSWER, "Hei"):
        assert words not in everything


async def test_a_dropped_person_resumes_with_the_lines_they_missed(chat_world: ChatWorld) -> None:
    maria = await chat_world.worker("maria@example.com")
    browser = await chat_world.browser()
    person, welcome = await chat_world.person(browser)
    await person.send_json({"type": "say", "text": QUESTION})
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    await expect(person, "joined")
    await person.close()
    assert (await expect(maria, "person-away"))["chat"] == chat["chat"]
    await maria.send_json({"type": "say", "chat": chat["chat"], "text": ANSWER})

    back, again = await chat_world.person(browser, resume=welcome["resume"], seen=1)
    assert (again["state"], again["worker"]) == ("chatting", "Maria")
    assert [line["text"] for line in again["lines"]] == [ANSWER]
    assert (await expect(maria, "person-back"))["chat"] == chat["chat"]
    await back.send_json({"type": "say", "text": "Noin kuukauden."})
    assert (await expect(maria, "line"))["text"] == "Noin kuukauden."


async def test_nobody_on_duty_or_closed_hours_refuse_and_point_elsewhere(
    chat_world: ChatWorld,
) -> None:
    browser = await chat_world.browser()
    assert await closed_with(await chat_world.connect(browser)) == 4423  # nobody on duty
    page = await (await browser.get("/chat/perheneuvonta")).text()
    assert "kukaan ei ole päivystämässä" in page
    assert "09 123 4567" in page and "112" in page and "Kriisipuhelin" in page

    maria = await chat_world.worker("maria@example.com")
    # Independence Day, a Monday: closed whatever the weekly hours say.
    set_clock(chat_world.client, lambda: datetime(2027, 12, 6, 10, 0, tzinfo=UTC))
    assert await closed_with(await chat_world.connect(browser)) == 4423
    closed = await (await browser.get("/chat/perheneuvonta")).text()
    assert "Chat on nyt suljettu" in closed and "Seuraavan kerran se aukeaa" in closed
    listing = await (await browser.get("/api/v1/chat/services")).json()
    [service] = listing["services"]
    assert (service["open_now"], service["on_duty"]) == (False, 1)
    await maria.close()


async def test_a_long_queue_tells_each_person_only_what_changed_for_them(
    chat_world: ChatWorld,
) -> None:
    """Joining the end of the queue changes nothing for those before: they are not told again.
    A take moves everyone up, and each hears their new place; consoles see a count and the
    first ones waiting."""
    maria = await chat_world.worker("maria@example.com")
    people = []
    for number in range(3):
        person, _ = await chat_world.person()
        await person.send_json({"type": "say", "text": f"Kysymys {number}"})
        assert (await expect(person, "queue"))["position"] == number + 1
        people.append(person)
    queue = await expect(maria, "queue")
    while queue["count"] < 3:
        queue = await expect(maria, "queue")
    assert [entry["preview"] for entry in queue["waiting"]] == [
        "Kysymys 0",
        "Kysymys 1",
        "Kysymys 2",
    ]

    await maria.send_json({"type": "take"})
    # The first heard nothing while the others joined behind them: the next frame is "joined".
    assert (await people[0].receive_json(timeout=5))["type"] == "joined"
    assert (await people[1].receive_json(timeout=5)) == queue_frame(1)
    assert (await people[2].receive_json(timeout=5)) == queue_frame(2)
    # Nobody was told a place twice: the next frame is the answer to a ping.
    for person in people[1:]:
        await person.send_json({"type": "ping"})
        frame = await person.receive_json(timeout=5)
        assert frame["type"] == "pong", frame


def queue_frame(position: int) -> dict[str, object]:
    return {"type": "queue", "position": position, "estimate_minutes": position * 10}
