"""Which language a piece of text is in, as far as the engines care (en or zh), and which
letters no voice asked for can read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def detect_language(text: str) -> str:
    """'zh' for text with Han characters, else 'en'. Mixed spans come with the full front end."""
    return "zh" if has_han(text) else "en"


# Scripts whose letters a voice for another language reads by their Unicode names (espeak's
# fallback: "Arabic letter meem, Arabic letter ra...") or not at all, keyed by the first word
# of a letter's name, with the language each is read in. Latin, Greek (its letters read as
# "alpha", as in formulas) and Han (routed to a Mandarin voice) are not here.
_SCRIPTS: dict[str, str] = {
    "ARABIC": "ar",
    "ARMENIAN": "hy",
    "BENGALI": "bn",
    "CYRILLIC": "ru",
    "DEVANAGARI": "hi",
    "ETHIOPIC": "am",
    "GEORGIAN": "ka",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "HANGUL": "ko",
    "HEBREW": "he",
    "HIRAGANA": "ja",
    "KANNADA": "kn",
    "KATAKANA": "ja",
    "KHMER": "km",
    "LAO": "lo",
    "MALAYALAM": "ml",
    "MYANMAR": "my",
    "ORIYA": "or",
    "SINHALA": "si",
    "SYRIAC": "syr",
    "TAMIL": "ta",
    "TELUGU": "te",
    "THAANA": "dv",
    "THAI": "th",
    "TIBETAN": "bo",
}


@dataclass(frozen=True, slots=True)
class ForeignLetters:
    script: str  # as Unicode names it, title-cased: "Arabic"
    language: str  # the language it is read in: "ar"
    sample: str  # the first run of it in the text


def foreign_letters(text: str, readable: Collection[str]) -> ForeignLetters | None:
    """The first letters in ``text`` of a script read in none of the ``readable`` languages."""
    for i, ch in enumerate(text):
        if ch < "\u0370" or not ch.isalpha():
            continue  # Latin and its accents (the bulk of any text) fast
        script = unicodedata.name(ch, "").split(" ", 1)[0]
        language = _SCRIPTS.get(script)
        if language is None or language in readable:
            continue
        end = i
        while (
            end < len(text)
            and end - i < 30
            and (text[end].isspace() or unicodedata.name(text[end], "").startswith(script))
        ):
            end += 1
        return ForeignLetters(script.title(), language, text[i:end].strip())
    return None
