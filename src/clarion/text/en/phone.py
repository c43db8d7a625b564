"""Phone numbers, read digit by digit in their groups with commas between groups: North American
numbers with or without a country code, international numbers after a "+", bare seven-digit
numbers after a cue word or in the fictional 555 exchange, emergency numbers, and extensions.
The toll-free 800 is "eight hundred" ("one eight hundred, two seven three, ..."), and a toll-free
number spelt in letters is read as its words ("1-800-FLOWERS": "one eight hundred flowers").
"""

from __future__ import annotations

import re

from clarion.text.en.words import _ONES, _digits, _pad
from clarion.text.types import Rule

_PHONE = re.compile(
    r"(?<![\w+(.-])(?:(?P<cc>\+?1)(?P<ccsep>[-. ]))?"
    r"(?:\((?P<a1>[0-9]{3})\)[\s-]?|(?P<a2>[0-9]{3})(?P<sep>[-.]))"
    r"(?P<b>[0-9]{3})(?(sep)(?P=sep)|[-.])(?P<c>[0-9]{4})(?:-(?P<x>[0-9]{1,5}))?(?![\w-]|[.,][0-9])"
)
# International form: "+44 20 7946 0958", "+1 415 555 0100" (7-15 digits in all).
_PHONE_INTL = re.compile(r"(?<![\w+])\+[0-9]{1,3}+(?:[ .-]\(?[0-9]{1,6}+\)?){2,5}+(?![\w-]|[.,][0-9])")
# A bare 7-digit local number only after a word that says it is one: "call 555-0199".
_PHONE_LOCAL = re.compile(
    r"(?P<cue>\b(?i:call|phone|tel|telephone|fax|text|dial|cell|mobile|hotline)\b[.:]?\s++"
    r"(?:(?:us|me|them|him|her)\s++)?(?:(?:at|on)\s++)?)(?P<a>[0-9]{3})-(?P<b>[0-9]{4})(?![\w-]|[.,][0-9])"
)
# "555-0100" without a cue: no range runs down to a number written with a leading zero, and
# 555 is the exchange of fictional numbers.
_PHONE_SEVEN = re.compile(
    r"(?<![\w.,$#/:+-])(?P<a>[2-9][0-9]{2})-(?P<b>[0-9]{4})(?![\w-]|[.,][0-9])(?<=[0-9]{3}-0[0-9]{3}|555-[0-9]{4})"
)
# "dial 911", "a 911 call": emergency numbers are read digit by digit.
_EMERGENCY = re.compile(
    r"(?P<cue>\b(?i:call|dial|text|called|dialed|dialled|calling|dialing|texted)\s++)(?P<a>911|999|112)"
    r"(?![\w]|[.,][0-9])"
    r"|(?<![\w.,/$])(?P<c>911)(?=\s(?:call|calls|caller|callers|dispatcher|dispatchers|operator|operators|center)(?![\w]))"
)
_PHONE_EXT = re.compile(r"(?<=[a-z]),?\s(?:(?P<e>[Ee]xt\.?|[Ee]xtension)|x)\s?(?P<n>[0-9]{1,5})(?![\w-])")


# A toll-free number in letters: "1-800-FLOWERS", "1-800-GO-U-HAUL", "888-NEW-CARS". A word of
# three letters or more in capitals is what makes it one, with four letters in all unless the
# "1-" is written ("Flight 800-ABC" is no phone); digits may stand among the letters. Also the
# kind of number: "a 1-800 number" (not a range, "one to eight hundred").
_VANITY = re.compile(
    r"(?<![\w+(.-])(?:(?P<cc>\+?1)[-. ])?(?P<area>8(?:00|88|77|66|55|44|33))[-.]"
    r"(?P<rest>(?=[A-Z0-9-]*[A-Z]{3})(?(cc)|(?=(?:[0-9-]*[A-Z]){4}))[A-Z0-9]{1,10}(?:-[A-Z0-9]{1,10}){0,3})"
    r"(?![\w-])"
    r"|(?<![\w+(.-])(?P<kind>1-(?P<karea>8(?:00|88|77|66|55|44|33)))(?=\s++numbers?\b)"
)


def _area(code: str) -> str:
    return "eight hundred" if code == "800" else _digits(code)


def _vanity(m: re.Match[str]) -> str:
    if m.group("kind"):
        return "one " + _area(m.group("karea"))
    # Words of letters are said as words (in lower case, so that no reader spells them out);
    # a letter alone is spelt ("GO-U-HAUL": "go U haul"), digits are read one by one.
    words = [
        _digits(w) if w.isdigit() else (w if len(w) == 1 else w.lower())
        for w in re.findall(r"[0-9]+|[A-Z]+", m.group("rest"))
    ]
    cc = m.group("cc") or ""
    head = "plus one " if cc.startswith("+") else "one " if cc else ""
    return _pad(m, head + _area(m.group("area")) + " " + " ".join(words))


def _phone(m: re.Match[str]) -> str:
    area = m.group("a1") or m.group("a2")
    parts = [_area(area), _digits(m.group("b")), _digits(m.group("c"))]
    if m.group("cc"):
        one = "plus one" if m.group("cc").startswith("+") else "one"
        # "one eight hundred" is said as one group.
        parts[0:1] = [f"{one} eight hundred"] if area == "800" else [one, parts[0]]
    if m.group("x"):  # "555-123-4567-89": one more group, read as the others
        parts.append(_digits(m.group("x")))
    return _pad(m, ", ".join(parts))


def _phone_intl(m: re.Match[str]) -> str:
    groups = re.findall(r"[0-9]++", m.group(0))
    if not 7 <= sum(len(g) for g in groups) <= 15:
        return m.group(0)
    return _pad(m, "plus " + ", ".join(_digits(g) for g in groups))


def _phone_local(m: re.Match[str]) -> str:
    return m.group("cue") + _digits(m.group("a")) + ", " + _digits(m.group("b"))


def _emergency(m: re.Match[str]) -> str:
    if m.group("a"):
        return m.group("cue") + _digits(m.group("a"))
    return _pad(m, _digits(m.group("c")))


def _phone_ext(m: re.Match[str]) -> str:
    # Only right after a number already read as a phone number (its last word is a digit).
    before = m.string[max(0, m.start() - 6) : m.start()]
    if before.endswith(_ONES):
        return f", extension {_digits(m.group('n'))}"
    if m.group("e"):  # "call ext. 204": the word says what the number is
        return f"{m.group(0)[: m.start('e') - m.start()]}extension {_digits(m.group('n'))}"
    return m.group(0)


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
VANITY = Rule("en.phone", _VANITY, _vanity)
PHONE = Rule("en.phone", _PHONE, _phone)
PHONE_INTL = Rule("en.phone", _PHONE_INTL, _phone_intl)
PHONE_LOCAL = Rule("en.phone", _PHONE_LOCAL, _phone_local)
PHONE_SEVEN = Rule(
    "en.phone", _PHONE_SEVEN, lambda m: _pad(m, _digits(m.group("a")) + ", " + _digits(m.group("b")))
)
EMERGENCY = Rule("en.phone", _EMERGENCY, _emergency)
PHONE_EXT = Rule("en.phone", _PHONE_EXT, _phone_ext)
