"""Postal addresses: a house number before a street name and suffix (read in pairs, the suffix
and a compass quadrant expanded), P.O. boxes, US state codes before a ZIP code or after a
place name, and a street suffix after an ordinal ("5th st").
"""

from __future__ import annotations

import re

from clarion.text.en.words import _digits, _kept_stop, _pad, _pairs
from clarion.text.types import Rule

_STREET = {
    "St": "Street", "Ave": "Avenue", "Av": "Avenue", "Rd": "Road", "Blvd": "Boulevard", "Dr": "Drive",
    "Ln": "Lane", "Ct": "Court", "Pl": "Place", "Pkwy": "Parkway", "Hwy": "Highway", "Cir": "Circle",
    "Ter": "Terrace", "Sq": "Square", "Way": "Way", "Street": "Street", "Avenue": "Avenue",
    "Road": "Road", "Boulevard": "Boulevard", "Drive": "Drive", "Lane": "Lane", "Court": "Court",
    "Place": "Place", "Parkway": "Parkway", "Highway": "Highway", "Circle": "Circle",
    "Terrace": "Terrace", "Square": "Square", "Expy": "Expressway", "Expressway": "Expressway",
    "Fwy": "Freeway", "Freeway": "Freeway", "Trl": "Trail", "Trail": "Trail", "Plz": "Plaza",
    "Plaza": "Plaza", "Aly": "Alley", "Alley": "Alley",
}  # fmt: skip
_COMPASS = {
    "N": "North", "S": "South", "E": "East", "W": "West", "NE": "Northeast", "NW": "Northwest",
    "SE": "Southeast", "SW": "Southwest",
}  # fmt: skip
_ADDRESS = re.compile(
    r"(?<![\w.,$#-])(?<!No\. )(?<!No\.)(?P<n>[1-9][0-9]{0,4}+)(?P<l>[A-Z]?)\s++(?:(?P<dir>[NSEW])\.?\s++)?"
    r"(?P<name>(?:(?:[A-Z][\w'’]*+|[0-9]++(?:st|nd|rd|th))\s++){1,3}?)"
    r"(?P<suf>" + "|".join(sorted(_STREET, key=len, reverse=True)) + r")(?P<dot>\.?)(?![\w])"
    r"(?:(?P<qsp>,?\s)(?P<quad>NW|NE|SW|SE)(?![\w]))?"
)
_PO_BOX = re.compile(r"(?<![\w.])P\.?\s?O\.?\s(?=Box\b)")
_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "D C",
}  # fmt: skip
# "Springfield, IL 62704": a state code between a comma and a ZIP code.
_STATE_ZIP = re.compile(r"(?<=,\s)(?P<st>[A-Z]{2}),?\s(?P<zip>[0-9]{5})(?:-(?P<z4>[0-9]{4}))?(?![\w-])")
# "Austin, TX" and "a Boise, ID-based firm": a state code after a place name, without a ZIP code.
_NOT_PLACE = (
    r"(?!(?:In|At|From|To|Near|Outside|Around|Across|Of|Visit|Born|Based|Welcome|Yes|No|Hi|Hello|Hey"
    r"|Thanks|Well|Okay|Sure|So|And|But|Or|Oh|Error|Warning|Note|Sorry|Please|Also|Then|Now|However"
    r"|First|Second|Finally|Example|Result|Total|Step)\b)"
)
_STATE_CITY = re.compile(
    r"(?P<city>(?<![\w.])" + _NOT_PLACE + r"[A-Z][a-z]+(?:\s[A-Z][a-z]+)?),\s(?P<st>[A-Z]{2})"
    r"(?![\w'’]|-[A-Z0-9]|\.[A-Za-z0-9])"
)
# Codes that are also words ("Fine, OK."), and those a comma after a name makes a degree or a
# title ("Jane Doe, MD"): the latter are states only after a one-word place (", in Baltimore, MD").
_STATE_WORDS = frozenset({"OK", "IN", "ME", "HI", "OH", "ID", "LA", "DC"})
_STATE_DEGREES = frozenset({"MA", "MD", "MS", "PA"})
_NAME_BEFORE = re.compile(r"(?:^|[^\w.])" + _NOT_PLACE + r"[A-Z][\w.]*\s$")


def _address(m: re.Match[str]) -> str:
    suf = m.group("suf")
    name = m.group("name")
    n = m.group("n")
    out = _pairs(n) + (f" {m.group('l')}" if m.group("l") else "") + " "
    if m.group("dir"):
        out += _COMPASS[m.group("dir")] + " "
    out += name + _STREET[suf]
    if m.group("quad"):
        out += m.group("qsp") + _COMPASS[m.group("quad")]
    else:
        out += _kept_stop(m, m.group("dot"))
    return _pad(m, out)


def _state_city(m: re.Match[str]) -> str:
    code = m.group("st")
    state = _STATES.get(code)
    if state is None or code in _STATE_WORDS:
        return m.group(0)
    if code in _STATE_DEGREES and (
        " " in m.group("city") or _NAME_BEFORE.search(m.string, max(0, m.start() - 20), m.start())
    ):
        return m.group(0)
    return f"{m.group('city')}, {state}"


def _state_zip(m: re.Match[str]) -> str:
    state = _STATES.get(m.group("st"))
    if state is None:
        return m.group(0)
    comma = "," if m.group(0)[2] == "," else ""  # "Santa, FL, 95051"
    out = f"{state}{comma} {_digits(m.group('zip'))}"
    if m.group("z4"):
        out += f", {_digits(m.group('z4'))}"
    return out


_STREET_AFTER_ORDINAL = re.compile(r"(?<=[0-9](?:st|nd|rd|th)\s)(?P<w>st|ave|rd|blvd)\.?(?![\w])")


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
PO_BOX = Rule("en.address", _PO_BOX, lambda m: "P O ")
ADDRESS = Rule("en.address", _ADDRESS, _address)
STATE_ZIP = Rule("en.address", _STATE_ZIP, _state_zip)
STATE_CITY = Rule("en.address", _STATE_CITY, _state_city)
STREET_AFTER_ORDINAL = Rule(
    "en.abbreviation",
    _STREET_AFTER_ORDINAL,
    lambda m: {"st": "street", "ave": "avenue", "rd": "road", "blvd": "boulevard"}[m.group("w")],
)
