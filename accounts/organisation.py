"""The organisation staff work in: the municipality and its units (teams of caseworkers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Municipality, Unit
from core.db import Sessions
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role


@dataclasses.dataclass(frozen=True, slots=True)
class UnitInfo:
    id: str
    names: dict[str, str]
    phone: str
    # Working days the unit aims to take to answer a client's message (messaging/).
    answer_days: int = 3
    # Days closed message threads are kept (None: the service's default).
    message_retention_days: int | None = None

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


class UnitSettingsListener(Protocol):
    def unit_settings_changed(
        self, session: AsyncSession, actor_id: str, unit_id: str, changes: Mapping[str, int | None]
    ) -> None:
        """Record the new values of ``unit_id``'s settings (name → value; None: the service's
        default), set by ``actor_id``, in ``session``."""


class Organisation:
    def __init__(self, sessions: Sessions, listener: UnitSettingsListener | None = None) -> None:
        self._sessions = sessions
        # Told of every change of a unit's settings, in its transaction (the access log).
        self._listener = listener

    async def ensure_municipality(self, name: str) -> str:
        async with self._sessions.begin() as session:
            existing = await session.scalar(
                select(Municipality.id).where(Municipality.name == name)
            )
            if existing:
                return existing
            municipality = Municipality(name=name)
            session.add(municipality)
            await session.flush()
            return municipality.id

    async def create_unit(
        self, actor: Viewer, municipality_id: str | None, names: dict[str, str], phone: str = ""
    ) -> UnitInfo:
        """A new unit; without a municipality id, in the service's only municipality."""
        require_role(actor, Role.ADMIN)
        fields = {
            f"name.{language}": N_("Enter a name of at most 200 characters.")
            for language in ("fi", "sv", "en")
            if not 0 < len(names.get(language, "").strip()) <= 200
        }
        if len(phone) > 40:
            fields["phone"] = N_("Enter a phone number, like 040 123 4567 or +46 70 123 45 67.")
        if fields:
            raise ValidationFailed(fields)
        async with self._sessions.begin() as session:
            if municipality_id is None:
                municipality_id = await session.scalar(
                    select(Municipality.id).order_by(Municipality.created_at).limit(1)
                )
            if municipality_id is None:
                municipality = Municipality(name="Kohtaamo")
                session.add(municipality)
                await session.flush()
                municipality_id = municipality.id
            unit = Unit(
                municipality_id=municipality_id,
                name_fi=names["fi"].strip(),
                name_sv=names["sv"].strip(),
                name_en=names["en"].strip(),
                phone=phone.strip(),
            )
            session.add(unit)
            await session.flush()
            return _info(unit)

    async def ensure_unit(
        self, municipality_id: str, *, name_fi: str, name_sv: str, name_en: str
    ) -> str:
        async with self._sessions.begin() as session:
            existing = await session.scalar(
                select(Unit.id).where(
                    Unit.municipality_id == municipality_id, Unit.name_en == name_en
                )
            )
            if existing:
                return existing
            unit = Unit(
                municipality_id=municipality_id, name_fi=name_fi, name_sv=name_sv, name_en=name_en
            )
            session.add(unit)
            await session.flush()
            return unit.id

    async def set_answer_days(self, actor: Viewer, unit_id: str, days: int) -> UnitInfo:
        require_role(actor, Role.ADMIN)
        if not 1 <= days <= 30:
            raise ValidationFailed({"answer_days": N_("Enter a number of days from 1 to 30.")})
        return await self._set(actor, unit_id, {"answer_days": days})

    async def set_message_settings(
        self, actor: Viewer, unit_id: str, answer_days: int, retention_days: int | None
    ) -> UnitInfo:
        """The unit's answer target (1–30 working days) and how long it keeps closed message
        threads (30–3650 days; None for the service's default)."""
        require_role(actor, Role.ADMIN)
        errors = {}
        if not 1 <= answer_days <= 30:
            errors["answer_days"] = N_("Enter a number of days from 1 to 30.")
        if retention_days is not None and not 30 <= retention_days <= 3650:
            errors["message_retention_days"] = N_(
                "Enter a number of days from 30 to 3650, or leave it empty for the default."
            )
        if errors:
            raise ValidationFailed(errors)
        settings = {"answer_days": answer_days, "message_retention_days": retention_days}
        return await self._set(actor, unit_id, settings)

    async def _set(
        self, actor: Viewer, unit_id: str, settings: Mapping[str, int | None]
    ) -> UnitInfo:
        """Store checked settings; those that changed go to the listener in the same
        transaction, so no change is stored unrecorded."""
        async with self._sessions.begin() as session:
            unit = await session.get(Unit, unit_id[:36])
            if unit is None:
                raise NotFound()
            changes = {
                name: value for name, value in settings.items() if getattr(unit, name) != value
            }
            for name, value in changes.items():
                setattr(unit, name, value)
            if changes and self._listener is not None:
                self._listener.unit_settings_changed(session, actor.user_id, unit.id, changes)
            return _info(unit)

    async def unit(self, unit_id: str) -> UnitInfo | None:
        async with self._sessions() as session:
            row = await session.get(Unit, unit_id)
            return _info(row) if row is not None else None

    async def units(self) -> list[UnitInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Unit).order_by(Unit.name_fi))
            return [_info(row) for row in rows]


def _info(unit: Unit) -> UnitInfo:
    names = {"fi": unit.name_fi, "sv": unit.name_sv, "en": unit.name_en}
    return UnitInfo(unit.id, names, unit.phone, unit.answer_days or 3, unit.message_retention_days)
