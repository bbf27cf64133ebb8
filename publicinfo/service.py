"""The service information pages: what each says in a language, the admin's edits.

Authorization is checked here: only an admin saves a page. Reading is public.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime

from babel.support import Translations
from sqlalchemy import delete, select

from core.db import Sessions, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.principal import Role, Viewer, require_role
from core.settings import Settings
from publicinfo.models import ServicePage
from publicinfo.texts import CONFORMANCE, VALUE_FIELDS, PageKind, default_fields, kind_of

MAX_FIELD = 5000


@dataclasses.dataclass(frozen=True, slots=True)
class PageText:
    kind: PageKind
    language: str
    # Each field's text in the page's language: the admin's, or the default.
    fields: dict[str, str]
    updated_at: datetime | None  # None: the defaults, never edited in this language

    def paragraphs(self, field: str) -> list[str]:
        """The field's paragraphs (plain text; a blank line between paragraphs)."""
        text = self.fields.get(field, "").replace("\r\n", "\n")
        return [part.strip() for part in text.split("\n\n") if part.strip()]


class ServiceInformation:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        catalogs: dict[str, Translations],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._catalogs = catalogs
        self._clock = clock

    def defaults(self, page: str, language: str) -> dict[str, str]:
        kind = _kind(page, language)
        translations = self._catalogs[language]
        found = {}
        for field, parts in default_fields(kind.page, self._settings).items():
            if field in VALUE_FIELDS:
                found[field] = parts[0][0]
            else:
                found[field] = "\n\n".join(
                    translations.gettext(text) % variables for text, variables in parts
                )
        return found

    async def page(self, page: str, language: str) -> PageText:
        kind = _kind(page, language)
        async with self._sessions() as session:
            row = await session.get(ServicePage, (page, language))
        fields = self.defaults(page, language)
        if row is None:
            return PageText(kind, language, fields, None)
        saved = json.loads(row.fields)
        fields.update({name: str(saved[name]) for name in kind.fields if name in saved})
        return PageText(kind, language, fields, row.updated_at)

    async def edited(self) -> dict[tuple[str, str], datetime]:
        """When each page was last saved in each language."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ServicePage.page, ServicePage.language, ServicePage.updated_at)
                )
            ).all()
        return {(page, language): updated_at for page, language, updated_at in rows}

    async def save(
        self, viewer: Viewer, page: str, language: str, values: Mapping[str, str]
    ) -> None:
        require_role(viewer, Role.ADMIN)
        kind = _kind(page, language)
        fields, errors = {}, {}
        for name in kind.fields:
            value = values.get(name, "").strip()
            if name == "status":
                if value not in CONFORMANCE:
                    errors[name] = N_("Choose the conformance status.")
            elif name == "reviewed":
                try:
                    reviewed = date.fromisoformat(value)
                except ValueError:
                    errors[name] = N_("Enter the date as year-month-day, like 2026-12-31.")
                else:
                    if reviewed > self._clock().date():
                        errors[name] = N_("The date cannot be in the future.")
            elif not value:
                errors[name] = N_("Write something here, or restore the default text.")
            elif len(value) > MAX_FIELD:
                errors[name] = N_("Shorten this to 5,000 characters or fewer.")
            fields[name] = value
        if errors:
            raise ValidationFailed(errors)
        async with self._sessions.begin() as session:
            row = await session.get(ServicePage, (page, language))
            if row is None:
                row = ServicePage(page=page, language=language)
                session.add(row)
            row.fields = json.dumps(fields, ensure_ascii=False)
            row.updated_at = self._clock()
            row.updated_by = viewer.user_id

    async def restore_defaults(self, viewer: Viewer, page: str, language: str) -> None:
        require_role(viewer, Role.ADMIN)
        _kind(page, language)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ServicePage).where(
                    ServicePage.page == page, ServicePage.language == language
                )
            )


def _kind(page: str, language: str) -> PageKind:
    kind = kind_of(page)
    if kind is None or language not in SUPPORTED_LANGUAGES:
        raise NotFound()
    return kind
