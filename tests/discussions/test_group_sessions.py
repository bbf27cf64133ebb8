"""Planning group discussions: what is checked (with the field it concerns and a message to
translate), who may plan, change and cancel them (their unit's staff, and admins), the public
listing, the summary after the end, times kept in UTC and shown in the service's zone, and the
access log of each staff action."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.keys import account_service_key
from audit.models import AccessLogEntry
from core.app_keys import sessions_key
from core.errors import Conflict, NotFound, ValidationFailed
from core.principal import Role
from discussions.keys import group_sessions_key
from discussions.models import GroupSession
from discussions.service import SessionFields
from tests.booking.conftest import accounts_set_unit
from tests.conftest import create_user
from tests.discussions.conftest import (
    ENDS,
    JUST_BEFORE,
    PLANNED,
    STARTS,
    GroupWorld,
    as_viewer,
    fields,
)


async def test_bad_plans_name_each_field_and_save_nothing(group_world: GroupWorld) -> None:
    service = group_world.app[group_sessions_key]
    group_world.at(PLANNED)
    outsider = await create_user(group_world.app, Role.CASEWORKER, "olli@example.com")
    cases = {
        "topic": fields(topic="  x "),
        "description": fields(description="x" * 2001),
        "language": fields(language="de"),
        "host_id": fields(host_id=outsider),
        "moderator_ids": fields(moderator_ids=(outsider,)),
        "day": fields(day="10.3.2027"),
        "starts": fields(starts="25:00"),
        "ends": fields(ends="18:05"),
        "capacity": fields(capacity="1"),
    }
    for field, wrong in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            await service.create(group_world.maria, _hosted(wrong, group_world))
        assert field in refused.value.fields, field
    with pytest.raises(ValidationFailed) as too_long:
        await service.create(group_world.maria, _hosted(fields(ends="23:00"), group_world))
    assert too_long.value.fields == {"ends": "The discussion lasts from 15 minutes to 4 hours."}
    group_world.at(STARTS + timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as past:
        await service.create(group_world.maria, _hosted(fields(), group_world))
    assert past.value.fields == {"starts": "The start time must be in the future."}
    # 03.30 on the last Sunday of March does not exist in Helsinki: the clocks skip it.
    group_world.at(PLANNED)
    skipped = fields(day="2027-03-28", starts="03:30", ends="05:00")
    with pytest.raises(ValidationFailed) as gap:
        await service.create(group_world.maria, _hosted(skipped, group_world))
    assert set(gap.value.fields) == {"starts"}
    async with group_world.app[sessions_key]() as session:
        assert len((await session.scalars(select(GroupSession))).all()) == 1  # the world's own


async def test_times_are_kept_in_utc_and_shown_in_the_zone(group_world: GroupWorld) -> None:
    service = group_world.app[group_sessions_key]
    view = await service.session(group_world.session_id)
    assert (view.starts_at, view.ends_at) == (STARTS, ENDS)
    assert view.starts_at.tzinfo is not None
    local = service.local_fields(view)
    assert (local["day"], local["starts"], local["ends"]) == ("2027-03-10", "18:00", "19:30")
    # In summer Helsinki is three hours ahead of UTC.
    group_world.at(PLANNED)
    summer = await group_world.plan(day="2027-06-09", starts="18:00", ends="19:00")
    assert (await service.session(summer)).starts_at == datetime(2027, 6, 9, 15, 0, tzinfo=UTC)


async def test_only_the_units_staff_and_admins_manage_its_discussions(
    group_world: GroupWorld,
) -> None:
    service = group_world.app[group_sessions_key]
    accounts = group_world.app[account_service_key]
    other_unit = await accounts.organisation.ensure_unit(
        await accounts.organisation.ensure_municipality("Testikunta"),
        name_fi="Aikuiset",
        name_sv="Vuxna",
        name_en="Adults",
    )
    sanna_id = await create_user(group_world.app, Role.CASEWORKER, "sanna@example.com")
    await accounts_set_unit(group_world.client, sanna_id, other_unit)
    sanna = as_viewer(sanna_id, "Sanna Korhonen")
    with pytest.raises(NotFound):
        await service.for_staff_one(sanna, group_world.session_id)
    with pytest.raises(NotFound):
        await service.cancel(sanna, group_world.session_id)
    assert await service.for_staff(sanna) == []
    # Her own unit's staff only, as host.
    group_world.at(PLANNED)
    with pytest.raises(ValidationFailed) as refused:
        await service.create(sanna, fields(host_id=group_world.family.maria))
    assert set(refused.value.fields) == {"host_id"}

    # An intake worker of the unit plans one; an admin plans one for a unit of their choice.
    intake_id = await create_user(group_world.app, Role.INTAKE, "ilkka@example.com")
    await accounts_set_unit(group_world.client, intake_id, group_world.family.unit_id)
    intake = as_viewer(intake_id, "Ilkka Intake", Role.INTAKE)
    made = await service.create(intake, fields(host_id=intake_id))
    assert made.unit_id == group_world.family.unit_id
    admin = as_viewer(
        await create_user(group_world.app, Role.ADMIN, "a@example.com"), "A A", Role.ADMIN
    )
    with pytest.raises(ValidationFailed) as no_unit:
        await service.create(admin, fields(host_id=sanna_id))
    assert set(no_unit.value.fields) == {"unit_id"}
    for_adults = await service.create(admin, fields(host_id=sanna_id, unit_id=other_unit))
    assert for_adults.unit_id == other_unit
    assert len(await service.for_staff(admin)) == 3
    assert {v.id for v in await service.for_staff(intake)} == {group_world.session_id, made.id}


async def test_the_public_list_and_the_summary_after_the_end(group_world: GroupWorld) -> None:
    service = group_world.app[group_sessions_key]
    maria = group_world.maria
    cancelled = await group_world.plan(topic="Peruttu keskustelu")
    await service.cancel(maria, cancelled)
    later = await group_world.plan(day="2027-03-17")
    assert [v.id for v in await service.upcoming()] == [group_world.session_id, later]
    assert (await service.session(cancelled)).state(JUST_BEFORE) == "cancelled"

    with pytest.raises(ValidationFailed) as too_early:
        await service.publish_summary(maria, group_world.session_id, "Kiitos kaikille.")
    assert set(too_early.value.fields) == {"summary"}
    group_world.at(ENDS)
    assert [v.id for v in await service.upcoming()] == [later]
    assert await service.past_with_summary() == []
    with pytest.raises(ValidationFailed):
        await service.publish_summary(maria, group_world.session_id, "   ")
    with pytest.raises(Conflict):
        await service.publish_summary(maria, cancelled, "Ei pidetty.")
    with pytest.raises(Conflict):
        await service.change(maria, group_world.session_id, fields(host_id=maria.user_id))
    published = await service.publish_summary(maria, group_world.session_id, "Kiitos kaikille.")
    assert published.summary_published_at == ENDS
    assert [v.summary for v in await service.past_with_summary()] == ["Kiitos kaikille."]

    async with group_world.app[sessions_key]() as session:
        entries = (
            await session.execute(
                select(AccessLogEntry.action, AccessLogEntry.user_id, AccessLogEntry.subject_type)
            )
        ).all()
    actions = {(action, user) for action, user, kind in entries if kind == "group_session"}
    assert {("group.create", maria.user_id), ("group.cancel", maria.user_id)} <= actions
    assert ("group.summary", maria.user_id) in actions


async def test_a_change_keeps_a_start_that_has_passed(group_world: GroupWorld) -> None:
    """A session going on may still be changed (say, pre-moderation turned off), its start
    left as it was; a new start must be in the future."""
    service = group_world.app[group_sessions_key]
    group_world.at(STARTS + timedelta(minutes=10))
    base = {"host_id": group_world.family.maria, "moderator_ids": (group_world.family.johan,)}
    changed = await service.change(
        group_world.maria, group_world.session_id, fields(**base, premoderation=False)
    )
    assert changed.premoderation is False and changed.starts_at == STARTS
    with pytest.raises(ValidationFailed) as moved:
        await service.change(
            group_world.maria, group_world.session_id, fields(**base, starts="17:45")
        )
    assert set(moved.value.fields) == {"starts"}


def _hosted(wanted: SessionFields, world: GroupWorld) -> SessionFields:
    """The fields with Maria as the host, unless the case is about the host."""
    return wanted if wanted.host_id else dataclasses.replace(wanted, host_id=world.family.maria)
