"""The client's questionnaires on their own pages: what they answered at each meeting with
either unit, the scores over time as a chart and a table, and the answers themselves; nobody
else's, and a corrected result only in its newest version."""

from __future__ import annotations

from typing import Any

from assessments.keys import assessment_service_key
from booking.client_times import start_value
from core.principal import Role, Viewer
from tests.messaging.conftest import MessagesWorld, smtp, world

__all__ = ["smtp", "world"]
WHO5 = ("cheerful", "calm", "active", "rested", "interest")


def who5(points: str) -> dict[str, Any]:
    return dict.fromkeys(WHO5, points)


async def test_the_client_sees_their_answers_and_results_over_time(world: MessagesWorld) -> None:
    service = world.client.app[assessment_service_key]
    maria = Viewer(world.family.maria, "Maria Virtanen", "", Role.CASEWORKER, "")
    sanna = Viewer(world.sanna, "Sanna K", "", Role.CASEWORKER, "")
    first = await service.submit_on_behalf(maria, world.bookings["family"], "who-5", who5("some"))
    await service.correct(maria, first.id, who5("less_than_half"), "Kirjattu väärin")
    await service.submit_on_behalf(sanna, world.bookings["adult"], "who-5", who5("most"))
    johan = Viewer(world.family.johan, "Johan", "", Role.CASEWORKER, "")
    await service.submit_on_behalf(johan, world.bookings["erkki"], "who-5", who5("all"))

    await world.identify("aino")
    page = await (await world.client.get("/my/assessments")).text()
    assert "WHO-5-hyvinvointi-indeksi" in page
    assert "<svg" in page and 'role="img"' in page
    # 2 points × 5 = 10 (40 %), then 4 × 5 = 20 (80 %); the first answer, corrected, is gone.
    assert "10 (40 %)" in page and "20 (80 %)" in page and "5 (20 %)" not in page
    assert "Alle puolet ajasta" in page and "Suurimman osan aikaa" in page
    assert "Koko ajan" not in page  # Erkki's answers
    home = await (await world.client.get("/my")).text()
    assert "/my/assessments" in home

    mine = await (await world.client.get("/api/v1/my/assessments")).json()
    [questionnaire] = mine["questionnaires"]
    assert questionnaire["template_id"] == "who-5"
    assert [r["score"]["total"] for r in questionnaire["results"]] == [10, 20]
    assert [r["booking_id"] for r in questionnaire["results"]] == [
        world.bookings["family"],
        world.bookings["adult"],
    ]

    await world.identify("erkki")
    theirs = await (await world.client.get("/api/v1/my/assessments")).json()
    assert [r["score"]["total"] for r in theirs["questionnaires"][0]["results"]] == [25]


async def test_only_the_identified_see_questionnaires(world: MessagesWorld) -> None:
    world.client.session.cookie_jar.clear()
    page = await world.client.get("/my/assessments", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/identify")
    assert (await world.client.get("/api/v1/my/assessments")).status == 401


async def test_an_identified_client_books_with_their_details_filled_in(
    world: MessagesWorld,
) -> None:
    params = {
        "caseworker_id": world.family.maria,
        "meeting_type_id": world.family.meeting_type_id,
        "start": start_value(world.family.tomorrow_at(15)),
    }
    anonymous = await (await world.client.get("/book/details", params=params)).text()
    assert "Aino Asiakas" not in anonymous

    await world.identify("aino")
    page = await (await world.client.get("/book/details", params=params)).text()
    assert 'value="Aino Asiakas"' in page
    # The contact details of the latest booking (the adult unit's, at 11).
    assert 'value="asiakas11@example.com"' in page
    assert "Täytetty tunnistautumisesi ja viimeisimmän varauksesi tiedoilla" in page
