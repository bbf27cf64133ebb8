"""Single days with their own hours: the admin sets them (API and form, with the service's own
words on other help and the meeting type a booking goes to), the chat keeps to them, and its
page lists them. Bad days are refused by field, nothing half-saved."""

from __future__ import annotations

from datetime import time
from typing import Any

from chat.keys import chat_services_key
from tests.chat.conftest import EVERY_DAY, SLUG, ChatWorld, closed_with
from tests.messaging.conftest import csrf_of

OTHER_HELP = "Nuorten kriisipiste, ma–pe 10–16: 045 341 0583"


def body(world: ChatWorld, **fields: Any) -> dict[str, Any]:
    return {
        "slug": SLUG,
        "names": {"fi": "Perheneuvonta", "sv": "Familjerådgivning", "en": "Family advice"},
        "hours": EVERY_DAY,
        "phone": "09 123 4567",
        "capacity": 2,
        "unit_id": world.family.unit_id,
    } | fields


async def test_a_day_closed_by_exception_closes_the_chat_and_the_page_says_so(
    chat_world: ChatWorld,
) -> None:
    admin = await chat_world.staff("admin@example.com")
    path = f"/api/v1/admin/chat/services/{chat_world.service_id}"
    refused = await admin.put(
        path, json=body(chat_world, exceptions=[{"date": "10.3.2027", "hours": None}])
    )
    assert refused.status == 422
    problem = await refused.json()
    assert [error["field"] for error in problem["errors"]] == ["exceptions.0"]

    # The tests' clock says Wednesday 10 March 2027, 10.00 in Helsinki.
    exceptions = [
        {"date": "2027-03-10", "hours": None},
        {"date": "2027-03-12", "hours": ["09:00", "12:00"]},
    ]
    changed = await admin.put(
        path, json=body(chat_world, exceptions=exceptions, other_help={"fi": OTHER_HELP})
    )
    assert changed.status == 200, await changed.text()
    answer = await changed.json()
    assert answer["exceptions"] == exceptions
    assert answer["open_now"] is False
    assert answer["other_help"] == {"fi": OTHER_HELP}

    maria = await chat_world.worker("maria@example.com")
    assert await closed_with(await chat_world.connect()) == 4423
    page = await (await (await chat_world.browser()).get(f"/chat/{SLUG}")).text()
    assert "Chat on nyt suljettu" in page
    assert "Päivät, joina aukioloajat ovat toiset" in page
    assert "Keskiviikko 10.3.2027" in page and "Suljettu" in page
    assert "Perjantai 12.3.2027" in page and "09.00–12.00" in page
    assert OTHER_HELP in page
    await maria.close()


async def test_the_admin_sets_exceptions_other_help_and_the_meeting_type_on_the_form(
    chat_world: ChatWorld,
) -> None:
    admin = await chat_world.staff("admin@example.com")
    path = f"/admin/chats/{chat_world.service_id}"
    form = await (await admin.get(path)).text()
    assert "Seurantatapaaminen" in form  # the unit's meeting type is offered
    fields = {
        "csrf_token": csrf_of(form),
        "slug": SLUG,
        "names.fi": "Perheneuvonta",
        "names.sv": "Familjerådgivning",
        "names.en": "Family advice",
        "unit_id": chat_world.family.unit_id,
        "meeting_type_id": chat_world.family.meeting_type_id,
        "capacity": "2",
        "active": "yes",
        "other_help.fi": OTHER_HELP,
        "exceptions.0.date": "2027-12-24",
        "exceptions.0.opens": "09:00",
        "exceptions.0.closes": "12:00",
        "exceptions.1.date": "2027-12-31",
        "exceptions.1.opens": "14:00",
        "exceptions.1.closes": "10:00",
    }
    refused = await admin.post(path, data=fields)
    assert refused.status == 422
    page = await refused.text()
    assert "Sulkemisajan on oltava avaamisajan jälkeen." in page
    assert 'value="2027-12-31"' in page and OTHER_HELP in page  # kept as typed
    services = chat_world.client.app[chat_services_key]
    [before] = await services.services()
    assert before.hours.exceptions == {}  # nothing half-saved

    fixed = fields | {
        "csrf_token": csrf_of(page),
        "exceptions.1.opens": "",
        "exceptions.1.closes": "",
    }
    assert (await admin.post(path, data=fixed)).status == 200
    [after] = await services.services()
    assert {day.isoformat(): hours for day, hours in after.hours.exceptions.items()} == {
        "2027-12-24": (time(9), time(12)),
        "2027-12-31": None,
    }
    assert after.other_help == {"fi": OTHER_HELP}
    assert after.info.meeting_type_id == chat_world.family.meeting_type_id
    again = await (await admin.get(path)).text()
    assert 'value="2027-12-24"' in again and 'value="09:00"' in again
