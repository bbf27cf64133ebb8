"""The group discussions' pages without JavaScript: the public list and a session's page in
each of its states (later, on with the rules and the nickname form, ended with the summary,
cancelled), the JSON list; the staff's list, planning form (what was typed kept, errors in the
reader's language, CSRF), changing, cancelling and the summary; the console for the host."""

from __future__ import annotations

from datetime import timedelta

from core.principal import Role
from discussions.keys import GROUP_COOKIE, group_sessions_key
from tests.conftest import create_user
from tests.discussions.conftest import ENDS, PLANNED, STARTS, TOPIC, GroupWorld
from tests.messaging.conftest import csrf_of


async def test_the_public_pages_follow_the_sessions_time(group_world: GroupWorld) -> None:
    browser = group_world.new_session()
    group_world.at(PLANNED)
    listing = await (await browser.get("/groups")).text()
    assert TOPIC in listing and "Vetäjä: Maria Virtanen. Kieli: suomi." in listing
    assert "keskiviikko 10. maaliskuuta 2027 18.00–19.30" in listing
    later = await (await browser.get(f"/groups/{group_world.session_id}")).text()
    assert "Voit liittyä 10 minuuttia ennen alkua" in later
    assert 'id="group-root"' not in later

    group_world.at(STARTS - timedelta(minutes=5))
    answer = await browser.get(f"/groups/{group_world.session_id}")
    on = await answer.text()
    assert GROUP_COOKIE in {cookie.key for cookie in browser.cookie_jar}
    assert "Keskustelun säännöt" in on and "Yksityisviestejä ei ole." in on
    assert 'id="group-root"' in on and 'id="group-nickname"' in on
    assert 'class="exit-this-page' in on
    assert "discussions/room.js" in on

    group_world.at(ENDS)
    ended = await (await browser.get(f"/groups/{group_world.session_id}")).text()
    assert "Keskustelu on päättynyt" in ended and 'id="group-root"' not in ended
    await group_world.app[group_sessions_key].publish_summary(
        group_world.maria, group_world.session_id, "Puhuimme rajoista.\nKiitos!"
    )
    summary = await (await browser.get(f"/groups/{group_world.session_id}")).text()
    assert "Puhuimme rajoista." in summary and "Keskustelun vetäjän yhteenveto" in summary
    assert TOPIC in await (await browser.get("/groups")).text()
    listed = await (await browser.get("/api/v1/groups")).json()
    assert listed["upcoming"] == [] and listed["past"][0]["summary"].startswith("Puhuimme")
    assert (await browser.get("/groups/00000000-0000-0000-0000-000000000000")).status == 404
    swedish = await (await browser.get("/language?lang=sv&next=/groups")).text()
    assert "Gruppdiskussioner" in swedish


async def test_staff_plan_a_discussion_on_a_form_that_keeps_what_was_typed(
    group_world: GroupWorld,
) -> None:
    anonymous = group_world.new_session()
    refused = await anonymous.get("/staff/groups", allow_redirects=False)
    assert refused.status == 303 and "/login" in refused.headers["Location"]

    johan = await group_world.staff("johan@example.com")
    group_world.at(PLANNED)
    form = await (await johan.get("/staff/groups/new")).text()
    assert "Maria Virtanen" in form and "Johan Lindqvist" in form
    typed = {
        "csrf_token": csrf_of(form),
        "topic": "Eron jälkeen",
        "description": "Keskustelu erovanhemmille.",
        "language": "fi",
        "host_id": group_world.family.johan,
        "moderator_ids": group_world.family.maria,
        "day": "2027-03-11",
        "starts": "17:00",
        "ends": "16:00",
        "capacity": "500",
        "premoderation": "yes",
    }
    invalid = await johan.post("/staff/groups/new", data=typed)
    assert invalid.status == 422
    page = await invalid.text()
    assert "Keskustelu kestää 15 minuutista 4 tuntiin." in page
    assert "Anna luku väliltä 2–200." in page
    assert 'value="Eron jälkeen"' in page and 'value="17:00"' in page
    assert "Keskustelu erovanhemmille." in page
    assert (await johan.post("/staff/groups/new", data=typed | {"csrf_token": "x"})).status == 403

    planned = await johan.post(
        "/staff/groups/new", data=typed | {"ends": "18:30", "capacity": "12"}
    )
    assert planned.status == 200
    made = await planned.text()
    assert "Ryhmäkeskustelu on suunniteltu." in made
    session_id = str(planned.url).rsplit("/", 1)[1].split("?")[0]
    view = await group_world.app[group_sessions_key].session(session_id)
    assert (view.capacity, view.premoderation, [m.name for m in view.moderators]) == (
        12,
        True,
        ["Maria Virtanen"],
    )

    # Changed: pre-moderation off (an unticked box sends nothing).
    change = typed | {"csrf_token": csrf_of(made), "ends": "18:30", "capacity": "12"}
    del change["premoderation"]
    saved = await johan.post(f"/staff/groups/{session_id}", data=change)
    assert "Muutokset tallennettiin." in await saved.text()
    assert not (await group_world.app[group_sessions_key].session(session_id)).premoderation
    listing = await (await johan.get("/staff/groups")).text()
    assert "Eron jälkeen" in listing and TOPIC in listing

    # Cancelled: said on its public page, and gone from the public list.
    page = await (await johan.get(f"/staff/groups/{session_id}")).text()
    cancelled = await johan.post(
        f"/staff/groups/{session_id}/cancel", data={"csrf_token": csrf_of(page)}
    )
    assert "Ryhmäkeskustelu peruttiin." in await cancelled.text()
    public = await (await anonymous.get(f"/groups/{session_id}")).text()
    assert "Tämä keskustelu peruttiin." in public
    assert "Eron jälkeen" not in await (await anonymous.get("/groups")).text()


async def test_the_host_sees_the_console_while_it_is_on_and_writes_the_summary_after(
    group_world: GroupWorld,
) -> None:
    maria = await group_world.staff("maria@example.com")
    page = await (await maria.get(f"/staff/groups/{group_world.session_id}")).text()
    assert "Keskustelun vetäjän näkymä" in page and "discussions/console.js" in page
    assert 'value="18:00"' in page  # the form shows Helsinki time

    group_world.at(ENDS + timedelta(minutes=5))
    ended = await (await maria.get(f"/staff/groups/{group_world.session_id}")).text()
    assert "console.js" not in ended and "Julkaise yhteenveto" in ended
    token = csrf_of(ended)
    empty = await maria.post(
        f"/staff/groups/{group_world.session_id}/summary",
        data={"csrf_token": token, "summary": " "},
    )
    assert empty.status == 422 and "Kirjoita yhteenveto" in await empty.text()
    done = await maria.post(
        f"/staff/groups/{group_world.session_id}/summary",
        data={"csrf_token": token, "summary": "Hyvä keskustelu."},
    )
    assert "Yhteenveto julkaistiin" in await done.text()

    sv = await group_world.staff("johan@example.com")
    await sv.get("/language?lang=sv&next=/staff/groups")
    form = await (await sv.get("/staff/groups/new")).text()
    wrong = await sv.post(
        "/staff/groups/new", data={"csrf_token": csrf_of(form), "topic": "", "language": "fi"}
    )
    assert wrong.status == 422
    assert "Ange ämnet (3–120 tecken)." in await wrong.text()


async def test_an_admin_plans_for_a_unit_of_their_choice(group_world: GroupWorld) -> None:
    await create_user(group_world.app, Role.ADMIN, "admin@example.com", name="Alma Admin")
    admin = await group_world.staff("admin@example.com")
    group_world.at(PLANNED)
    form = await (await admin.get("/staff/groups/new")).text()
    assert 'name="unit_id"' in form and "Maria Virtanen (Perhepalvelut)" in form
    typed = {
        "csrf_token": csrf_of(form),
        "topic": "Vanhemmuus",
        "language": "sv",
        "host_id": group_world.family.maria,
        "day": "2027-03-11",
        "starts": "17:00",
        "ends": "18:00",
        "capacity": "10",
    }
    refused = await admin.post("/staff/groups/new", data=typed)
    assert refused.status == 422 and "Valitse yksikkö." in await refused.text()
    made = await admin.post(
        "/staff/groups/new", data=typed | {"unit_id": group_world.family.unit_id}
    )
    assert made.status == 200 and "Vanhemmuus" in await made.text()
    assert "Vanhemmuus" in await (await admin.get("/staff/groups")).text()
