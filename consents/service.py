"""Consents: what an identified client agrees to share with whom, given and withdrawn on their
own pages, and respected where staff would use them.

One kind of consent today (``KINDS``): showing the client's questionnaire results to another
unit of the service (for example the school health nurse's unit). A worker of that unit sees
the results only while the consent holds: every read checks it again, so a withdrawn consent
stops the next read at once, and the read is in the access log. The client's log of consents
(each with the exact words they agreed to) is kept whole and can be downloaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from accounts.organisation import UnitInfo
from accounts.service import AccountService
from assessments.service import AssessmentService, ResultView
from booking.service import BookingService
from consents.models import ConsentRecord
from core.db import Sessions, utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.principal import IdentifiedClient, Role, Viewer, require_role

RESULTS_TO_UNIT = "assessment_results"
# The words a client agrees to, by language; {unit} is the recipient unit's name.
KINDS = {
    RESULTS_TO_UNIT: {
        "fi": "Annan suostumukseni siihen, että kyselyjen tulokseni näytetään yksikölle {unit}. "
        "Voin perua suostumuksen milloin tahansa omilla sivuillani.",
        "sv": "Jag samtycker till att mina enkätresultat visas för enheten {unit}. Jag kan "
        "återkalla samtycket när som helst på mina egna sidor.",
        "en": "I agree that my questionnaire results are shown to the unit {unit}. I can "
        "withdraw this consent at any time on my own pages.",
    }
}
STAFF_ROLES = (Role.CASEWORKER, Role.INTAKE)


class ConsentMissing(Forbidden):
    title = N_("The client has not consented to this, or has withdrawn the consent.")


@dataclasses.dataclass(frozen=True, slots=True)
class ConsentView:
    id: str
    kind: str
    unit: UnitInfo
    text: str
    language: str
    given_at: datetime
    withdrawn_at: datetime | None
    person_name: str

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ConsentService:
    def __init__(
        self,
        sessions: Sessions,
        accounts: AccountService,
        bookings: BookingService,
        assessments: AssessmentService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._accounts = accounts
        self._bookings = bookings
        self._assessments = assessments
        self._clock = clock

    # ---- the client ---------------------------------------------------------------------------

    async def of_person(self, person: IdentifiedClient) -> list[ConsentView]:
        """Every consent the person has given, newest first, withdrawn ones included."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(ConsentRecord)
                    .where(ConsentRecord.person_hash == person.identity_hash)
                    .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id)
                )
            ).all()
        return await self._views(rows)

    async def give(self, person: IdentifiedClient, kind: str, unit_id: str, language: str) -> str:
        if kind not in KINDS:
            raise ValidationFailed({"kind": N_("Choose what you agree to.")})
        units = {unit.id: unit for unit in await self._accounts.organisation.units()}
        unit = units.get(unit_id)
        if unit is None:
            raise ValidationFailed({"unit_id": N_("Choose the unit.")})
        language = language if language in ("fi", "sv", "en") else "fi"
        async with self._sessions.begin() as session:
            held = await session.scalar(
                select(ConsentRecord.id).where(
                    ConsentRecord.person_hash == person.identity_hash,
                    ConsentRecord.kind == kind,
                    ConsentRecord.recipient_unit_id == unit_id,
                    ConsentRecord.withdrawn_at.is_(None),
                )
            )
            if held is not None:
                return held  # given already: the same consent twice is one consent
            record = ConsentRecord(
                person_hash=person.identity_hash,
                person_name=person.name,
                kind=kind,
                recipient_unit_id=unit_id,
                text=consent_text(kind, unit, language),
                language=language,
                given_at=self._clock(),
            )
            session.add(record)
            await session.flush()
            return record.id

    async def withdraw(self, person: IdentifiedClient, consent_id: str) -> None:
        async with self._sessions.begin() as session:
            changed = await session.execute(
                update(ConsentRecord)
                .where(
                    ConsentRecord.id == consent_id[:36],
                    ConsentRecord.person_hash == person.identity_hash,
                    ConsentRecord.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=self._clock())
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFound()

    async def for_access_request(self, viewer: Viewer, identity_hash: str) -> list[dict[str, Any]]:
        """The person's consent log, for an admin answering their access request."""
        require_role(viewer, Role.ADMIN)
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(ConsentRecord)
                    .where(ConsentRecord.person_hash == identity_hash)
                    .order_by(ConsentRecord.given_at)
                )
            ).all()
        return [consent_json(view) for view in await self._views(rows)]

    # ---- the recipient unit -------------------------------------------------------------------

    async def shared_with_unit(self, viewer: Viewer) -> list[ConsentView]:
        """The consents in force that show results to the viewer's unit."""
        unit_id = await self._unit_of(viewer)
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(ConsentRecord)
                    .where(
                        ConsentRecord.recipient_unit_id == unit_id,
                        ConsentRecord.withdrawn_at.is_(None),
                    )
                    .order_by(ConsentRecord.given_at.desc())
                )
            ).all()
        return await self._views(rows)

    async def results_under_consent(
        self, viewer: Viewer, consent_id: str
    ) -> tuple[ConsentView, list[ResultView]]:
        """The client's questionnaire results, while the consent to the viewer's unit holds."""
        unit_id = await self._unit_of(viewer)
        async with self._sessions() as session:
            row = await session.get(ConsentRecord, consent_id[:36])
        if row is None or row.recipient_unit_id != unit_id or row.kind != RESULTS_TO_UNIT:
            raise NotFound()
        if row.withdrawn_at is not None:
            raise ConsentMissing()
        own = await self._bookings.own_bookings(row.person_hash)
        results = await self._assessments.results_shared_by_consent(
            viewer, [item.booking.id for item in own], f"consent {row.id}"
        )
        [view] = await self._views([row])
        return view, results

    # ---- parts --------------------------------------------------------------------------------

    async def _unit_of(self, viewer: Viewer) -> str:
        return await self._accounts.unit_of(viewer, *STAFF_ROLES)

    async def _views(self, rows: Sequence[ConsentRecord]) -> list[ConsentView]:
        units = {unit.id: unit for unit in await self._accounts.organisation.units()}
        return [
            ConsentView(
                id=row.id,
                kind=row.kind,
                unit=units[row.recipient_unit_id],
                text=row.text,
                language=row.language,
                given_at=row.given_at,
                withdrawn_at=row.withdrawn_at,
                person_name=row.person_name,
            )
            for row in rows
        ]


def consent_text(kind: str, unit: UnitInfo, language: str) -> str:
    return KINDS[kind][language].format(unit=unit.name_in(language))


def consent_json(consent: ConsentView) -> dict[str, Any]:
    """One consent as its log downloads it."""
    return {
        "consent": consent.kind,
        "unit": consent.unit.names,
        "text": consent.text,
        "language": consent.language,
        "given_at": consent.given_at.isoformat(),
        "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
    }
