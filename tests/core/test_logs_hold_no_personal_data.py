"""Logs hold no personal data: recognisable details go in through every public form and API, and
none of them comes out in the log at any level, DEBUG included, access log lines included.

The first test runs the app in this process with the service's own logging (``configure_logging``
at DEBUG, into a buffer); the second runs a real ``server.py serve`` process at DEBUG and reads
everything it wrote, so that nothing configured only at start slips through.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel, EmailStr
from sqlalchemy import text, update

from booking.models import Booking
from core.app_keys import engine_key, sessions_key
from core.logs import configure_logging
from core.principal import Role
from discussions.keys import group_rooms_key, group_sessions_key
from notifications.keys import outbox_sender_key
from server import create_app
from tests.booking.test_pages import (
    Form,
    answer,
    form_of,
    forms_of,
    heading_of,
    open_office,
    press,
    send,
    to_details,
    tomorrow_at,
)
from tests.chat.conftest import SLUG, WEDNESDAY, add_service, expect, set_clock
from tests.conftest import PASSWORD, create_user, log_in, make_settings
from tests.discussions.conftest import JUST_BEFORE, PLANNED, as_viewer, fields
from tests.discussions.conftest import expect as expect_frame
from tests.discussions.conftest import set_clock as set_group_clock
from tests.reports.conftest import report_payload
from tests.servers import Instance, instances, prepare_world

# The client's address as a trusted proxy forwards it: it must not be logged either.
CLIENT_ADDRESS = "203.0.113.77"
PROXY = {"X-Forwarded-For": CLIENT_ADDRESS}
# A PNG's signature, then something only this drawing holds.
DRAWING_MARK = "Piirustus-Sisalto-Kotona-Pelottaa"
DRAWING = b"\x89PNG\r\n\x1a\n" + DRAWING_MARK.encode() + b"\x00" * 64

# What each person typed, by where it came from. Every value is searched for case-insensitively;
# so are each email's local part and each phone number's digits (see ``needles``).
API_CLIENT = {
    "name": "Tuulikki Haapasalo",
    "email": "tuulikki.haapasalo@posti.example",
    "phone": "044 987 6543",
}
API_ANSWER = "Vuokranantaja uhkaa häädöllä Kirsikkatie"
API_CANCEL_REASON = "Sairastuin influenssaan Pihlajamäki"
PAGE_CLIENT = {
    "name": "Raimo Kukkonen-Jussila",
    "email": "raimo.kukkonen@sahkoposti.example",
    "phone": "050 314 1592",
}
PAGE_ANSWER = "Lastensuojelun avohuolto Mustikkapolku"
PAGE_CANCEL_REASON = "Poikani Veeti on sairaalassa"
GUEST_NAME = "Mummo Aino Rautiainen"
REPORT_API = {
    "reporter_name": "Opettaja Ollikainen-Vesterinen",
    "reporter_email": "o.vesterinen@koulu.example",
    "reporter_phone": "040 271 8281",
    "child_name": "Eemeli Tikkanen",
    "child_identity_number": "150317A774E",
    "guardian_name": "Kalervo Tikkanen",
    "guardian_phone": "050 161 8033",
    "description": "Eemeli kertoi isäpuolen lyövän remmillä Haukilahdessa",
    "attachment_name": "eemelin-piirustus-kotona.png",
}
REPORT_PAGES = {
    "reporter_name": "Terveydenhoitaja Sirkka Lampinen",
    "reporter_email": "sirkka.lampinen@neuvola.example",
    "reporter_phone": "044 662 6070",
    "child_name": "Helmi Saarinen-Koskela",
    "child_identity_number": "240619A482S",
    "guardian_name": "Jouni Saarinen-Koskela",
    "description": "Helmi tulee päiväkotiin nälkäisenä Rajakylästä",
    "whereabouts": "Päiväkoti Tammenterho",
    "attachment_name": "helmin-mustelmat-valokuva.png",
}
LOGIN = {"email": "vaara.kayttaja@kunta.example", "password": "Hevonen-Akku-Niitti-4417"}
CHAT = {
    "question": "Puolisoni juo joka ilta Koivukylässä",
    "answer": "Kiitos että kerroit Hämeenkylän perheneuvolasta",
}
GROUP = {
    "nickname": "Uupunut Äiti Vantaalta",
    "said": "Teinini karkaa öisin Tikkurilaan",
    "host_said": "Kiitos Lahtisen perheelle jakamisesta",
}


def needles(**sources: dict[str, str] | str) -> dict[str, str]:
    """Every string to look for, named by where it came from: each value, each word of it of 8
    letters or more (a surname or a street logged alone), each email's local part, each phone
    number's digits with and without the leading 0 (stored numbers are +358…)."""
    found: dict[str, str] = {}
    for source, values in sources.items():
        for field, value in (values if isinstance(values, dict) else {"": values}).items():
            name = f"{source} {field}".strip()
            found[name] = value
            for word in re.findall(r"[^\W\d_]{8,}", value):
                found[f"{name} ({word})"] = word
            if "@" in value:
                found[f"{name} (local part)"] = value.split("@")[0]
            if re.fullmatch(r"[\d ]+", value):
                digits = value.replace(" ", "")
                found[f"{name} (digits)"] = digits
                found[f"{name} (digits after 0)"] = digits.removeprefix("0")
    return found


def leaks(log: str, searched: dict[str, str]) -> str:
    """Each needle found in the log with the first line it is on (around it); empty if none."""
    lines = log.lower().splitlines()
    found = []
    for name, value in searched.items():
        needle = value.lower()
        for line in lines:
            if needle in line:
                at = line.index(needle)
                found.append(f"{name}: …{line[max(0, at - 300) : at + 100]}…")
                break
    return "\n".join(found)


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """The service's own logging at DEBUG, written to a buffer; everything put back after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    buffer = io.StringIO()
    configure_logging("DEBUG", buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, logger in logging.Logger.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.setLevel(saved_levels.get(name, logging.NOTSET))


# ---- the entry points, one by one ---------------------------------------------------------------


async def book_move_join_and_cancel_through_the_api(
    client: TestClient[Any, Any], office: Any
) -> None:
    body = {
        "meeting_type_id": office.follow_up,
        "caseworker_id": office.maria,
        "start": tomorrow_at(9).isoformat(),
        "mode": "video",
        "language": "fi",
        "client": API_CLIENT,
        "answers": {"topic": API_ANSWER, "interpreter": "no"},
    }
    response = await client.post("/api/v1/bookings", json=body)
    assert response.status == 201, await response.text()
    booking = await response.json()
    bearer = {"Authorization": f"Bearer {booking['manage_token']}"}
    # A bad email is refused with the value in pydantic's error: it must not reach the log.
    bad = {**body, "client": {**API_CLIENT, "email": API_CLIENT["email"].replace("@", " at ")}}
    assert (await client.post("/api/v1/bookings", json=bad)).status == 422
    moved = await client.post(
        f"/api/v1/bookings/{booking['id']}/reschedule",
        json={"start": tomorrow_at(14).isoformat()},
        headers=bearer,
    )
    assert moved.status == 200, await moved.text()
    assert (await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer)).status == 200

    # The video meeting, moved to begin in five minutes so that its room is open.
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    async with client.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == booking["id"])
            .values(
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                blocked_from=starts,
                blocked_until=starts + timedelta(minutes=45),
            )
        )
    await join_the_video_meeting(client, booking["id"], booking["manage_token"])

    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel",
        json={"reason": API_CANCEL_REASON},
        headers=bearer,
    )
    assert cancelled.status == 200, await cancelled.text()


async def join_the_video_meeting(client: TestClient[Any, Any], meeting_id: str, token: str) -> None:
    """The client's join page and lobby, and a guest invited by name and opening their link."""
    assert (await client.get(f"/manage/{token}/join")).status == 200
    await log_in(client, "maria@example.com")
    invited = await client.post(
        f"/api/v1/meetings/{meeting_id}/guests", json={"display_name": GUEST_NAME}
    )
    assert invited.status == 201, await invited.text()
    guest_token = (await invited.json())["join_url"].rsplit("/", 1)[1]
    await client.post("/api/v1/auth/logout")
    assert (await client.get(f"/meetings/guest/{guest_token}")).status == 200
    socket = await client.ws_connect(f"/api/v1/meetings/{meeting_id}/ws")
    await socket.send_json(
        {"type": "hello", "v": 1, "credential": {"kind": "client", "token": token}}
    )
    await socket.receive_json(timeout=5)
    await socket.close()


async def book_and_cancel_through_the_pages(client: TestClient[Any, Any], office: Any) -> None:
    _, page = await to_details(client, office, tomorrow_at(11), caseworker=True)
    # First with a bad email: the form comes back, nothing is logged of what was typed.
    bad_email = PAGE_CLIENT["email"].replace("@", " at ")
    response, page = await press(
        client, page, "Jatka", **{**PAGE_CLIENT, "email": bad_email, "mode": "video"}
    )
    assert response.status == 422
    _, page = await press(client, page, "Jatka", **PAGE_CLIENT, mode="video", language="fi")
    assert heading_of(page) == "Ennen tapaamista"
    _, page = await press(client, page, "Jatka", **{"answer-topic": PAGE_ANSWER})
    response, page = await press(client, page, "Vahvista varaus")
    assert heading_of(page) == "Aikasi on varattu", page
    token = response.url.path.split("/")[2]
    assert (await client.get(f"/manage/{token}")).status == 200
    assert (await client.get(f"/manage/{token}/booking.ics")).status == 200
    assert (await client.get(f"/manage/{token}/join")).status == 200
    cancel = await (await client.get(f"/manage/{token}/cancel")).text()
    response, page = await press(client, cancel, "Peru varaus", reason=PAGE_CANCEL_REASON)
    assert heading_of(page) == "Varauksesi on peruttu"


async def report_through_the_api(client: TestClient[Any, Any]) -> None:
    data = REPORT_API
    payload = report_payload(
        reporter={
            "name": data["reporter_name"],
            "role": "luokanopettaja",
            "organisation": "Kallion koulu",
            "phone": data["reporter_phone"],
            "email": data["reporter_email"],
        },
        child={"name": data["child_name"], "identity_number": data["child_identity_number"]},
        guardians=[{"name": data["guardian_name"], "phone": data["guardian_phone"]}],
        concern={"categories": ["violence"], "description": data["description"]},
    )
    response = await client.post("/api/v1/concern-reports", json=payload)
    assert response.status == 201, await response.text()
    sent = await response.json()
    # A wrong identity number is refused with the value in the validator's error.
    wrong = {**payload, "submission_id": "0" * 32}
    wrong["child"] = {
        **payload["child"],
        "identity_number": data["child_identity_number"][:-1] + "X",
    }
    assert (await client.post("/api/v1/concern-reports", json=wrong)).status == 422
    form = aiohttp.FormData()
    form.add_field(
        "file", DRAWING, filename=data["attachment_name"], content_type="application/octet-stream"
    )
    added = await client.post(
        f"/api/v1/concern-reports/{sent['reference']}/attachments",
        data=form,
        headers={"Authorization": f"Bearer {sent['attachment_token']}"},
    )
    assert added.status == 201, await added.text()


def question_form(html: str) -> Form:
    (form,) = [form for form in forms_of(html) if any(n == "submitted" for n, _ in form.fields)]
    return form


async def report_through_the_pages(client: TestClient[Any, Any]) -> None:
    data = REPORT_PAGES
    html = await (await client.get("/report-a-concern/professional/reporter")).text()
    for values in (
        {
            "reporter-name": data["reporter_name"],
            "reporter-role": "terveydenhoitaja",
            "reporter-organisation": "Neuvola",
            "reporter-phone": data["reporter_phone"],
            "reporter-email": data["reporter_email"],
        },
        {"child-name": data["child_name"], "child-identity_number": data["child_identity_number"]},
        {"guardian-name": data["guardian_name"]},
        {"informed-guardians_told": "no", "informed-child_told": "no", "informed-why_not": "pelko"},
        {"child_whereabouts": data["whereabouts"]},
    ):
        _, html = await answer(client, html, **values)
    form = question_form(html)
    fields = [
        (n, v) for n, v in form.fields if n not in ("concern-categories", "concern-description")
    ]
    fields += [("concern-categories", "neglect"), ("concern-description", data["description"])]
    html = await (await client.post(form.action, data=fields)).text()
    assert heading_of(html) == "Liitteet", html
    form = question_form(html)
    upload = aiohttp.FormData()
    for name, value in form.fields:
        if name != "file":
            upload.add_field(name, value)
    upload.add_field("upload", "1")
    upload.add_field(
        "file", DRAWING, filename=data["attachment_name"], content_type="application/octet-stream"
    )
    html = await (await client.post(form.action, data=upload)).text()
    assert data["attachment_name"] in html
    _, html = await answer(client, html)
    send_form = next(f for f in forms_of(html) if f.action.endswith("/send"))
    response, receipt = await send(client, send_form)
    assert response.status == 200 and "OR-" in receipt


async def chat_through_the_websockets(client: TestClient[Any, Any], unit_id: str) -> None:
    """An anonymous person (behind the proxy, with an address) asks a worker on duty."""
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    service = await add_service(client, unit_id)
    set_clock(client, lambda: WEDNESDAY)
    base = str(client.make_url(""))
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(base_url=base, cookie_jar=jar) as staff,
        aiohttp.ClientSession(base_url=base, headers=PROXY) as person,
    ):
        login = {"email": "maria@example.com", "password": PASSWORD}
        assert (await staff.post("/api/v1/auth/login", json=login)).status == 200
        console = await staff.ws_connect("/api/v1/chat/staff/ws")
        await console.send_json({"type": "hello", "v": 1})
        await console.send_json({"type": "duty", "services": [service["id"]]})
        await expect(console, "duty")
        assert (await person.get(f"/chat/{SLUG}")).status == 200
        chat = await person.ws_connect("/api/v1/chat/ws")
        await chat.send_json({"type": "hello", "v": 1, "service": SLUG})
        await chat.send_json({"type": "say", "text": CHAT["question"]})
        await expect(chat, "queue")
        await console.send_json({"type": "take"})
        chat_id = (await expect(console, "chat"))["chat"]
        await console.send_json({"type": "say", "chat": chat_id, "text": CHAT["answer"]})
        assert (await expect(chat, "line"))["text"] == CHAT["answer"]
        await console.send_json({"type": "end", "chat": chat_id, "topic": "substances"})
        await expect(chat, "ended")
        await chat.close()
        await console.close()


async def discuss_in_a_group(client: TestClient[Any, Any], office: Any) -> None:
    """A person (behind the proxy) joins a group discussion with a nickname; the host holds,
    approves and hides what they say, mutes and removes them."""
    service = client.app[group_sessions_key]
    set_group_clock(client, PLANNED)
    planned = await service.create(
        as_viewer(office.maria, "Maria Virtanen"), fields(host_id=office.maria)
    )
    set_group_clock(client, JUST_BEFORE)
    base = str(client.make_url(""))
    async with (
        aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as staff,
        aiohttp.ClientSession(base_url=base, headers=PROXY) as person,
    ):
        login = {"email": "maria@example.com", "password": PASSWORD}
        assert (await staff.post("/api/v1/auth/login", json=login)).status == 200
        host = await staff.ws_connect("/api/v1/groups/ws")
        await host.send_json({"type": "hello", "v": 1, "session": planned.id})
        await expect(host, "welcome")
        assert (await person.get(f"/groups/{planned.id}")).status == 200
        room = await person.ws_connect("/api/v1/groups/ws")
        hello = {"type": "hello", "v": 1, "session": planned.id, "nickname": GROUP["nickname"]}
        await room.send_json(hello)
        member = (await expect(room, "welcome"))["member"]
        await room.send_json({"type": "say", "text": GROUP["said"]})
        held = await expect(room, "held")
        await host.send_json({"type": "approve", "seq": held["seq"]})
        await host.send_json({"type": "say", "text": GROUP["host_said"]})
        assert (await expect_frame(room, "message", text=GROUP["host_said"]))["role"] == "host"
        await host.send_json({"type": "hide", "seq": held["seq"]})
        await expect(room, "hidden")
        await host.send_json({"type": "mute", "member": member})
        await expect(room, "muted")
        await host.send_json({"type": "remove", "member": member})
        await expect(room, "removed")
        await host.send_json({"type": "end"})
        await expect(host, "ended")
        await client.app[group_rooms_key].flush()


async def fail_to_log_in(client: TestClient[Any, Any]) -> None:
    # A link someone mailed with the email in its query string: the address is never logged.
    assert (await client.get("/login", params={"email": LOGIN["email"]})).status == 200
    api = await client.post("/api/v1/auth/login", json=LOGIN)
    assert api.status == 401
    page = await (await client.get("/login")).text()
    response, _ = await send(client, form_of(page, "Kirjaudu"), **LOGIN)
    assert response.status == 401


async def fail_unexpectedly(client: TestClient[Any, Any]) -> None:
    """Two errors the middleware did not expect, each with personal data in its message: a
    database error naming the values of its statement, and a pydantic error quoting its input."""
    for path in ("/api/v1/leak-probe/database", "/leak-probe/validation"):
        response = await client.get(path)
        assert response.status == 500


class _Contact(BaseModel):
    email: EmailStr


def add_failing_routes(app: web.Application) -> None:
    async def database_error(request: web.Request) -> web.Response:
        async with request.app[engine_key].begin() as connection:
            await connection.execute(text("CREATE TEMPORARY TABLE leak_probe (email TEXT UNIQUE)"))
            for _ in range(2):
                await connection.execute(
                    text("INSERT INTO leak_probe (email) VALUES (:email)"),
                    {"email": API_CLIENT["email"]},
                )
        return web.Response()

    async def validation_error(_request: web.Request) -> web.Response:
        _Contact.model_validate({"email": PAGE_CLIENT["email"].replace("@", " at ")})
        return web.Response()

    app.router.add_get("/api/v1/leak-probe/database", database_error)
    app.router.add_get("/leak-probe/validation", validation_error)


EVERYTHING = needles(
    api_client=API_CLIENT,
    api_answer=API_ANSWER,
    api_cancel_reason=API_CANCEL_REASON,
    page_client=PAGE_CLIENT,
    page_answer=PAGE_ANSWER,
    page_cancel_reason=PAGE_CANCEL_REASON,
    guest=GUEST_NAME,
    report_api=REPORT_API,
    report_pages=REPORT_PAGES,
    login=LOGIN,
    address=CLIENT_ADDRESS,
    attachment_content=DRAWING_MARK,
    chat=CHAT,
    group=GROUP,
)
# In this process the test client connects from 127.0.0.1 (the trusted proxy): the peer's own
# address is not to be logged either. (A real server prints its own 127.0.0.1 when it starts.)
PEER_ADDRESS = "127.0.0.1"


async def test_no_personal_data_from_any_public_form_or_api_reaches_the_log(
    aiohttp_client: Any, database_url: str, tmp_path: Path, service_log: io.StringIO
) -> None:
    settings = make_settings(
        database_url,
        file_store=str(tmp_path / "files"),
        trusted_proxies="127.0.0.1",
        log_level="DEBUG",
    )
    app = create_app(settings)
    add_failing_routes(app)
    client: TestClient[Any, Any] = await aiohttp_client(app, headers=PROXY)
    office = await open_office(client.app)

    await book_move_join_and_cancel_through_the_api(client, office)
    await book_and_cancel_through_the_pages(client, office)
    await report_through_the_api(client)
    await report_through_the_pages(client)
    await chat_through_the_websockets(client, office.unit_id)
    await discuss_in_a_group(client, office)
    await fail_to_log_in(client)
    await fail_unexpectedly(client)
    # No SMTP server and no SMS gateway: the confirmations and cancellations go to the log.
    await client.app[outbox_sender_key].drain()
    await client.close()

    log = service_log.getvalue()
    entries = [json.loads(line) for line in log.splitlines()]
    assert any(entry["logger"] == "kohtaamo.access" for entry in entries)
    assert any(entry["level"] == "DEBUG" for entry in entries)
    assert any(entry.get("traceback") for entry in entries)  # the unexpected errors
    written = [entry for entry in entries if entry["message"] == "message written to the log"]
    assert {(entry["kind"], entry["channel"]) for entry in written} >= {
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("cancellation", "email"),
    }
    assert all({"message_id", "kind", "channel", "language"} <= set(entry) for entry in written), (
        written
    )
    found = leaks(log, {**EVERYTHING, "peer address": PEER_ADDRESS})
    assert not found, f"personal data in the log:\n{found}"


def written_to_log(server: Instance) -> int:
    return server.log_messages().count("message written to the log")


async def test_a_real_server_at_debug_writes_no_personal_data(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    world = await prepare_world(aiohttp_client, database_url)
    searched = needles(
        api_client=API_CLIENT,
        api_cancel_reason=API_CANCEL_REASON,
        report_api=REPORT_API,
        login=LOGIN,
        address=CLIENT_ADDRESS,
    )
    async with instances(
        1,
        database_url,
        tmp_path,
        log_level="DEBUG",
        trusted_proxies="127.0.0.1",
        file_store=str(tmp_path / "files"),
    ) as (server,):
        async with aiohttp.ClientSession(base_url=server.base, headers=PROXY) as http:
            body = {
                "meeting_type_id": world.meeting_type_id,
                "caseworker_id": world.maria,
                "start": (datetime.now(UTC) + timedelta(days=1))
                .replace(minute=0, second=0, microsecond=0)
                .isoformat(),
                "mode": "video",
                "language": "fi",
                "client": API_CLIENT,
                "answers": {},
            }
            async with http.post("/api/v1/bookings", json=body) as response:
                assert response.status == 201, await response.text()
                booking = await response.json()
            async with http.get(f"/manage/{booking['manage_token']}") as response:
                assert response.status == 200
            async with http.post(
                f"/api/v1/bookings/{booking['id']}/cancel",
                json={"reason": API_CANCEL_REASON},
                headers={"Authorization": f"Bearer {booking['manage_token']}"},
            ) as response:
                assert response.status == 200, await response.text()
            async with http.post("/api/v1/auth/login", json=LOGIN) as response:
                assert response.status == 401
            report = report_payload(
                reporter={
                    "name": REPORT_API["reporter_name"],
                    "role": "opettaja",
                    "organisation": "Kallion koulu",
                    "phone": REPORT_API["reporter_phone"],
                    "email": REPORT_API["reporter_email"],
                },
                child={
                    "name": REPORT_API["child_name"],
                    "identity_number": REPORT_API["child_identity_number"],
                },
                guardians=[
                    {"name": REPORT_API["guardian_name"], "phone": REPORT_API["guardian_phone"]}
                ],
                concern={"categories": ["violence"], "description": REPORT_API["description"]},
            )
            async with http.post("/api/v1/concern-reports", json=report) as response:
                assert response.status == 201, await response.text()
        # The leader drains the outbox every 5 seconds; without SMTP the messages go to the log.
        async with asyncio.timeout(30):
            while written_to_log(server) < 2:  # noqa: ASYNC110  (a child's log has no event)
                await asyncio.sleep(0.2)
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert '"level": "DEBUG"' in log
    found = leaks(log, searched)
    assert not found, f"personal data in the log:\n{found}"
