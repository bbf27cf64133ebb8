"""A participant's nickname: 2–30 letters, digits, spaces and a few marks; unique in its session
however it is written (case, accents, look-alike digits); never one that passes for the host, a
moderator or staff. Pure: the room asks, with the names in use and the staff's names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_LENGTH, MAX_LENGTH = 2, 30
ALLOWED_MARKS = frozenset(" -_.'")
# Look-alike digits, as in "h0st" or "m0derat0r".
LOOK_ALIKES = str.maketrans("013457@$", "oieastas")
# Words (in fi, sv and en) that would make a participant pass for the staff: a word of the
# nickname that begins with one of the stems, or is one of the words, is refused.
STAFF_STEMS = (
    "host",
    "modera",
    "admin",
    "yllapit",
    "kohtaamo",
    "sosiaalityontekij",
    "socialarbetar",
    "socialsekreterar",
)
STAFF_WORDS = frozenset({"vard", "varden", "ohjaaja", "juontaja", "staff", "official"})
WORD = re.compile(r"[a-z0-9]+")


def tidy(raw: str) -> str:
    """The nickname as shown: NFKC, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def folded(name: str) -> str:
    """How two names are compared: without case, accents or look-alike digits."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(LOOK_ALIKES)


def problem(nickname: str, in_use: Iterable[str], staff_names: Iterable[str]) -> str | None:
    """None if the (tidied) nickname may be used, else why not: ``nickname-invalid``,
    ``nickname-reserved`` (passes for staff) or ``nickname-taken``."""
    if not MIN_LENGTH <= len(nickname) <= MAX_LENGTH or not all(
        ch.isalnum() or ch in ALLOWED_MARKS for ch in nickname
    ):
        return "nickname-invalid"
    words = WORD.findall(folded(nickname))
    compact = "".join(words)
    if not compact:
        return "nickname-invalid"
    if any(
        word.startswith(STAFF_STEMS) or word in STAFF_WORDS for word in words
    ) or compact.startswith(STAFF_STEMS):
        return "nickname-reserved"
    for name in staff_names:
        name_words = [word for word in WORD.findall(folded(name)) if len(word) >= 3]
        if name_words and (
            any(word in name_words for word in words) or "".join(name_words) in compact
        ):
            return "nickname-reserved"
    if any(folded_compact(other) == compact for other in in_use):
        return "nickname-taken"
    return None


def folded_compact(name: str) -> str:
    return "".join(WORD.findall(folded(name)))
