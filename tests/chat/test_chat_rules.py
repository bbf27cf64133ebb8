"""What the advice chat refuses and how workers hand chats on: malformed, oversized, unknown
and flooding frames, a person trying a worker's message, a worker touching another's chat, a
block that holds for the browser, passing a chat to a colleague with a note, offering a booking,
the admin's settings and the month's statistics with small numbers hidden."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from chat.keys import chat_desk_key, chat_services_key
from tests.chat.conftest import SLUG, ChatWorld, closed_with, expect

QUESTION = "Miten haen toimeentulotukea?"


async def test_bad_frames_close_only_their_own_connection(chat_world: ChatWorld) -> None:
    maria = await chat_world.worker("maria@example.com")
    cases = [
        ("not json", 4400),
        ('{"type": "take"}', 4400),  # a worker's message from a person
        ('{"type": "say", "text": "x", "extra": 1}', 4400),
        ('{"type": "say", "text": "' + "x" * 17_000 + '"}', 1009),
    ]
    for frame, code in cases:
        person, _ = await chat_world.person()
        await person.send_str(frame)
        assert await closed_with(person) == code, frame
    flooding, _ = await chat_world.person()
    for _ in range(30):
        await flooding.send_json({"type": "ping"})
    assert await closed_with(flooding) == 4429
    # The worker's console goes on.
    await maria.send_json({"type": "ping"})
    await expect(maria, "pong")


async def test_workers_act_only_on_their_own_chats_and_their_units_services(
    chat_world: ChatWorld,
) -> None:
    anonymous = aiohttp.ClientSession(base_url=str(chat_world.client.make_url("")))
    chat_world.sessions.append(anonymous)
    refused = await anonymous.get("/api/v1/chat/staff/ws")
    assert refused.status == 401
    maria = await chat_world.worker("maria@example.com")
    johan = await chat_world.worker("johan@example.com")
    person, _ = await chat_world.person()
    await person.send_json({"type": "say", "text": QUESTION})
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    await johan.send_json({"type": "say", "chat": chat["chat"], "text": "Minä vastaan"})
    assert (await expect(johan, "error"))["code"] == "no-chat"
    await johan.send_json({"type": "duty", "services": ["00000000-0000-0000-0000-000000000000"]})
    assert (await expect(johan, "error"))["code"] == "unknown-service"
    await johan.send_json({"type": "take"})
    assert (await expect(johan, "error"))["code"] == "queue-empty"


async def test_a_chat_is_passed_to_a_colleague_with_a_note(chat_world: ChatWorld) -> None:
    maria = await chat_world.worker("maria@example.com")
    johan = await chat_world.worker("johan@example.com")
    person, _ = await chat_world.person()
    await person.send_json({"type": "say", "text": QUESTION})
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    johan_id = chat_world.family.johan
    await maria.send_json(
        {"type": "transfer", "chat": chat["chat"], "worker": johan_id, "note": "Toimeentulotuki"}
    )
    assert (await expect(maria, "transferred"))["chat"] == chat["chat"]
    passed = await expect(johan, "chat")
    assert passed["notes"] == ["Maria Virtanen: Toimeentulotuki"]
    assert [line["text"] for line in passed["lines"]] == [QUESTION]
    await expect(person, "transferring")
    assert (await expect(person, "joined"))["name"] == "Johan"

    await johan.send_json({"type": "offer-booking", "chat": chat["chat"]})
    offer = await expect(person, "booking-offer")
    assert offer["url"] == f"/book?unit_id={chat_world.family.unit_id}"
    await johan.send_json({"type": "danger", "chat": chat["chat"]})
    assert (await expect(johan, "danger-steps"))["chat"] == chat["chat"]


async def test_a_blocked_browser_cannot_start_again(chat_world: ChatWorld) -> None:
    maria = await chat_world.worker("maria@example.com")
    browser = await chat_world.browser()
    person, _ = await chat_world.person(browser)
    await person.send_json({"type": "say", "text": "Roskaa"})
    await maria.send_json({"type": "take"})
    chat = await expect(maria, "chat")
    await maria.send_json({"type": "block", "chat": chat["chat"]})
    assert await closed_with(person) == 4403
    assert (await expect(maria, "ended"))["reason"] == "blocked"
    assert await closed_with(await chat_world.connect(browser)) == 4403
    # Another browser is not affected.
    other, welcome = await chat_world.person()
    assert welcome["state"] == "new"
    await other.close()


async def test_the_admin_sets_a_chat_up_and_reads_the_months_counts(
    chat_world: ChatWorld,
) -> None:
    admin = await chat_world.staff("admin@example.com")
    bad = await admin.post(
        "/api/v1/admin/chat/services",
        json={
            "slug": "X",
            "names": {"fi": "Aikuisneuvonta", "sv": "", "en": "Adult advice"},
            "hours": {"0": ["16:00", "09:00"], "9": ["09:00", "10:00"]},
            "capacity": 0,
        },
    )
    assert bad.status == 422
    fields = {error["field"] for error in (await bad.json())["errors"]}
    assert fields == {"slug", "names.sv", "hours.0", "hours.9", "capacity"}
    taken = await admin.post(
        "/api/v1/admin/chat/services",
        json={"slug": SLUG, "names": {"fi": "A", "sv": "B", "en": "C"}},
    )
    assert taken.status == 422
    caseworker = await chat_world.staff("maria@example.com")
    assert (
        await caseworker.post(
            "/api/v1/admin/chat/services",
            json={"slug": "toinen", "names": {"fi": "A", "sv": "B", "en": "C"}},
        )
    ).status == 403

    services = chat_world.client.app[chat_services_key]
    started = datetime(2027, 3, 10, 8, 20, tzinfo=UTC)
    for waited in (10, 20, 30, 40, 50):
        await services.chat_ended(
            chat_world.service_id, "money", started, waited, 300, False, False
        )
    await services.chat_ended(chat_world.service_id, "violence", started, 5, 300, False, False)
    month = await admin.get("/api/v1/admin/chat/statistics", params={"month": "2027-03"})
    counts = {
        c["topic"]: (c["chats"], c["median_wait_seconds"]) for c in (await month.json())["counts"]
    }
    assert counts == {"money": (5, 30), "violence": (None, None)}
    assert (
        await admin.get("/api/v1/admin/chat/statistics", params={"month": "03/2027"})
    ).status == 422
    assert (
        await caseworker.get("/api/v1/admin/chat/statistics", params={"month": "2027-03"})
    ).status == 403
    await chat_world.client.app[chat_desk_key].flush()


async def test_the_console_is_for_the_units_workers(chat_world: ChatWorld) -> None:
    maria = await chat_world.staff("maria@example.com")
    page = await (await maria.get("/staff/chat")).text()
    assert "Perheneuvonta" in page and "Ota seuraava keskustelu" in page
    anonymous = await chat_world.browser()
    away = await anonymous.get("/staff/chat", allow_redirects=False)
    assert away.status == 303 and away.headers["Location"].startswith("/login")
    listing = await (await anonymous.get("/chat")).text()
    assert "Perheneuvonta" in listing
    assert (await anonymous.get("/chat/ei-ole")).status == 404


async def test_saved_answers_are_the_workers_own(chat_world: ChatWorld) -> None:
    admin = await chat_world.staff("admin@example.com")
    body = {
        "slug": SLUG,
        "names": {"fi": "Perheneuvonta", "sv": "Familjerådgivning", "en": "Family advice"},
        "unit_id": chat_world.family.unit_id,
        "saved_answers": [{"title": "", "text": "x"}],
    }
    path = f"/api/v1/admin/chat/services/{chat_world.service_id}"
    refused = await admin.put(path, json=body)
    assert refused.status == 422
    assert [e["field"] for e in (await refused.json())["errors"]] == ["saved_answers.0"]
    answer = "Voit hakea toimeentulotukea Kelasta: kela.fi/toimeentulotuki."
    saved = await admin.put(
        path, json=body | {"saved_answers": [{"title": "Toimeentulotuki", "text": answer}]}
    )
    assert saved.status == 200, await saved.text()
    assert (await saved.json())["saved_answers"] == [{"title": "Toimeentulotuki", "text": answer}]
    public = await (await (await chat_world.browser()).get("/api/v1/chat/services")).json()
    assert "saved_answers" not in public["services"][0]
    console = await (await (await chat_world.staff("maria@example.com")).get("/staff/chat")).text()
    assert "Toimeentulotuki" in console and "kela.fi/toimeentulotuki" in console


async def test_one_address_holds_a_bounded_number_of_chat_sockets(chat_world: ChatWorld) -> None:
    """Twenty open chat sockets from one address (KOHTAAMO_CHAT_CONNECTIONS_PER_ADDRESS); the
    next is closed with 4429 until one of them closes. Workers' consoles do not count."""
    maria = await chat_world.worker("maria@example.com")
    browser = await chat_world.browser()
    held = [await browser.ws_connect("/api/v1/chat/ws") for _ in range(20)]
    refused = await browser.ws_connect("/api/v1/chat/ws")
    assert await closed_with(refused) == 4429
    johan = await chat_world.worker("johan@example.com")  # staff are not counted
    await held.pop().close()
    person, welcome = await chat_world.person(browser)
    assert welcome["state"] == "new"
    for socket in [*held, person, maria, johan]:
        await socket.close()
