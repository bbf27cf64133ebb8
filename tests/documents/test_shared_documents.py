"""A caseworker shares a meeting's summary and a PDF with the identified client; the client
reads them on their own pages and the caseworker sees it was read; the record system gets
each; nobody else sees them, and bad input stores nothing."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from core.app_keys import sessions_key
from documents.models import SharedDocument
from tests.messaging.conftest import PDF, PNG, MessagesWorld, csrf_of, smtp, world
from tests.mypages.test_my_pages import book

__all__ = ["smtp", "world"]
SUMMARY = "Sovimme, että haet toimeentulotukea ja tuot tiliotteet seuraavaan tapaamiseen."


async def share(
    session: aiohttp.ClientSession,
    booking_id: str,
    *,
    title: str = "Tapaamisen yhteenveto",
    summary: str = SUMMARY,
    file: tuple[str, bytes] | None = None,
) -> aiohttp.ClientResponse:
    path = f"/caseworker/bookings/{booking_id}/documents"
    page = await (await session.get(path)).text()
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(page))
    form.add_field("title", title)
    form.add_field("summary", summary)
    if file is not None:
        form.add_field("file", io.BytesIO(file[1]), filename=file[0])
    return await session.post(path, data=form)


async def stored(world: MessagesWorld) -> int:
    async with world.client.app[sessions_key]() as session:
        return int(await session.scalar(select(func.count()).select_from(SharedDocument)) or 0)


async def test_the_client_reads_what_the_caseworker_shared(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    async with world.staff("maria@example.com") as maria:
        summary = await share(maria, family)
        assert summary.status == 200
        assert "Asiakas näkee sen omilla sivuillaan" in await summary.text()
        pdf = await share(maria, family, title="Päätös", summary="", file=("paatos.pdf", PDF))
        assert pdf.status == 200
        listed = await (await maria.get(f"/api/v1/bookings/{family}/documents")).json()
        assert [d["first_read_at"] for d in listed["documents"]] == [None, None]

    await world.identify("aino")
    page = await (await world.client.get("/my/documents")).text()
    assert "Tapaamisen yhteenveto" in page and "Päätös" in page and "Maria Virtanen" in page
    mine = (await (await world.client.get("/api/v1/my/documents")).json())["documents"]
    by_title = {d["title"]: d for d in mine}
    opened = await (
        await world.client.get(f"/my/documents/{by_title['Tapaamisen yhteenveto']['id']}")
    ).text()
    assert SUMMARY in opened
    download = await world.client.get(f"/my/documents/{by_title['Päätös']['id']}/file")
    assert (await download.read(), download.content_type) == (PDF, "application/pdf")
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''paatos.pdf"

    async with world.staff("maria@example.com") as maria:
        after = await (await maria.get(f"/caseworker/bookings/{family}/documents")).text()
        assert after.count("Asiakas luki sen") == 2
        exported = await (
            await maria.get(f"/api/v1/documents/{by_title['Päätös']['id']}/export")
        ).json()
    assert exported["client"]["identity_code"] == "010280-952L"
    assert base64.b64decode(exported["file"]["content_base64"]) == PDF

    await world.deliver()
    events = [json.loads(body) for _headers, body in world.records]
    assert sorted(e["data"]["title"] for e in events) == ["Päätös", "Tapaamisen yhteenveto"]
    assert {e["event"] for e in events} == {"shared_document.shared"}
    summary_event = next(e for e in events if e["data"]["kind"] == "summary")
    assert summary_event["data"]["summary"] == SUMMARY


async def test_bad_input_is_named_and_nothing_is_stored(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    unidentified = await book(
        world.client, world.family, world.family.maria, world.family.meeting_type_id, 15, ""
    )
    async with world.staff("maria@example.com") as maria:
        nobody = await share(maria, unidentified)
        assert nobody.status == 422
        assert "Vain tunnistautunut asiakas näkee" in await nobody.text()
        empty = await share(maria, family, title="", summary="")
        assert empty.status == 422
        page = await empty.text()
        assert "Kirjoita otsikko." in page and "Kirjoita yhteenveto" in page
        disguised = await share(maria, family, file=("kuva.pdf", PNG))
        assert disguised.status == 422
        assert "Tiedoston nimi ei vastaa" in await disguised.text()
        picture = await share(maria, family, file=("kuva.png", PNG))
        assert picture.status == 422
        assert "Jaa PDF-tiedosto." in await picture.text()
    assert await stored(world) == 0


async def test_nobody_else_sees_a_shared_document(world: MessagesWorld) -> None:
    family = world.bookings["family"]
    async with world.staff("maria@example.com") as maria:
        await share(maria, family, file=("paatos.pdf", PDF))
    await world.identify("aino")
    [document] = (await (await world.client.get("/api/v1/my/documents")).json())["documents"]
    await world.identify("erkki")
    assert (await world.client.get(f"/my/documents/{document['id']}")).status == 404
    assert (await world.client.get(f"/my/documents/{document['id']}/file")).status == 404
    assert (await world.client.get(f"/api/v1/my/documents/{document['id']}")).status == 404
    assert (await (await world.client.get("/api/v1/my/documents")).json())["documents"] == []
    world.client.session.cookie_jar.clear()
    assert (await world.client.get("/api/v1/my/documents")).status == 401
    for other in ("johan@example.com", "sanna@example.com"):
        async with world.staff(other) as colleague:
            assert (await colleague.get(f"/caseworker/bookings/{family}/documents")).status == 404
            assert (await colleague.get(f"/api/v1/documents/{document['id']}/export")).status == 404
            shared = await colleague.post(
                f"/api/v1/bookings/{family}/documents", json={"title": "x", "summary": "y"}
            )
            assert shared.status == 404
    assert await stored(world) == 1


async def test_raw_rows_hold_no_clear_text(world: MessagesWorld, tmp_path: Any) -> None:
    async with world.staff("maria@example.com") as maria:
        await share(maria, world.bookings["family"])
        await share(maria, world.bookings["family"], title="Päätös", file=("paatos.pdf", PDF))
    async with world.client.app[sessions_key]() as session:
        rows = (
            await session.execute(text("SELECT title, body, filename FROM shared_documents"))
        ).all()
    for row in rows:
        assert row.title.startswith("k1.") and "Päätös" not in row.title
        assert "toimeentulotukea" not in row.body and "paatos" not in row.filename
    [stored_file] = list((tmp_path / "files" / "documents").glob("*/*"))
    assert not stored_file.read_bytes().startswith(b"%PDF")
