"""Secure messages: an identified client writes to a unit they have met, with a file; the unit
answers and notes; the client is told by an email that says nothing of the message; nobody
else reads, and bad input is refused with nothing stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from accounts.keys import account_service_key
from core.app_keys import sessions_key, settings_key
from core.db import utcnow
from core.principal import Role
from core.uploads import MAX_ATTACHMENT_BYTES
from messaging.models import MessageThread, ThreadMessage
from messaging.retention import MessageRetention
from messaging.routes import message_files
from notifications.keys import outbox_sender_key
from reports.deadlines import working_calendar
from tests.conftest import create_user
from tests.messaging.conftest import PDF, PNG, WEBHOOK_SECRET, MessagesWorld, csrf_of

SUBJECT = "Vuokrarästit"
BODY = "Hei, minulla on vuokrarästejä ja tarvitsisin neuvoa toimeentulotuesta."
ANSWER = "Hei Aino, tuo vuokrasopimus ja tiliotteet tapaamiseen."
NOTE = "Asiakkaalla aiempi päätös maaliskuussa."


async def write(
    world: MessagesWorld,
    *,
    unit_id: str,
    subject: str = SUBJECT,
    body: str = BODY,
    file: tuple[str, bytes] | None = None,
) -> aiohttp.ClientResponse:
    client = world.client
    form_page = await (await client.get("/my/messages/new")).text()
    data = aiohttp.FormData()
    data.add_field("csrf_token", csrf_of(form_page))
    data.add_field("unit_id", unit_id)
    data.add_field("subject", subject)
    data.add_field("body", body)
    if file is not None:
        data.add_field(
            "file", io.BytesIO(file[1]), filename=file[0], content_type="application/octet-stream"
        )
    return await client.post("/my/messages/new", data=data, allow_redirects=False)


async def thread_count(world: MessagesWorld) -> int:
    async with world.client.app[sessions_key]() as session:
        return int(await session.scalar(select(func.count()).select_from(MessageThread)) or 0)


async def test_a_client_writes_the_unit_answers_and_the_notice_says_nothing(
    world: MessagesWorld,
) -> None:
    await world.identify("aino")
    client = world.client
    new = await (await client.get("/my/messages/new")).text()
    assert "Perhepalvelut" in new and "Aikuissosiaalityö" in new
    sent = await write(world, unit_id=world.family.unit_id, file=("sopimus.pdf", PDF))
    assert sent.status == 303
    thread_path = sent.headers["Location"].split("?")[0]
    page = await (await client.get(thread_path)).text()
    assert BODY in page and "sopimus.pdf" in page
    file_id = page.split("/my/messages/files/")[1].split('"')[0]
    download = await client.get(f"/my/messages/files/{file_id}")
    assert (await download.read(), download.headers["Content-Type"]) == (PDF, "application/pdf")
    assert download.headers["Content-Disposition"].startswith("attachment")

    thread_id = thread_path.rsplit("/", 1)[1]
    async with world.staff("maria@example.com") as maria:
        inbox = await (await maria.get("/staff/messages")).text()
        assert SUBJECT in inbox and "Vastattava viimeistään" in inbox
        thread_page = await (await maria.get(f"/staff/messages/{thread_id}")).text()
        assert BODY in thread_page and "Aino Asiakas" in thread_page
        token = csrf_of(thread_page)
        answered = await maria.post(
            f"/staff/messages/{thread_id}",
            data={"csrf_token": token, "action": "send", "body": ANSWER},
        )
        assert answered.status == 200
        assert "Asiakkaalle ilmoitetaan uudesta viestistä" in await answered.text()
        noted = await maria.post(
            f"/staff/messages/{thread_id}",
            data={"csrf_token": token, "action": "note", "body": NOTE},
        )
        assert noted.status == 200
        inbox_api = await (await maria.get("/api/v1/threads")).json()
        [listed] = inbox_api["threads"]
        assert (listed["id"], listed["waiting_since"]) == (thread_id, None)

    await world.deliver()
    [(recipients, notice)] = world.notices()
    assert recipients == ["asiakas9@example.com"]  # the family booking's email
    assert str(notice["Subject"]) == "Uusi viesti Kohtaamossa"
    words = notice.get_body(("plain",)).get_content()
    assert f"/my/messages/{thread_id}" in words
    for secret in (ANSWER, SUBJECT, NOTE, "Maria", "Perhepalvelut", "vuokra"):
        assert secret not in words and secret not in str(notice["Subject"])

    my = await (await client.get("/api/v1/my/threads")).json()
    assert [(t["subject"], t["unread"]) for t in my["threads"]] == [(SUBJECT, True)]
    seen = await (await client.get(thread_path)).text()
    assert ANSWER in seen and "Maria Virtanen" in seen
    assert NOTE not in seen and "Sisäinen merkintä" not in seen
    detail = await (await client.get(f"/api/v1/my/threads/{thread_id}")).json()
    assert [m["kind"] for m in detail["messages"]] == ["client", "staff"]
    assert (await (await client.get("/api/v1/my/threads")).json())["threads"][0]["unread"] is False


async def test_bad_input_is_named_kept_and_nothing_is_stored(world: MessagesWorld) -> None:
    await world.identify("aino")
    empty = await write(world, unit_id=world.family.unit_id, body="   ")
    assert empty.status == 422
    page = await empty.text()
    assert "Kirjoita viestisi." in page and f'value="{SUBJECT}"' in page
    disguised = await write(world, unit_id=world.family.unit_id, file=("kuva.pdf", PNG))
    assert disguised.status == 422
    assert "Tiedoston nimi ei vastaa" in await disguised.text()
    not_a_file = await write(world, unit_id=world.family.unit_id, file=("ohje.pdf", b"MZ\x90\x00"))
    assert not_a_file.status == 422
    big = PDF + b"0" * MAX_ATTACHMENT_BYTES
    oversized = await write(world, unit_id=world.family.unit_id, file=("iso.pdf", big))
    assert oversized.status in (413, 422)
    stranger = await write(world, unit_id="00000000-0000-0000-0000-000000000000")
    assert stranger.status == 422
    assert "Valitse jokin yksiköistä" in await stranger.text()
    api = await world.client.post(
        "/api/v1/my/threads", json={"unit_id": world.family.unit_id, "subject": "", "body": ""}
    )
    assert api.status == 422
    fields = {error["field"] for error in (await api.json())["errors"]}
    assert fields == {"subject", "body"}
    assert await thread_count(world) == 0


async def test_a_unit_the_person_never_met_cannot_be_written_to(world: MessagesWorld) -> None:
    # Erkki has met only the family services: the adult unit is not his to write to.
    await world.identify("erkki")
    refused = await world.client.post(
        "/api/v1/my/threads",
        json={"unit_id": world.adult_unit_id, "subject": "Hei", "body": "Mainos"},
    )
    assert refused.status == 422
    assert [e["field"] for e in (await refused.json())["errors"]] == ["unit_id"]
    assert await thread_count(world) == 0


async def test_nobody_else_reads_or_writes_the_thread(world: MessagesWorld) -> None:
    await world.identify("aino")
    client = world.client
    sent = await write(world, unit_id=world.family.unit_id, file=("sopimus.pdf", PDF))
    thread_id = sent.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    page = await (await client.get(f"/my/messages/{thread_id}")).text()
    file_id = page.split("/my/messages/files/")[1].split('"')[0]

    async def messages() -> int:
        async with client.app[sessions_key]() as session:
            return int(await session.scalar(select(func.count()).select_from(ThreadMessage)) or 0)

    before = await messages()
    # Another identified person.
    await world.identify("erkki")
    assert (await client.get(f"/my/messages/{thread_id}")).status == 404
    assert (await client.get(f"/my/messages/files/{file_id}")).status == 404
    assert (await client.get(f"/api/v1/my/threads/{thread_id}")).status == 404
    assert (await client.get(f"/api/v1/my/attachments/{file_id}")).status == 404
    reply = await client.post(f"/api/v1/my/threads/{thread_id}/messages", json={"body": "Hei"})
    assert reply.status == 404
    assert (await (await client.get("/api/v1/my/threads")).json())["threads"] == []
    # Nobody identified, even with the booking's manage link in hand.
    client.session.cookie_jar.clear()
    assert (await client.get(f"/api/v1/my/threads/{thread_id}")).status == 401
    manage = {"Authorization": "Bearer " + world.manage_tokens["family"]}
    assert (await client.get("/api/v1/my/threads", headers=manage)).status == 401
    assert (await client.get(f"/api/v1/my/attachments/{file_id}", headers=manage)).status == 401
    away = await client.get(f"/my/messages/{thread_id}", allow_redirects=False)
    assert away.status == 303 and away.headers["Location"].startswith("/identify?next=")
    # A caseworker of another unit, and an admin.
    async with world.staff("sanna@example.com") as sanna:
        assert (await sanna.get(f"/staff/messages/{thread_id}")).status == 404
        assert (await sanna.get(f"/staff/messages/files/{file_id}")).status == 404
        assert (await sanna.get(f"/api/v1/threads/{thread_id}")).status == 404
        answer = await sanna.post(f"/api/v1/threads/{thread_id}/messages", json={"body": "x"})
        assert answer.status == 404
        assert (await sanna.post(f"/api/v1/threads/{thread_id}/close")).status == 404
        assert (await (await sanna.get("/api/v1/threads")).json())["threads"] == []
    assert await messages() == before


async def test_raw_rows_hold_no_clear_text(world: MessagesWorld, tmp_path: Any) -> None:
    await world.identify("aino")
    await write(world, unit_id=world.family.unit_id, file=("sopimus.pdf", PDF))
    async with world.client.app[sessions_key]() as session:
        thread = (
            await session.execute(
                text("SELECT subject, person_name, person_code FROM message_threads")
            )
        ).one()
        body = await session.scalar(text("SELECT body FROM thread_messages"))
        filename = await session.scalar(text("SELECT filename FROM message_attachments"))
    for value, clear in (
        (thread.subject, SUBJECT),
        (thread.person_name, "Aino"),
        (thread.person_code, "010280"),
        (body, "vuokra"),
    ):
        assert value.startswith("k1.") and clear not in value
    assert filename.startswith("k1.") and "sopimus" not in filename
    stored = [path.read_bytes() for path in (tmp_path / "files" / "messages").glob("*/*")]
    assert (
        len(stored) == 1 and b"Vuokrasopimus" not in stored[0] and not stored[0].startswith(b"%PDF")
    )


async def test_a_person_writing_too_much_is_slowed(world: MessagesWorld) -> None:
    await world.identify("aino")
    client = world.client
    created = await client.post(
        "/api/v1/my/threads", json={"unit_id": world.family.unit_id, "subject": "1", "body": "1"}
    )
    thread_id = (await created.json())["id"]
    for number in range(9):
        again = await client.post(
            f"/api/v1/my/threads/{thread_id}/messages", json={"body": f"viesti {number}"}
        )
        assert again.status == 204
    limited = await client.post(f"/api/v1/my/threads/{thread_id}/messages", json={"body": "11"})
    assert limited.status == 429


async def test_staff_write_to_a_person_by_identity_code(world: MessagesWorld) -> None:
    async with world.staff("maria@example.com") as maria:
        wrong = await maria.post(
            "/api/v1/threads",
            json={"identity_code": "131052-308X", "subject": "Hei", "body": "Soitatko?"},
        )
        assert wrong.status == 422
        made = await maria.post(
            "/api/v1/threads",
            json={"identity_code": "131052-308t", "subject": "Päätös", "body": "Päätös on tehty."},
        )
        assert made.status == 201
    await world.identify("erkki")
    threads = (await (await world.client.get("/api/v1/my/threads")).json())["threads"]
    assert [(t["subject"], t["unread"]) for t in threads] == [("Päätös", True)]
    await world.identify("aino")
    assert (await (await world.client.get("/api/v1/my/threads")).json())["threads"] == []


async def test_a_closed_thread_goes_to_the_record_system_signed_and_retried(
    world: MessagesWorld,
) -> None:
    await world.identify("aino")
    sent = await write(world, unit_id=world.family.unit_id, file=("sopimus.pdf", PDF))
    thread_id = sent.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    async with world.staff("maria@example.com") as maria:
        assert (
            await maria.post(f"/api/v1/threads/{thread_id}/messages", json={"body": ANSWER})
        ).status == 204
        await maria.post(f"/api/v1/threads/{thread_id}/messages", json={"body": NOTE, "note": True})
        exported = await maria.get(f"/api/v1/threads/{thread_id}/export")
        assert exported.headers["Content-Disposition"].startswith("attachment")
        filed = await exported.json()
        world.record_answers.append(503)  # the record system is down at first
        assert (await maria.post(f"/api/v1/threads/{thread_id}/close")).status == 204
    assert filed["client"] == {"name": "Aino Asiakas", "identity_code": "010280-952L"}
    assert [m["kind"] for m in filed["messages"]] == ["client", "staff", "note"]
    [file] = filed["messages"][0]["attachments"]
    assert base64.b64decode(file["content_base64"]) == PDF

    await world.deliver()
    assert len(world.records) == 1  # refused: tried again later
    sender = world.client.app[outbox_sender_key]
    sender._clock = lambda: utcnow() + timedelta(minutes=5)
    await sender.drain()
    assert len(world.records) == 2
    headers, body = world.records[-1]
    stamp, signature = (part.split("=", 1)[1] for part in headers["Kohtaamo-Signature"].split(","))
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(signature, expected.hexdigest())
    event = json.loads(body)
    assert event["event"] == "message_thread.closed"
    assert event["data"]["id"] == thread_id and event["data"]["status"] == "closed"
    assert [m["body"] for m in event["data"]["messages"]] == [BODY, ANSWER, NOTE]
    assert headers["Kohtaamo-Event"] == world.records[0][0]["Kohtaamo-Event"]


async def test_closed_threads_go_after_the_retention_period(
    world: MessagesWorld, tmp_path: Any
) -> None:
    await world.identify("aino")
    sent = await write(world, unit_id=world.family.unit_id, file=("sopimus.pdf", PDF))
    thread_id = sent.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    still_open = await write(world, unit_id=world.family.unit_id, subject="Toinen")
    assert still_open.status == 303
    async with world.staff("maria@example.com") as maria:
        assert (await maria.post(f"/api/v1/threads/{thread_id}/close")).status == 204
    settings = world.client.app[settings_key]
    files = tmp_path / "files" / "messages"
    assert len(list(files.glob("*/*"))) == 1

    def retention(days_later: int) -> MessageRetention:
        return MessageRetention(
            world.client.app[sessions_key],
            message_files(settings),
            settings.message_retention_days,
            world.client.app[account_service_key].organisation,
            clock=lambda: utcnow() + timedelta(days=days_later),
        )

    assert await retention(729).delete_expired() == 0
    assert await retention(731).delete_expired() == 1
    assert await thread_count(world) == 1  # the open one stays however old
    assert list(files.glob("*/*")) == []
    async with world.client.app[sessions_key]() as session:
        logged = await session.scalar(
            text(
                "SELECT subject_id FROM access_log WHERE subject_type = 'message_thread' "
                "AND action = 'retention.deleted'"
            )
        )
    assert logged == "count:1"


async def test_the_api_takes_a_file_with_a_message(world: MessagesWorld) -> None:
    await world.identify("aino")
    client = world.client
    made = await client.post(
        "/api/v1/my/threads",
        json={"unit_id": world.family.unit_id, "subject": "Liite", "body": "Tässä"},
    )
    thread_id = (await made.json())["id"]
    form = aiohttp.FormData()
    form.add_field("body", "Sopimus liitteenä")
    form.add_field("file", io.BytesIO(PDF), filename="sopimus.pdf")
    sent = await client.post(f"/api/v1/my/threads/{thread_id}/files", data=form)
    assert sent.status == 204
    not_multipart = await client.post(f"/api/v1/my/threads/{thread_id}/files", json={"body": "x"})
    assert not_multipart.status == 415
    disguised = aiohttp.FormData()
    disguised.add_field("body", "Kuva")
    disguised.add_field("file", io.BytesIO(PNG), filename="kuva.pdf")
    refused = await client.post(f"/api/v1/my/threads/{thread_id}/files", data=disguised)
    assert refused.status == 422
    detail = await (await client.get(f"/api/v1/my/threads/{thread_id}")).json()
    [file] = detail["messages"][-1]["attachments"]
    assert file["filename"] == "sopimus.pdf"
    download = await client.get(f"/api/v1/my/attachments/{file['id']}")
    assert await download.read() == PDF


async def test_the_answer_target_is_the_units_own(world: MessagesWorld) -> None:
    await create_user(world.client.app, Role.ADMIN, "admin@example.com")
    unit = world.family.unit_id
    async with world.staff("admin@example.com") as admin:
        too_long = await admin.put(
            f"/api/v1/admin/units/{unit}/answer-target", json={"answer_days": 0}
        )
        assert too_long.status == 422
        set_ = await admin.put(f"/api/v1/admin/units/{unit}/answer-target", json={"answer_days": 5})
        assert (set_.status, (await set_.json())["answer_days"]) == (200, 5)
    async with world.staff("maria@example.com") as maria:
        refused = await maria.put(
            f"/api/v1/admin/units/{unit}/answer-target", json={"answer_days": 9}
        )
        assert refused.status == 403
    await world.identify("aino")
    await write(world, unit_id=unit)
    async with world.staff("maria@example.com") as maria:
        [thread] = (await (await maria.get("/api/v1/threads")).json())["threads"]
    today = utcnow().astimezone(world.client.app[settings_key].zone).date()
    expected = working_calendar("fi").add_working_days(today, 5)
    assert thread["answer_due"] == expected.isoformat()
