"""SSML input: the subset people send, mapped onto the front end, the engines' speed and
pauses. Tags are never read aloud: anything outside the subset is a 400 naming it.

Supported: ``speak`` (root, ``xml:lang``), ``p`` and ``s`` (sentence boundaries),
``break`` (``time`` up to 10 s, or ``strength``), ``say-as`` (``interpret-as`` characters,
spell-out, digits, cardinal, number, ordinal, date with ``format``, telephone), ``sub``
(``alias``), ``prosody`` (``rate``; pitch and volume are accepted and not applied),
``phoneme`` (its text is read; ``ph`` is not applied: no engine here takes phonemes
through Clarion yet), ``lang`` (``xml:lang`` zh or en), ``emphasis`` (read as is) and
``mark`` (ignored).

The parser is defusedxml's: no DTD, entity or external reference is ever expanded, and
depth and element count are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from clarion.errors import InvalidSsml
from clarion.text.en import spell_digits as en_digits
from clarion.text.spans import Language
from clarion.text.zh import spell_digits as zh_digits

__all__ = ["Pause", "Piece", "Say", "looks_like_ssml", "parse_ssml"]

MAX_DEPTH = 32
MAX_ELEMENTS = 10_000
MAX_BREAK_S = 10.0

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SUPPORTED = "speak, p, s, break, say-as, sub, prosody, phoneme, lang, emphasis, mark"  # for messages
_STRENGTH = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.8, "x-strong": 1.2}
_RATES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
_TIME = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\s*")
_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*")
_SPACES = re.compile(r"\s+")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Say:
    """Text to read through the front end (say-as content arrives spelled out in words, which
    it leaves alone); ``rate`` multiplies the request's speed."""

    text: str
    rate: float = 1.0
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


Piece = Say | Pause


_DOCUMENT_START = re.compile(r"\s*(?:<speak[\s>/]|<\?xml\s|<!DOCTYPE\s)", re.IGNORECASE)


def looks_like_ssml(text: str) -> bool:
    """An SSML document, or an XML one that must be refused rather than read out."""
    return _DOCUMENT_START.match(text) is not None


def parse_ssml(text: str, language: Language | None = None) -> list[Piece]:
    """The pieces of an SSML document in reading order. ``language``: the voice's, for
    spelling out say-as content where the document does not say its language."""
    try:
        root = fromstring(text.strip(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise InvalidSsml(
            f"SSML may not declare a DTD or entities ({type(e).__name__})", param="input"
        ) from None
    except ParseError as e:
        raise InvalidSsml(f"input is not well-formed SSML: {e}", param="input") from None
    if _name(root) != "speak":
        raise InvalidSsml(f"SSML must have <speak> as its root element, not <{_name(root)}>", param="input")
    reader = _Reader()
    lang = _language(root.get(_XML_LANG), "speak") or language
    reader.walk(root, 1.0, lang, 0)
    return reader.pieces


class _Reader:
    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self.elements = 0

    def say(self, text: str | None, rate: float, language: Language | None) -> None:
        if not text:
            return
        last = self.pieces[-1] if self.pieces else None
        if isinstance(last, Say) and (last.rate, last.language) == (rate, language):
            self.pieces[-1] = Say(last.text + text, rate, language)
        else:
            self.pieces.append(Say(text, rate, language))

    def walk(self, elem: Element, rate: float, language: Language | None, depth: int) -> None:
        self.elements += 1
        if depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
            raise InvalidSsml(
                f"SSML is too deep or too large (at most {MAX_DEPTH} levels and {MAX_ELEMENTS} elements)",
                param="input",
            )
        name = _name(elem)
        if name in ("speak", "p", "s", "emphasis", "phoneme", "prosody", "lang"):
            if name == "speak" and depth > 0:
                raise InvalidSsml("<speak> may only be the root element", param="input")
            if name == "prosody":
                rate = rate * _rate(elem.get("rate"))
            if name == "lang":
                language = _language(elem.get(_XML_LANG), "lang") or language
            self.say(_text(elem.text), rate, language)
            for child in elem:
                self.walk(child, rate, language, depth + 1)
                self.say(_text(child.tail), rate, language)
            if name in ("p", "s"):
                self.say("\n", rate, language)  # a sentence ends here whatever its punctuation
        elif name == "break":
            self.pieces.append(Pause(_pause(elem)))
        elif name == "say-as":
            self.say_as(elem, rate, language)
        elif name == "sub":
            alias = elem.get("alias")
            if alias is None:
                raise InvalidSsml('<sub> needs an alias attribute: <sub alias="what to say">', param="input")
            self.say(alias, rate, language)
        elif name == "mark":
            pass
        else:
            raise InvalidSsml(
                f"SSML element <{name}> is not supported; supported: {_SUPPORTED}", param="input"
            )

    def say_as(self, elem: Element, rate: float, language: Language | None) -> None:
        if len(elem):
            raise InvalidSsml("<say-as> may hold text only, no elements", param="input")
        kind = (elem.get("interpret-as") or "").lower()
        content = _text(elem.text) or ""
        zh = language == "zh"
        if kind in ("characters", "spell-out", "letters", "verbatim") or kind == "digits":
            self.say(_spell(content, zh), rate, language)
        elif kind in ("cardinal", "number"):
            self.say(content, rate, language)
        elif kind == "ordinal":
            digits = re.sub(r"[^0-9]", "", content)
            self.say(("第" + digits) if zh else _en_ordinal(digits) if digits else content, rate, language)
        elif kind == "date":
            self.say(_date(content, (elem.get("format") or "").lower(), zh), rate, language)
        elif kind == "telephone":
            self.say(_telephone(content, zh), rate, language)
        else:
            raise InvalidSsml(
                f"say-as interpret-as={kind!r} is not supported; supported: characters, spell-out, digits, "
                "cardinal, number, ordinal, date, telephone",
                param="input",
            )


def _name(elem: Element) -> str:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    return tag.rpartition("}")[2]


def _text(text: str | None) -> str | None:
    return _SPACES.sub(" ", text) if text else None


def _language(value: str | None, where: str) -> Language | None:
    if value is None:
        return None
    primary = value.split("-")[0].lower()
    if primary == "zh":
        return "zh"
    if primary == "en":
        return "en"
    raise InvalidSsml(f"<{where}> xml:lang={value!r} is not supported; supported: zh, en", param="input")


def _pause(elem: Element) -> float:
    time = elem.get("time")
    if time is not None:
        m = _TIME.fullmatch(time)
        if m is None:
            raise InvalidSsml(f"<break time={time!r}>: write it as e.g. '500ms' or '1.5s'", param="input")
        seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
        if seconds > MAX_BREAK_S:
            raise InvalidSsml(f"<break time={time!r}> is longer than {MAX_BREAK_S:g} s", param="input")
        return seconds
    strength = elem.get("strength", "medium")
    if strength not in _STRENGTH:
        raise InvalidSsml(f"<break strength={strength!r}>: use one of {', '.join(_STRENGTH)}", param="input")
    return _STRENGTH[strength]


def _rate(value: str | None) -> float:
    if value is None:
        return 1.0
    if value in _RATES:
        return _RATES[value]
    m = _RATE.fullmatch(value)
    factor = None if m is None else float(m.group(1)) / (100 if m.group(2) else 1)
    if factor is None or not 0.25 <= factor <= 4:
        raise InvalidSsml(
            f"<prosody rate={value!r}>: use x-slow, slow, medium, fast, x-fast, a percentage (80%) "
            "or a factor from 0.25 to 4",
            param="input",
        )
    return factor


def _spell(content: str, zh: bool) -> str:
    """Letters and digits one by one: what say-as characters and digits mean."""
    out = []
    for ch in content:
        if ch.isdigit() and ch.isascii():
            out.append(zh_digits(ch) if zh else en_digits(ch))
        elif ch.isalnum():
            out.append(ch)
    return " ".join(out)


def _telephone(content: str, zh: bool) -> str:
    groups = re.findall(r"\+?[0-9]+", content)
    read = []
    for group in groups:
        plus = group.startswith("+")
        digits = group.lstrip("+")
        if zh:
            words = zh_digits(digits, yao=True)
            read.append(("加" if plus else "") + words)
        else:
            read.append(("plus " if plus else "") + en_digits(digits))
    return ("，" if zh else ", ").join(read)


def _en_ordinal(digits: str) -> str:
    n = int(digits)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _date(content: str, fmt: str, zh: bool) -> str:
    """A numeric date in the order ``format`` gives (ymd, mdy, dmy, md, dm, ym, my), as the
    front end reads dates unambiguously; anything else is left to the front end."""
    fields = re.findall(r"[0-9]+", content)
    if not fmt or len(fields) != len(fmt) or set(fmt) - set("ymd"):
        return content
    parts = dict(zip(fmt, (int(f) for f in fields), strict=True))
    year, month, day = parts.get("y"), parts.get("m"), parts.get("d")
    if year is not None and year < 100:
        year += 2000 if year < 50 else 1900
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        return content
    if zh:
        return (f"{year}年" if year else "") + (f"{month}月" if month else "") + (f"{day}日" if day else "")
    if year and month and day:
        return f"{year:04d}-{month:02d}-{day:02d}"
    if month and day:
        return f"{_MONTHS[month - 1]} {day}"
    if year and month:
        return f"{_MONTHS[month - 1]} {year}"
    return content
