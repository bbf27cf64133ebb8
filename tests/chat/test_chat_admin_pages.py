"""The admin sets up an advice chat on pages without JavaScript: names, unit, hours, saved
answers; bad input is named and kept, nothing half-saved; only admins."""

from __future__ import annotations

from chat.keys import chat_services_key
from tests.chat.conftest import ChatWorld
from tests.messaging.conftest import csrf_of


async def test_the_admin_adds_and_changes_a_chat(chat_world: ChatWorld) -> None:
    admin = await chat_world.staff("admin@example.com")
    form = await (await admin.get("/admin/chats/new")).text()
    assert "Maanantai" in form and "Perhepalvelut" in form
    fields = {
        "csrf_token": csrf_of(form),
        "slug": "Aikuiset!",
        "names.fi": "Aikuisneuvonta",
        "names.sv": "",
        "names.en": "Adult advice",
        "unit_id": chat_world.family.unit_id,
        "capacity": "2",
        "active": "yes",
        "hours.0.opens": "15:00",
        "hours.0.closes": "09:00",
        "saved.0.title": "Kela",
        "saved.0.text": "",
    }
    refused = await admin.post("/admin/chats/new", data=fields)
    assert refused.status == 422
    page = await refused.text()
    for message in (
        "Käytä 3–60 pientä kirjainta",
        "Anna nimi tällä kielellä",
        "Sulkemisajan on oltava avaamisajan jälkeen.",
        "Valmiilla vastauksella on oltava otsikko",
    ):
        assert message in page, message
    assert 'value="Aikuisneuvonta"' in page and 'value="15:00"' in page
    services = chat_world.client.app[chat_services_key]
    assert len(await services.services()) == 1  # nothing half-saved

    fixed = fields | {
        "slug": "aikuisneuvonta",
        "names.sv": "Vuxenrådgivning",
        "hours.0.opens": "09:00",
        "hours.0.closes": "15:00",
        "saved.0.text": "Toimeentulotukea haetaan Kelasta.",
    }
    saved = await admin.post("/admin/chats/new", data=fixed)
    assert saved.status == 200 and "Chat tallennettiin." in await saved.text()
    made = next(s for s in await services.services() if s.info.slug == "aikuisneuvonta")
    assert made.info.names["sv"] == "Vuxenrådgivning"
    assert [(a.title, a.text) for a in made.saved_answers] == [
        ("Kela", "Toimeentulotukea haetaan Kelasta.")
    ]
    change = await (await admin.get(f"/admin/chats/{made.info.id}")).text()
    assert 'value="aikuisneuvonta"' in change and "Toimeentulotukea haetaan Kelasta." in change
    removed = fixed | {"csrf_token": csrf_of(change), "saved.0.title": "", "saved.0.text": ""}
    assert (await admin.post(f"/admin/chats/{made.info.id}", data=removed)).status == 200
    again = next(s for s in await services.services() if s.info.slug == "aikuisneuvonta")
    assert again.saved_answers == ()

    maria = await chat_world.staff("maria@example.com")
    assert (await maria.get("/admin/chats", allow_redirects=False)).status == 403
