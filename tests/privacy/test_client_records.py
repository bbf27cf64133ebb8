"""The person's-rights search by identity code finds what the identified client's own features
hold: message threads (with notes), shared documents and the consent log, and logs the reads."""

from __future__ import annotations

from core.principal import Role
from tests.conftest import create_user
from tests.messaging.conftest import MessagesWorld, smtp, world

__all__ = ["smtp", "world"]


async def test_an_access_request_finds_threads_documents_and_consents(
    world: MessagesWorld,
) -> None:
    await world.identify("aino")
    client = world.client
    made = await client.post(
        "/api/v1/my/threads",
        json={"unit_id": world.family.unit_id, "subject": "Vuokra", "body": "Apua vuokraan"},
    )
    thread_id = (await made.json())["id"]
    await client.post(
        "/api/v1/my/consents", json={"kind": "assessment_results", "unit_id": world.adult_unit_id}
    )
    async with world.staff("maria@example.com") as maria:
        await maria.post(
            f"/api/v1/threads/{thread_id}/messages", json={"body": "Muistiin", "note": True}
        )
        await maria.post(
            f"/api/v1/bookings/{world.bookings['family']}/documents",
            json={"title": "Yhteenveto", "summary": "Sovittiin jatkosta."},
        )
    await create_user(client.app, Role.ADMIN, "admin@example.com")
    async with world.staff("admin@example.com") as admin:
        found = await admin.post(
            "/api/v1/personal-data/search", json={"identity_code": "010280-952L"}
        )
        assert found.status == 200
        data = await found.json()
    [thread] = data["message_threads"]
    assert thread["subject"] == "Vuokra"
    assert [m["body"] for m in thread["messages"]] == ["Apua vuokraan", "Muistiin"]
    assert [d["title"] for d in data["shared_documents"]] == ["Yhteenveto"]
    assert [c["unit"]["en"] for c in data["consents"]] == ["Adult"]
    items = {entry["item"] for entry in data["access_log"]}
    assert f"message_thread {thread_id}" in items
