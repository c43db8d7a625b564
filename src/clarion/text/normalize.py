"""Minimal normalisation applied to every request before splitting.

Only what is safe for every engine: control characters removed and whitespace runs
collapsed, so splitting and logging see clean text. Number reading, units and the
lexicon belong to the full front end."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(
        ch if ch in "\n\t" or not unicodedata.category(ch).startswith("C") else " " for ch in text
    )
    cleaned = _SPACES.sub(" ", cleaned)
    cleaned = _BLANK_LINES.sub("\n\n", cleaned)
    return cleaned.strip()
