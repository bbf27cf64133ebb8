"""Finnish, Swedish and English: catalogs, language choice and locale-aware formatting.

The gettext catalogs live as .po files in web/translations and are compiled in memory
at start, so there is no build step and no binary file in the repository.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
LANGUAGE_COOKIE = "kohtaamo_lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "web" / "translations"


def load_catalogs(directory: Path = TRANSLATIONS_DIR) -> dict[str, Translations]:
    """Compile every language's messages.po into a Translations object."""
    catalogs: dict[str, Translations] = {}
    for language in SUPPORTED_LANGUAGES:
        po_path = directory / language / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[language] = Translations(buffer, domain="messages")
    return catalogs


def negotiate_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language cookie wins; then the best Accept-Language match; then the default."""
    if cookie in SUPPORTED_LANGUAGES:
        return cookie
    for tag in _accepted_tags(accept_language or ""):
        primary = tag.split("-", 1)[0]
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return default


def _accepted_tags(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def format_local_datetime(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A UTC moment as the reader sees it: their zone, their language's conventions."""
    return format_datetime(moment.astimezone(zone), format="medium", locale=Locale.parse(language))


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message
