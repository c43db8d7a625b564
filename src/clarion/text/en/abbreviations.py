"""Words written short: titles and suffixes (Saint/Street and Doctor/Drive by context), e.g./i.e.,
"No.", references before a number (p., fig., vol.), Hwy/Mt/Apt without a dot, q/q and y/y,
w/ and w/o, compass points by a wind, Roman numerals after a cue word, a slash or hyphen between
capitals, and acronyms (spelt unless read as words, left alone in shouted text).
"""

from __future__ import annotations

import re
import unicodedata

from clarion.text.en.words import _cardinal, _ends_sentence, _ordinal, _pad
from clarion.text.split import abbreviation_ends_sentence, opens_sentence
from clarion.text.types import Rule

_WITH = re.compile(r"(?<![\w/])[Ww]/(?P<o>o)?(?=\s)")
# "TCP/IP", "I/O", "USD/JPY", "A/B testing": a slash between capitals is a pause, not a word.
_CAPS_SLASH = re.compile(r"(?<![\w/])(?P<a>[A-Z]{1,5})/(?P<b>[A-Z]{1,5})(?![\w/])")
_CAPS_HYPHEN = re.compile(r"(?<=\b[A-Z]{2})(?<=[A-Z])-(?=[A-Z]\b)|(?<=\b[A-Z]{3})-(?=[A-Z]\b)")
# Compass points that go with a wind: "NW winds", "winds NW 10 mph", "from the SW at 15 mph".
_WIND = re.compile(
    r"(?<![\w.])(?P<c>N|S|E|W|NE|NW|SE|SW|NNE|NNW|ENE|ESE|SSE|SSW|WSW|WNW)"
    r"(?=\s++(?:winds?|breeze|gusts?|(?:at\s++)?[0-9]++(?:\s?(?:-|to)\s?[0-9]++)?\s?(?i:mph|km/h|kph|knots|kt|m/s)(?![\w])))"
    r"|(?<=[Ww]inds\s)(?P<c2>N|S|E|W|NE|NW|SE|SW|NNE|NNW|ENE|ESE|SSE|SSW|WSW|WNW)(?![\w])"
)
_POINTS = {"N": "north", "S": "south", "E": "east", "W": "west"}


def _wind(m: re.Match[str]) -> str:
    c = m.group("c") or m.group("c2")
    # "NNW" -> north-northwest
    out = "".join(_POINTS[x] for x in c) if len(c) < 3 else f"{_POINTS[c[0]]}-{_POINTS[c[1]]}{_POINTS[c[2]]}"
    before = m.string[max(0, m.start() - 3) : m.start()].rstrip()
    return out.capitalize() if before == "" or before[-1] in ".!?:" else out


# --------------------------------------------------------------------------- abbreviations

_TITLES = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "Rev": "Reverend",
    "Capt": "Captain", "Gen": "General", "Sgt": "Sergeant", "Lt": "Lieutenant", "Col": "Colonel",
    "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Hon": "Honorable",
    "Maj": "Major", "Adm": "Admiral", "Cpl": "Corporal", "Pvt": "Private",
    "Mt": "Mount", "Ft": "Fort",
}  # fmt: skip
_SUFFIXES = {
    "Jr": "Junior", "Sr": "Senior", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road",
    "Ln": "Lane", "Hwy": "Highway", "Ct": "Court", "Pl": "Place", "Pkwy": "Parkway", "Cir": "Circle",
    "Apt": "Apartment", "Ste": "Suite", "Bldg": "Building", "Mfg": "Manufacturing",
    "Co": "Company", "Inc": "Incorporated", "Corp": "Corporation", "Ltd": "Limited",
    "Dept": "Department", "dept": "department", "Univ": "University", "approx": "approximately",
    "Approx": "Approximately", "appt": "appointment", "Appt": "Appointment", "govt": "government",
    "Govt": "Government", "misc": "miscellaneous",
    "etc": "et cetera", "incl": "including", "excl": "excluding",
    "vs": "versus", "Vs": "Versus", "Jan": "January", "Feb": "February",
    "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September",
    "Sept": "September", "Oct": "October", "Nov": "November", "Dec": "December",
}  # fmt: skip
_ABBR = re.compile(
    r"(?<![\w.])(?P<w>"
    + "|".join(sorted([*_TITLES, *_SUFFIXES, "St", "Dr"], key=len, reverse=True))
    + r")\.(?=\s|$|[,;:!?)])"
    r"|(?<![\w.])(?P<eg>[eE]\.g\.|[iI]\.e\.)(?=\s|$|[,;:!?)])"
    r"|(?<![\w.])(?P<aka>a\.k\.a\.?|aka|AKA)(?=\s|,)"
    r"|(?<![\w.])(?P<vs>vs)(?=\s)"
    r"|(?<![\w.])(?P<pa>p\.a\.)(?![\w])"
    # "min. payment", "max. speed": before a word, not after a number ("5 min." is minutes)
    r"|(?<![\w.])(?<![0-9]\s)(?P<mm>[Mm]in|[Mm]ax)\.(?=\s++[a-z])"
    r"|(?<![\w.])(?P<no>No|no|Nos)\.\s?(?=[0-9])"
)
# References before a number: "p. 12", "pp. 10-15", "Fig. 3", "vol. 2", "ch. 4", "Eq. 7".
_REF = {
    "p": "page", "pp": "pages", "fig": "figure", "figs": "figures", "vol": "volume", "vols": "volumes",
    "ch": "chapter", "chap": "chapter", "eq": "equation", "para": "paragraph", "sec": "section",
}  # fmt: skip
# "vol. II", "ch. IV": a Roman numeral after one is a number too.
_REF_ABBR = re.compile(
    r"(?<![\w.])(?P<w>[Pp]p?|[Ff]igs?|[Vv]ols?|[Cc]hap|[Cc]h|[Ee]q|[Pp]ara|[Ss]ec)\.\s?"
    r"(?:(?=[0-9])|(?P<r>[IVXLC]{1,7})(?![\w]))"
)
# Without a dot: "Hwy 101", "Rte 66", "Mt Lee", "Ft Worth".
_ABBR_NO_DOT = re.compile(
    r"(?<![\w.])(?P<w>Hwy|Rte)(?=\s[0-9])|(?<![\w.])(?P<t>Mt|(?<![0-9] )Ft)(?=\s[A-Z][a-z])"
)
# Growth periods in finance: "2.3% q/q", "5% y/y", "up 12% YoY".
_PERIOD_ON_PERIOD = re.compile(
    r"(?<![\w/])(?:(?P<q>[qQ]/[qQ]|QoQ|qoq)|(?P<y>[yY]/[yY]|YoY|yoy|[yY]-[oO]-[yY])|(?P<m>m/m|M/M))(?![\w/])"
)
_APT = re.compile(r"(?<![\w.])(Apt|APT|Ste)\.?\s?(?=#?[0-9][0-9A-Z]*+(?![\w]))")
_PREV_WORD = re.compile(r"([A-Za-z0-9][\w'’]*+)[\s,]*+$")
_NEXT_CAP = re.compile(r"\s++[A-Z]")


def _ref_abbr(m: re.Match[str]) -> str:
    w = m.group("w")
    out = _REF[w.lower()]
    out = out.capitalize() if w[0].isupper() else out
    if not m.group("r"):
        return out + " "
    value = _roman_value(m.group("r"))
    return f"{out} {_cardinal(str(value))}" if value else m.group(0)


def _period_on_period(m: re.Match[str]) -> str:
    return "quarter on quarter" if m.group("q") else "year on year" if m.group("y") else "month on month"


def _abbr(m: re.Match[str]) -> str:
    if m.group("eg"):
        out = "for example" if m.group("eg")[0] in "eE" else "that is"
        return out.capitalize() if m.group("eg")[0].isupper() else out
    if m.group("vs"):
        return "versus"
    if m.group("aka"):
        return "also known as"
    if m.group("pa"):
        return "per annum"
    if m.group("mm"):
        word = "minimum" if m.group("mm").lower() == "min" else "maximum"
        return word.capitalize() if m.group("mm")[0].isupper() else word
    if m.group("no"):
        return _pad(m, "number")
    w = m.group("w")
    s = m.string
    next_cap = _NEXT_CAP.match(s, m.end()) is not None
    if w in ("St", "Dr"):
        before = s[max(0, m.start() - 40) : m.start()]
        prev = _PREV_WORD.search(before)
        prev_cap = prev is not None and (prev.group(1)[0].isupper() or prev.group(1)[0].isdigit())
        # "Main St. The house": after a name (not a sentence's first word, as in "Ask Dr. Who"),
        # a word that opens sentences opens the next one.
        start = m.start() - len(before) + prev.start() if prev else 0
        named = prev_cap and s[:start].rstrip()[-1:] not in ("", ".", "!", "?")
        if (next_cap and not (named and opens_sentence(s, m.end()))) or not prev_cap:
            return "Saint" if w == "St" else "Doctor"
        out = "Street" if w == "St" else "Drive"
    elif w in _TITLES:
        return _TITLES[w]
    else:
        out = _SUFFIXES[w]
        if w in ("Jr", "Sr"):  # "King Jr. Day": a capital after a name suffix is usually a name
            return out + "." if m.end() == len(s) else out
    return out + "." if _ends_sentence(m) and w not in ("incl", "excl") else out


# --------------------------------------------------------------------------- roman numerals

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_REGNAL = (
    r"Henry|Louis|Elizabeth|George|Edward|Charles|William|Richard|James|John|Paul|Benedict|Pius|Leo"
    r"|Gregory|Napoleon|Ramesses|Ramses|Mary|Victoria|Philip|Frederick|Peter|Catherine|Alexander"
    r"|Nicholas|Innocent|Clement|Boniface|Urban|Ferdinand|Ludwig|Wilhelm|Gustav|Constantine|Ptolemy"
)
_ROMAN = re.compile(
    r"(?<![\w.])(?P<ctx>(?:" + _REGNAL + r")|(?P<num>World\s+War|Chapter|Part|Volume|Book|Act|Phase"
    r"|Type|Level|Super\s+Bowl|Article|Section|Title|Episode|Round|Stage|Class|Grade|Schedule|Appendix|Tier"
    r"|Vatican|Rocky|Mark|Mk\.?|Annex|Amendment|Division|Category|Wrestlemania|WrestleMania|Apollo|Star\s+Wars"
    r"|Fantasy|Civilization|Metal\s+Gear|Street\s+Fighter|Scene"
    # In lower case too ("chapter XIV", "act III, scene II"), but not before "I" alone: "in part I think".
    r"|(?P<low>chapter|part|volume|book|act|scene|phase|type|level|article|section|title|episode|round"
    r"|stage|class|grade|schedule|appendix|tier|annex|amendment|division|category)(?=\s+(?!I(?![\w])))))"
    r"\s+(?P<r>[IVXLC]{1,7})(?![\w])"
)


def _roman_value(s: str) -> int | None:
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total if _to_roman(total) == s else None


def _to_roman(n: int) -> str:
    out = []
    for v, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                   (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= v:
            out.append(sym)
            n -= v
    return "".join(out)


def _roman(m: re.Match[str]) -> str:
    value = _roman_value(m.group("r"))
    # A C or an L alone is a letter: "USB Type C", "Schedule C", "Grade C", "Part L".
    if value is None or m.group("r") in ("C", "L"):
        return m.group(0)
    if m.group("num"):
        words = _cardinal(str(value))
        return f"{m.group('ctx')} {words.title() if 'War' in m.group('ctx') else words}"
    return f"{m.group('ctx')} the {_ordinal(str(value)).title()}"


# --------------------------------------------------------------------------- acronyms

_DOTTED = re.compile(r"(?<![\w.])(?:(?:[A-Z]\.){2,}+|Ph\.\s?D\.)(?![\w])")
_ACRONYM = re.compile(r"(?<![\w'’.-])(?P<a>[A-Z]{2,5})(?P<s>s?)(?![\w'’])")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def _dotted(m: re.Match[str]) -> str:
    out = " ".join(m.group(0).replace(".", "").replace(" ", "").upper())  # Ph.D. -> P H D
    return _pad(m, out + ("." if abbreviation_ends_sentence(m.string, m.end()) else ""))


def shouting(text: str) -> bool:
    caps = len(_CAPS_WORD.findall(text))
    return caps >= 4 and caps >= 0.6 * len(_WORD.findall(text))


# Roman numeral characters ("World War Ⅱ", "ⅳ") are their letters, read by the Roman numeral rule.
ROMAN_CHARS = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0x2160, 0x217C)}


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
PERIOD_ON_PERIOD = Rule("en.abbreviation", _PERIOD_ON_PERIOD, _period_on_period)
WITH = Rule("en.abbreviation", _WITH, lambda m: "without" if m.group("o") else "with")
ABBR_NO_DOT = Rule(
    "en.abbreviation",
    _ABBR_NO_DOT,
    lambda m: {"Hwy": "Highway", "Rte": "Route", "Mt": "Mount", "Ft": "Fort"}[m.group("w") or m.group("t")],
)
ABBR = Rule("en.abbreviation", _ABBR, _abbr)
APT = Rule(
    "en.abbreviation",
    _APT,
    lambda m: {"Apt": "Apartment", "Ste": "Suite", "APT": "Apartment"}[m.group(1)] + " ",
)
REF_ABBR = Rule("en.abbreviation", _REF_ABBR, _ref_abbr)
ROMAN = Rule("en.roman", _ROMAN, _roman)
WIND = Rule("en.abbreviation", _WIND, _wind)
CAPS_SLASH = Rule("en.acronym", _CAPS_SLASH, lambda m: f"{m.group('a')} {m.group('b')}")
CAPS_HYPHEN = Rule("en.acronym", _CAPS_HYPHEN, lambda m: " ")
DOTTED = Rule("en.acronym", _DOTTED, _dotted)


def acronym_rule(words: frozenset[str]) -> Rule:
    """Acronyms spelt out (FBI -> F B I), except the ones in ``words``."""

    def acronym(m: re.Match[str]) -> str:
        a = m.group("a")
        if a in words:
            return m.group(0)
        return " ".join(a) + (m.group("s") or "")

    return Rule("en.acronym", _ACRONYM, acronym)
