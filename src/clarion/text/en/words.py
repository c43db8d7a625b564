"""Number words every other module reads with, and the helpers the passes share.

Cardinals, ordinals, decimals, years and digits read in pairs or one by one (through
``num2words``, American style without "and"); the number patterns that money and measures
start from; ``_pad``, which keeps a replacement off the letters around it; and the checks for
a sentence's end and an article before a match. This module imports nothing from its siblings:
it is the bottom of the package.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from num2words import num2words

from clarion.text.split import TIME_ZONE

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# --------------------------------------------------------------------------- number words


def _clean(words: str) -> str:
    # num2words' English is British style ("one hundred and three", commas between groups).
    return words.replace(",", "").replace(" and ", " ")


def _digits(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


@lru_cache(maxsize=4096)
def _cardinal(s: str) -> str:
    """Cardinal words for an ASCII digit string (commas allowed)."""
    s = s.replace(",", "")
    if len(s) > 15 or (len(s) > 1 and s[0] == "0"):
        return _digits(s)
    return _clean(num2words(int(s), lang="en"))


@lru_cache(maxsize=1024)
def _ordinal(s: str) -> str:
    s = s.replace(",", "")
    if len(s) > 15:
        return _digits(s)
    return _clean(num2words(int(s), lang="en", to="ordinal"))


def _decimal(int_part: str, frac: str) -> str:
    head = f"{_cardinal(int_part)} " if int_part else ""  # ".5" is read "point five"
    return f"{head}point {_digits(frac)}"


def _number(int_part: str, frac: str | None) -> str:
    return _decimal(int_part, frac) if frac else _cardinal(int_part)


@lru_cache(maxsize=1024)
def _year(n: int) -> str:
    if not 1000 <= n <= 2099 or n == 2000 or 2001 <= n <= 2009:
        return _cardinal(str(n))
    return _clean(num2words(n, lang="en", to="year")).replace("oh-", "oh ")


def _oh_digits(s: str) -> str:
    """Two digits as a short year, a clock's minutes or seconds say them: 05 -> oh five, 27."""
    return f"oh {_ONES[int(s[1])]}" if s[0] == "0" else _cardinal(s)


def _pairs(s: str) -> str:
    """Digits read in pairs, as people say model, house and flight numbers: 737 -> seven
    thirty-seven, 4090 -> forty ninety, 1600 -> sixteen hundred, 2005 -> two thousand five."""
    if len(s) <= 2 or s[0] == "0":
        return _cardinal(s)
    if len(s) == 3:
        if s[1:] == "00":
            return _cardinal(s)
        tail = f"oh {_ONES[int(s[2])]}" if s[1] == "0" else _cardinal(s[1:])
        return f"{_ONES[int(s[0])]} {tail}"
    if len(s) == 4:
        n = int(s)
        if n % 1000 < 10:
            return _cardinal(s)
        if n % 100 == 0:
            return f"{_cardinal(s[:2])} hundred"
        tail = f"oh {_ONES[int(s[3])]}" if s[2] == "0" else _cardinal(s[2:])
        return f"{_cardinal(s[:2])} {tail}"
    if len(s) == 5:
        return f"{_cardinal(s[:2])} {_pairs(s[2:])}"
    return _digits(s)


def _pad(m: re.Match[str], out: str, start: int | None = None, end: int | None = None) -> str:
    """Add a space where the replacement would otherwise glue onto a letter or digit."""
    s = m.string
    a = m.start() if start is None else start
    b = m.end() if end is None else end
    if a > 0 and s[a - 1].isalnum():
        out = " " + out
    if b < len(s) and s[b].isalnum():
        out = out + " "
    return out


# --------------------------------------------------------------------------- pass machinery

_Repl = Callable[[re.Match[str]], str]


# Sentence punctuation that an abbreviation/acronym swallowed is given back when the
# abbreviation evidently ended the sentence (end of text or a capitalised word follows).
# A time zone after a time ("5 p.m. ET", "14:00 UTC"): a full stop before one ends no sentence.
_ZONE = TIME_ZONE
_TIME_ZONE_NEXT = re.compile(r"\s+" + _ZONE)


def _ends_sentence(m: re.Match[str]) -> bool:
    rest = m.string[m.end() : m.end() + 3]
    if _TIME_ZONE_NEXT.match(m.string, m.end()):  # "3:30 p.m. CT in Rm. 210"
        return False
    return rest == "" or re.match(r"\s+[A-Z]", rest) is not None


def _kept_stop(m: re.Match[str], written: str | None) -> str:
    """The full stop that ``written`` (the abbreviation as matched) swallowed, given back when it
    also ended the sentence: "." or ""."""
    return "." if written and written.endswith(".") and _ends_sentence(m) else ""


_NUM = r"(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)(?:\.(?P<f>[0-9]++))?"
# ".5 kg": a measure may start at the point.
_NUM_OR_POINT = r"(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++|(?=\.[0-9]))(?:\.(?P<f>[0-9]++))?"


_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:a|an|A|An)\s$")


def _after_article(m: re.Match[str]) -> bool:
    """ "a"/"an" just before the match: what follows is adjectival ("a 5 km run", "a 1/2 cup")."""
    return _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
