"""Every message the code and templates use is translated into Finnish and Swedish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import SUPPORTED_LANGUAGES, TRANSLATIONS_DIR

REPOSITORY = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted_messages() -> set[str]:
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    messages: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPOSITORY),
        method_map,
        options,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
        directory_filter=lambda path: (
            not any(
                part in Path(path).parts
                for part in (".venv", "tests", "bench", "node_modules", "var")
            )
        ),
    ):
        if isinstance(message, tuple):
            messages.update(message)
        else:
            messages.add(message)
    return messages


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = extracted_messages()
    assert len(found) > 50, "extraction found suspiciously few messages"
    return found


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_has_a_translation(language: str, messages: set[str]) -> None:
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    translated = {message.id: message.string for message in catalog if message.id}
    missing = sorted(message for message in messages if not translated.get(message))
    assert missing == [], f"untranslated in {language}: {missing}"
    for message_id, text in translated.items():
        assert sorted(PLACEHOLDER.findall(message_id)) == sorted(PLACEHOLDER.findall(str(text))), (
            message_id
        )


def test_finnish_and_swedish_are_not_english_copies(messages: set[str]) -> None:
    for language in ("fi", "sv"):
        with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        same = [
            m.id
            for m in catalog
            if m.id and m.id == m.string and m.id not in {"Kohtaamo", "Status"}
        ]
        assert same == [], f"{language} entries identical to English: {same}"


def test_catalogs_hold_no_messages_the_code_no_longer_uses(messages: set[str]) -> None:
    for language in SUPPORTED_LANGUAGES:
        with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        stale = sorted(
            message.id for message in catalog if message.id and message.id not in messages
        )
        assert stale == [], f"{language} has unused entries (run make messages): {stale}"
