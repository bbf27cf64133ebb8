"""An identified client gives a consent to show their questionnaire results to another unit,
a worker of that unit reads them, the client withdraws it and the next read is refused; the
consent log keeps both, with the words agreed to; the client sees the read."""

from __future__ import annotations

from typing import Any

from assessments.keys import assessment_service_key
from tests.messaging.conftest import MessagesWorld, csrf_of, smtp, world

__all__ = ["smtp", "world"]
WHO5 = {
    "cheerful": "most",
    "calm": "most",
    "active": "more_than_half",
    "rested": "some",
    "interest": "never",
}


async def give(world: MessagesWorld, unit_id: str) -> Any:
    page = await (await world.client.get("/my/consents")).text()
    return await world.client.post(
        "/my/consents", data={"csrf_token": csrf_of(page), "unit_id": unit_id}
    )


async def test_a_consent_is_given_used_withdrawn_and_logged(world: MessagesWorld) -> None:
    await world.client.app[assessment_service_key].record(
        world.bookings["family"], "who-5", dict(WHO5)
    )
    await world.identify("aino")
    given = await give(world, world.adult_unit_id)
    assert given.status == 200
    page = await given.text()
    assert "Suostumuksesi tallennettiin." in page
    assert "kyselyjen tulokseni näytetään yksikölle Aikuissosiaalityö" in page

    async with world.staff("sanna@example.com") as sanna:
        listed = await (await sanna.get("/api/v1/consents")).json()
        [consent] = listed["consents"]
        assert consent["person_name"] == "Aino Asiakas"
        shared = await (await sanna.get(f"/api/v1/consents/{consent['id']}/results")).json()
        assert [r["template_id"] for r in shared["results"]] == ["who-5"]
        assert "who-5" in await (await sanna.get(f"/staff/consents/{consent['id']}")).text()
    async with world.staff("maria@example.com") as maria:  # another unit: not named
        assert (await maria.get(f"/api/v1/consents/{consent['id']}/results")).status == 404
        assert (await (await maria.get("/api/v1/consents")).json())["consents"] == []

    reads = (await (await world.client.get("/api/v1/my/access-log")).json())["reads"]
    assert "Näki kyselyjesi tulokset suostumuksellasi" in [r["what"] for r in reads]

    my_page = await (await world.client.get("/my/consents")).text()
    withdrawn = await world.client.post(
        f"/my/consents/{consent['id']}/withdraw", data={"csrf_token": csrf_of(my_page)}
    )
    assert withdrawn.status == 200
    assert "Suostumuksesi peruttiin." in await withdrawn.text()
    async with world.staff("sanna@example.com") as sanna:
        refused = await sanna.get(f"/api/v1/consents/{consent['id']}/results")
        assert refused.status == 403
        assert "perunut suostumuksen" in (await refused.json())["detail"]
        page_refused = await sanna.get(f"/staff/consents/{consent['id']}")
        assert page_refused.status == 403
        assert (await (await sanna.get("/api/v1/consents")).json())["consents"] == []

    log = await world.client.get("/my/consents.json")
    assert log.headers["Content-Disposition"].startswith("attachment")
    [entry] = (await log.json())["consents"]
    assert entry["withdrawn_at"] is not None and entry["language"] == "fi"
    assert entry["text"].startswith("Annan suostumukseni")


async def test_bad_input_and_other_people(world: MessagesWorld) -> None:
    await world.identify("aino")
    nothing = await give(world, "")
    assert nothing.status == 422
    assert "Valitse yksikkö." in await nothing.text()
    api = await world.client.post(
        "/api/v1/my/consents", json={"kind": "everything", "unit_id": world.adult_unit_id}
    )
    assert api.status == 422
    made = await world.client.post(
        "/api/v1/my/consents", json={"kind": "assessment_results", "unit_id": world.adult_unit_id}
    )
    consent_id = (await made.json())["id"]
    again = await world.client.post(
        "/api/v1/my/consents", json={"kind": "assessment_results", "unit_id": world.adult_unit_id}
    )
    assert (await again.json())["id"] == consent_id  # one consent, not two
    await world.identify("erkki")
    assert (await (await world.client.get("/api/v1/my/consents")).json())["consents"] == []
    stolen = await world.client.post(f"/api/v1/my/consents/{consent_id}/withdraw")
    assert stolen.status == 404
    world.client.session.cookie_jar.clear()
    assert (await world.client.get("/api/v1/my/consents")).status == 401
    await world.identify("aino")
    [still] = (await (await world.client.get("/api/v1/my/consents")).json())["consents"]
    assert still["active"] is True
