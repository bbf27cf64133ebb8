"""Each unit's message settings: the admin sets the answer target and how long closed threads
are kept, on a page without JavaScript or through the API; bad values are named and kept, nothing
half-saved; and retention deletes each unit's closed threads after its own period."""

from __future__ import annotations

from datetime import timedelta

from accounts.keys import account_service_key
from core.app_keys import sessions_key, settings_key
from core.db import utcnow
from core.principal import Role
from messaging.retention import MessageRetention
from messaging.routes import message_files
from tests.conftest import create_user
from tests.messaging.conftest import MessagesWorld, csrf_of, smtp, world
from tests.messaging.test_messages import thread_count, write

__all__ = ["smtp", "world"]


async def test_the_admin_sets_a_units_message_settings_on_a_page(world: MessagesWorld) -> None:
    await create_user(world.client.app, Role.ADMIN, "admin@example.com")
    path = f"/admin/units/{world.adult_unit_id}/messages"
    async with world.staff("admin@example.com") as admin:
        units = await (await admin.get("/admin/units")).text()
        assert path in units and "Viestien asetukset" in units
        form = await (await admin.get(path)).text()
        assert 'value="3"' in form and "oletusarvo 730" in form
        token = csrf_of(form)
        bad = await admin.post(
            path,
            data={"csrf_token": token, "answer_days": "40", "message_retention_days": "7"},
        )
        assert bad.status == 422
        page = await bad.text()
        assert "Anna päivien määrä väliltä 1–30." in page and 'value="40"' in page
        assert "väliltä 30–3650" in page and 'value="7"' in page
        good = await admin.post(
            path,
            data={"csrf_token": token, "answer_days": "2", "message_retention_days": "60"},
        )
        assert good.status == 200 and "Asetukset tallennettiin." in await good.text()
        api = await admin.put(
            f"/api/v1/admin/units/{world.family.unit_id}/message-settings",
            json={"answer_days": 4, "message_retention_days": 10},
        )
        assert api.status == 422
        assert [e["field"] for e in (await api.json())["errors"]] == ["message_retention_days"]
    units = {u.id: u for u in await world.client.app[account_service_key].organisation.units()}
    assert (
        units[world.adult_unit_id].answer_days,
        units[world.adult_unit_id].message_retention_days,
    ) == (2, 60)
    assert (
        units[world.family.unit_id].answer_days,
        units[world.family.unit_id].message_retention_days,
    ) == (3, None)

    async with world.staff("maria@example.com") as maria:
        refused = await maria.get(path, allow_redirects=False)
        assert refused.status == 403
        api = await maria.put(
            f"/api/v1/admin/units/{world.adult_unit_id}/message-settings",
            json={"answer_days": 9, "message_retention_days": None},
        )
        assert api.status == 403


async def test_each_unit_keeps_closed_threads_for_its_own_period(world: MessagesWorld) -> None:
    await create_user(world.client.app, Role.ADMIN, "admin@example.com")
    async with world.staff("admin@example.com") as admin:
        answer = await admin.put(
            f"/api/v1/admin/units/{world.adult_unit_id}/message-settings",
            json={"answer_days": 3, "message_retention_days": 60},
        )
        assert answer.status == 200
    await world.identify("aino")
    threads = []
    for unit_id in (world.family.unit_id, world.adult_unit_id):
        sent = await write(world, unit_id=unit_id)
        threads.append(sent.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    for email, thread_id in zip(("maria@example.com", "sanna@example.com"), threads, strict=True):
        async with world.staff(email) as worker:
            assert (await worker.post(f"/api/v1/threads/{thread_id}/close")).status == 204
    settings = world.client.app[settings_key]

    def days_later(days: int) -> MessageRetention:
        return MessageRetention(
            world.client.app[sessions_key],
            message_files(settings),
            settings.message_retention_days,
            world.client.app[account_service_key].organisation,
            clock=lambda: utcnow() + timedelta(days=days),
        )

    assert await days_later(59).delete_expired() == 0
    assert await days_later(61).delete_expired() == 1  # the adult unit's
    async with world.staff("maria@example.com") as maria:
        assert (await maria.get(f"/api/v1/threads/{threads[0]}")).status == 200
    assert await thread_count(world) == 1
    assert await days_later(731).delete_expired() == 1
