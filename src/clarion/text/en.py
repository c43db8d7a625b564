"""English text normalisation: numbers, symbols and abbreviations to words.

The output is what an English TTS engine should read aloud. Each pass is one rule; a pass
that changes the text records its name once (``Normalized.rules``), in pass order.

Conventions (documented choices, see also the golden file ``tests/data/text/en_golden.tsv``):

* Cardinals are American style without "and" (123 -> one hundred twenty-three).
  Digit strings with a leading zero or longer than 15 digits are read digit by digit.
* Years: a 4-digit number is read as a year ("nineteen ninety-nine") only in a year context:
  inside a date, after a year cue word (in, since, by, until, till, from, during, before, after,
  circa, year; 1000-2099, unless a count noun follows: "in 1500 meters"), before AD/BC/BCE/CE,
  as a decade (1990s), or as a range of two 1100-2099 numbers (1990-2000). A bare 4-digit
  number elsewhere is a cardinal ("1999 people" -> one thousand nine hundred ninety-nine).
* Units agree with the number (1 km -> one kilometer); after "a"/"an" a measure is adjectival
  and stays singular ("a 5 km run").
* "St." / "Dr.": Saint/Doctor when the next word is capitalised (St. Louis, Dr. Smith),
  Street/Drive when the previous word is capitalised or a number (Main St.), else Saint/Doctor.
* URLs: the scheme (http://, https://) is dropped as noise for listeners; the rest is read
  with symbol names (example.com/a-b -> example dot com slash a dash b), digits one by one.
* Acronyms: all-caps tokens of 2-5 letters are spelled out (FBI -> F B I) unless they are in
  the built-in read-as-word set or in ``acronyms_as_words`` (union of the two). Text that is
  mostly upper case (shouting) is left alone, since spelling every word out would be wrong.
* Dates: "6/15/2024" is US order (month/day); when the first field is over 12 it is day/month.

Patterns avoid nested quantifiers and anchor number starts with look-behinds (and possessive
quantifiers) so that 100k-character adversarial inputs run in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from num2words import num2words

from clarion.text.types import Normalized, RuleLog

__all__ = ["DEFAULT_ACRONYMS_AS_WORDS", "normalize_en"]

DEFAULT_ACRONYMS_AS_WORDS: frozenset[str] = frozenset(
    {
        "NASA", "NATO", "UNESCO", "UNICEF", "NAFTA", "OPEC", "FIFA", "UEFA", "AIDS", "COVID",
        "SARS", "MERS", "LASER", "RADAR", "SONAR", "SCUBA", "GIF", "JPEG", "PIN", "RAM", "ROM",
        "SIM", "LAN", "WAN", "SWAT", "IKEA", "ASCII", "POTUS", "FEMA", "OSHA", "NASCAR", "ANSI",
        "DOS", "CAD", "GUI", "WIFI", "LOL", "YOLO", "FOMO", "ASAP", "NIMBY", "ZIP", "AWOL",
        "INTERPOL", "MASH", "OLED", "TOEFL", "GAAP", "DARPA", "CERN", "SAT", "ISIS", "ESPN",
    }
)  # fmt: skip

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"Sept": 9}
_MONTH_WORD = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)

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


def _year(n: int) -> str:
    if not 1000 <= n <= 2099 or n == 2000 or 2001 <= n <= 2009:
        return _cardinal(str(n))
    return _clean(num2words(n, lang="en", to="year")).replace("oh-", "oh ")


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
def _ends_sentence(m: re.Match[str]) -> bool:
    rest = m.string[m.end() : m.end() + 3]
    return rest == "" or re.match(r"\s+[A-Z]", rest) is not None


# --------------------------------------------------------------------------- URLs / e-mail

_URL_SYMBOLS = {
    ".": "dot", "/": "slash", "-": "dash", "_": "underscore", ":": "colon", "?": "question mark",
    "=": "equals", "&": "and", "#": "hash", "@": "at", "%": "percent", "~": "tilde", "+": "plus",
}  # fmt: skip
_URL_TOKEN = re.compile(r"[A-Za-z]++|[0-9]++|.", re.S)


def _spell_address(addr: str) -> str:
    words: list[str] = []
    for tok in _URL_TOKEN.findall(addr):
        if tok[0].isascii() and tok[0].isalpha():
            words.append(tok)
        elif tok[0].isascii() and tok[0].isdigit():
            words.append(_digits(tok))
        elif tok in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[tok])
        elif not tok.isspace():
            words.append(tok)
    return " ".join(words)


_URL = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]++", re.I)
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|us|de|fr|ai|dev|app|info|biz|me|ca|au|jp|cn|tv|ly)"
_DOMAIN = re.compile(
    r"(?<![\w.@/-])(?:[a-z0-9-]++\.(?=[a-z0-9]))++" + _TLD + r"(?![\w-])(?:/[^\s<>\"]*+)?", re.I
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++", re.A)
_TRAIL = ".,;:!?)]}'\""


def _url(m: re.Match[str]) -> str:
    raw = m.group(0)
    stripped = raw.rstrip(_TRAIL)
    tail = raw[len(stripped) :]
    body = re.sub(r"^https?://", "", stripped, flags=re.I).rstrip("/")
    if not body:
        return raw
    return _pad(m, _spell_address(body), end=m.start() + len(stripped)) + tail


def _email(m: re.Match[str]) -> str:
    return _pad(m, _spell_address(m.group(0)))


# --------------------------------------------------------------------------- phone numbers

_PHONE = re.compile(
    r"(?<![\w+(-])(?P<cc>\+1[-. ]?)?(?:\((?P<a1>[0-9]{3})\)\s?|(?P<a2>[0-9]{3})[-. ])"
    r"(?P<b>[0-9]{3})[-.](?P<c>[0-9]{4})(?![\w-])"
)


def _phone(m: re.Match[str]) -> str:
    parts = [_digits(m.group("a1") or m.group("a2")), _digits(m.group("b")), _digits(m.group("c"))]
    if m.group("cc"):
        parts.insert(0, "plus one")
    return _pad(m, ", ".join(parts))


# --------------------------------------------------------------------------- abbreviations

_TITLES = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "Rev": "Reverend",
    "Capt": "Captain", "Gen": "General", "Sgt": "Sergeant", "Lt": "Lieutenant", "Col": "Colonel",
    "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Hon": "Honorable",
    "Mt": "Mount", "Ft": "Fort",
}  # fmt: skip
_SUFFIXES = {
    "Jr": "Junior", "Sr": "Senior", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road",
    "Ln": "Lane", "Hwy": "Highway", "Inc": "Incorporated", "Corp": "Corporation", "Ltd": "Limited",
    "Dept": "Department", "Univ": "University", "approx": "approximately", "Approx": "Approximately",
    "etc": "et cetera", "vs": "versus", "Vs": "Versus", "Jan": "January", "Feb": "February",
    "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September",
    "Sept": "September", "Oct": "October", "Nov": "November", "Dec": "December",
}  # fmt: skip
_ABBR = re.compile(
    r"(?<![\w.])(?P<w>"
    + "|".join(sorted([*_TITLES, *_SUFFIXES, "St", "Dr"], key=len, reverse=True))
    + r")\.(?=\s|$|[,;:!?)])"
    r"|(?<![\w.])(?P<eg>[eE]\.g\.|[iI]\.e\.)(?=\s|$|[,;:!?)])"
    r"|(?<![\w.])(?P<vs>vs)(?=\s)"
    r"|(?<![\w.])(?P<no>No|no|Nos)\.\s?(?=[0-9])"
)
_PREV_WORD = re.compile(r"([A-Za-z0-9][\w'’]*+)[\s,]*+$")
_NEXT_CAP = re.compile(r"\s++[A-Z]")


def _abbr(m: re.Match[str]) -> str:
    if m.group("eg"):
        out = "for example" if m.group("eg")[0] in "eE" else "that is"
        return out.capitalize() if m.group("eg")[0].isupper() else out
    if m.group("vs"):
        return "versus"
    if m.group("no"):
        return _pad(m, "number")
    w = m.group("w")
    s = m.string
    next_cap = _NEXT_CAP.match(s, m.end()) is not None
    if w in ("St", "Dr"):
        before = s[max(0, m.start() - 40) : m.start()]
        prev = _PREV_WORD.search(before)
        prev_cap = prev is not None and (prev.group(1)[0].isupper() or prev.group(1)[0].isdigit())
        if next_cap or not prev_cap:
            return "Saint" if w == "St" else "Doctor"
        out = "Street" if w == "St" else "Drive"
    elif w in _TITLES:
        return _TITLES[w]
    else:
        out = _SUFFIXES[w]
        if w in ("Jr", "Sr"):  # "King Jr. Day": a capital after a name suffix is usually a name
            return out + "." if m.end() == len(s) else out
    return out + "." if _ends_sentence(m) else out


# --------------------------------------------------------------------------- dates

_DAY = r"(?P<d>[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR4 = r"(?P<y>[12][0-9]{3})"
_DATE_MDY = re.compile(
    r"(?<![\w.])(?P<m>" + _MONTH_WORD + r")\s+" + _DAY + r"(?![\w])(?:,?\s+" + _YEAR4 + r"(?![\w]))?"
)
_DATE_DMY = re.compile(
    r"(?<![\w.])(?:the\s+)?" + _DAY + r"(?:\s+of)?\s+(?P<m>" + _MONTH_WORD + r")(?![\w])"
    r"(?:,?\s+" + _YEAR4 + r"(?![\w]))?"
)
_DATE_MY = re.compile(r"(?<![\w.])(?P<m>" + _MONTH_WORD + r")\s+" + _YEAR4 + r"(?![\w])")
_DATE_ISO = re.compile(
    r"(?<![\w.-])" + _YEAR4 + r"-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01])(?![\w-])"
)
_DATE_SLASH = re.compile(r"(?<![\w./])(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})/" + _YEAR4 + r"(?![\w/])")


def _month_num(word: str) -> int:
    word = word.rstrip(".")
    if word in _MONTHS:
        return _MONTHS.index(word) + 1
    return _MONTH_ABBR[word[:4] if word == "Sept" else word[:3]]


def _say_date(month: int, day: int | None, year: str | None, dmy: bool = False) -> str:
    name = _MONTHS[month - 1]
    if day is None:
        out = name
    elif dmy:
        out = f"the {_ordinal(str(day))} of {name}"
    else:
        out = f"{name} {_ordinal(str(day))}"
    if year:
        out += (", " if day is not None else " ") + _year(int(year))
    return out


def _date_words(m: re.Match[str], dmy: bool = False) -> str:
    day = m.groupdict().get("d")
    out = _say_date(_month_num(m.group("m")), int(day) if day else None, m.group("y"), dmy)
    # Keep a full stop if the month abbreviation's dot was the sentence end.
    if m.group(0).endswith(".") and _ends_sentence(m):
        out += "."
    return _pad(m, out)


def _date_iso(m: re.Match[str]) -> str:
    return _pad(m, _say_date(int(m.group("m")), int(m.group("d")), m.group("y")))


def _date_slash(m: re.Match[str]) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    month, day = (a, b) if a <= 12 else (b, a)  # US order unless impossible
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return _pad(m, _say_date(month, day, m.group("y")))


# --------------------------------------------------------------------------- times

_AMPM = r"(?:\s?(?P<ap>[AaPp])\.?\s?[Mm](?:\.(?=\s*[a-z0-9,;])|(?![\w])))"
_TIME = re.compile(
    r"(?<![\w.:])(?P<h>[01]?[0-9]|2[0-3]):(?P<mm>[0-5][0-9])(?::(?P<ss>[0-5][0-9]))?(?![\w:])" + _AMPM + "?"
)
_TIME_H = re.compile(r"(?<![\w.:])(?P<h>1[0-2]|0?[1-9])" + _AMPM)


def _time(m: re.Match[str]) -> str:
    h, mm = m.group("h"), m.group("mm")
    hour = _cardinal(str(int(h)))
    ap = m.group("ap")
    if mm == "00":
        if ap:
            out = hour
        elif int(h) >= 13:
            out = f"{hour} hundred"
        else:
            out = f"{hour} o'clock"
    elif mm.startswith("0"):
        out = f"{hour} oh {_ONES[int(mm[1])]}"
    else:
        out = f"{hour} {_cardinal(mm)}"
    if m.group("ss"):
        secs = int(m.group("ss"))
        out += f" and {_cardinal(str(secs))} second{'s' if secs != 1 else ''}"
    if ap:
        out += f" {ap.lower()} m"
    return _pad(m, out)


def _time_h(m: re.Match[str]) -> str:
    return _pad(m, f"{_cardinal(str(int(m.group('h'))))} {m.group('ap').lower()} m")


# --------------------------------------------------------------------------- ranges / years

_RANGE = re.compile(r"(?<![\w.,/:-])(?P<a>[0-9]++)(?:-|\s?[–—]\s?)(?P<b>[0-9]++)(?![\w/:-]|[.,][0-9])")


def _is_year(s: str, low: int = 1100) -> bool:
    return len(s) == 4 and low <= int(s) <= 2099


def _range(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if _is_year(a) and _is_year(b):
        return _pad(m, f"{_year(int(a))} to {_year(int(b))}")
    return f"{a} to {b}"


_DECADE = re.compile(
    r"(?<![\w.,'’])(?:(?P<c>1[0-9]|20)(?P<d>[0-9])0|['’](?P<s>[0-9])0|(?P<t>[2-9])0)s(?![\w'’])"
)
_DECADE_WORDS = ("", "tens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies",
                 "eighties", "nineties")  # fmt: skip


def _decade(m: re.Match[str]) -> str:
    if m.group("c"):
        c, d = m.group("c"), int(m.group("d"))
        if d == 0:
            out = "two thousands" if c == "20" else f"{_cardinal(c)} hundreds"
        else:
            out = f"{_cardinal(c)} {_DECADE_WORDS[d]}"
    else:
        d = int(m.group("s") if m.group("s") is not None else m.group("t"))
        out = _DECADE_WORDS[d] if d else "two thousands"
    return _pad(m, out)


# "in 1500 meters", "by 2000 people": a following measure or count noun means a quantity.
_COUNT_NOUNS = (
    r"(?:people|persons|men|women|children|meters|metres|feet|miles|kilometers|kilometres|yards|pounds"
    r"|kilograms|tons|dollars|euros|units|copies|pages|words|cases|votes|points|times|steps|items)\b"
)
_YEAR_CUE = re.compile(
    r"(?<![\w.])(?P<cue>(?:[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Tt]ill|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter"
    r"|[Cc]irca|c\.|[Yy]ear|[Tt]he\s+year|[Ss]pring|[Ss]ummer|[Aa]utumn|[Ff]all|[Ww]inter)\s+)"
    r"(?P<y>[12][0-9]{3})(?![\w:]|[.,][0-9])(?!\s+" + _COUNT_NOUNS + r")"
    r"(?:(?P<sep>\s+(?:to|and|until|through)\s+)(?P<y2>[12][0-9]{3})(?![\w:]|[.,][0-9]))?"
)
_YEAR_ERA = re.compile(r"(?<![\w.,])(?P<y>[0-9]{1,4})\s?(?P<era>AD|BC|BCE|CE|A\.D\.|B\.C\.)(?![\w])")


def _year_cue(m: re.Match[str]) -> str:
    y = m.group("y")
    if not _is_year(y, low=1000):  # a cue word makes 1000-1099 (by 1066) a year too
        return m.group(0)
    out = m.group("cue") + _year(int(y))
    if m.group("y2"):
        y2 = m.group("y2")
        out += m.group("sep") + (_year(int(y2)) if _is_year(y2, low=1000) else _cardinal(y2))
    return _pad(m, out)


def _year_era(m: re.Match[str]) -> str:
    y = m.group("y")
    era = " ".join(m.group("era").replace(".", ""))
    words = _year(int(y)) if _is_year(y, low=1000) else _cardinal(y)
    return _pad(m, f"{words} {era}")


# --------------------------------------------------------------------------- money, %, units

_NUM = r"(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)(?:\.(?P<f>[0-9]++))?"
_SCALE = r"(?:\s?(?P<sc>thousand|million|billion|trillion|[KkMB]|bn|mn|m)(?![\w]))?"
_CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    # symbol/code: singular, plural, minor singular, minor plural ("" = no minor unit)
    "$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
    "JPY": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "INR": ("rupee", "rupees", "paisa", "paise"),
}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million",
                "B": "billion", "bn": "billion"}  # fmt: skip
_MONEY = re.compile(
    r"(?<![\w.,])(?P<neg>-)?(?P<cur>[$£€¥₹]\s?|(?:USD|EUR|GBP|JPY|INR)\s?)" + _NUM + _SCALE + r"(?![0-9])"
    r"|(?<![\w.,])"
    + _NUM.replace("<i>", "<i2>").replace("<f>", "<f2>")
    + r"\s?(?P<cur2>USD|EUR|GBP|JPY|INR)(?![\w])"
)


def _money(m: re.Match[str]) -> str:
    cur = (m.group("cur") or m.group("cur2")).strip()
    one, many, minor1, minor_n = _CURRENCIES[cur]
    i = m.group("i") or m.group("i2")
    f = m.group("f") if m.group("i") else m.group("f2")
    sc = m.group("sc") if m.group("i") else None
    neg = "minus " if m.group("i") and m.group("neg") else ""
    if sc:
        return _pad(m, f"{neg}{_number(i, f)} {_SCALE_WORDS.get(sc, sc)} {many}")
    whole = int(i.replace(",", "")) if len(i) <= 18 else 2
    if f and (len(f) > 2 or not minor1):
        return _pad(m, f"{neg}{_decimal(i, f)} {many}")
    cents = int(f.ljust(2, "0")) if f else 0
    parts = []
    if whole or not cents:
        parts.append(f"{_cardinal(i)} {one if whole == 1 else many}")
    if cents:
        parts.append(f"{_cardinal(str(cents))} {minor1 if cents == 1 else minor_n}")
    return _pad(m, neg + " and ".join(parts))


_PERCENT = re.compile(r"(?<![\w.,])(?P<neg>-)?" + _NUM + r"\s?%")


def _percent(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, f"{neg}{_number(m.group('i'), m.group('f'))} percent")


_UNITS: dict[str, tuple[str, str]] = {
    "mm": ("millimeter", "millimeters"), "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"), "km": ("kilometer", "kilometers"), "mi": ("mile", "miles"),
    "ft": ("foot", "feet"), "yd": ("yard", "yards"), "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"), "kg": ("kilogram", "kilograms"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"), "L": ("liter", "liters"), "l": ("liter", "liters"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "mph": ("mile per hour", "miles per hour"), "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "PB": ("petabyte", "petabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"), "mAh": ("milliamp hour", "milliamp hours"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"), "m²": ("square meter", "square meters"),
    "km²": ("square kilometer", "square kilometers"), "cm²": ("square centimeter", "square centimeters"),
    "m³": ("cubic meter", "cubic meters"), "cm³": ("cubic centimeter", "cubic centimeters"),
    "sq ft": ("square foot", "square feet"),
}  # fmt: skip
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_MEASURE = re.compile(
    r"(?<![\w.,])(?P<neg>[-−])?" + _NUM + r"(?:\s?(?P<u>°[CF]?|" + _UNIT_ALT + r"))(?![\w/²³])"
)


_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:a|an|A|An)\s$")


def _measure(m: re.Match[str]) -> str:
    u = m.group("u")
    if u not in _UNITS:
        return m.group(0)
    i, f = m.group("i"), m.group("f")
    one, many = _UNITS[u]
    # "a 5 km run": after an article the measure is adjectival and stays singular.
    adjectival = _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
    unit = one if (i == "1" and not f) or adjectival else many
    neg = "minus " if m.group("neg") else ""
    return _pad(m, f"{neg}{_number(i, f)} {unit}")


# --------------------------------------------------------------------------- plain numbers

_ORDINAL = re.compile(r"(?<![\w.,])(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++)(?:st|nd|rd|th)(?![\w])")
_NUMBER_SIGN = re.compile(r"(?<![\w&#])#\s?(?=[0-9])")
_FRACTION = re.compile(
    r"(?<![\w./])(?:(?P<w>[0-9]++)\s)?(?P<n>[0-9]{1,3})/(?P<d>[0-9]{1,3})(?![\w/]|[.,][0-9])"
)
_SYMBOL_MATH = re.compile(r"(?<=[0-9])\s?(?P<op>[+=×])\s?(?=[0-9-])")
_AMP = re.compile(r"\s?&\s?")
_VERSION = re.compile(r"(?<![\w.])[0-9]++(?:\.[0-9]++){2,}+(?![\w.]|\.[0-9])")
_DECIMAL = re.compile(
    r"(?<![0-9.,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++|(?<!\w))\.(?P<f>[0-9]++)(?![0-9]|\.[0-9])"
)
_CARDINAL = re.compile(
    r"(?<![0-9,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)"
)


def _ordinal_sub(m: re.Match[str]) -> str:
    return _pad(m, _ordinal(m.group("i")))


def _fraction(m: re.Match[str]) -> str:
    n, d = int(m.group("n")), int(m.group("d"))
    if m.group(0) == "24/7" or m.group(0).endswith(" 24/7"):
        head = f"{_cardinal(m.group('w'))} " if m.group("w") else ""
        return _pad(m, head + "twenty-four seven")
    if n == d:  # "50/50" is said "fifty fifty"
        body = f"{_cardinal(str(n))} {_cardinal(str(d))}"
    elif d <= 1 or n == 0 or n > d:
        body = f"{_cardinal(str(n))} over {_cardinal(str(d))}"
    else:
        if d == 2:
            den = "half" if n == 1 else "halves"
        elif d == 4:
            den = "quarter" if n == 1 else "quarters"
        else:
            den = _ordinal(str(d)) + ("" if n == 1 else "s")
        body = f"{_cardinal(str(n))} {den}"
    if m.group("w"):
        body = f"{_cardinal(m.group('w'))} and {body}"
    return _pad(m, body)


def _math(m: re.Match[str]) -> str:
    return {"+": " plus ", "=": " equals ", "×": " times "}[m.group("op")]


def _version(m: re.Match[str]) -> str:
    return _pad(m, " point ".join(_cardinal(p) for p in m.group(0).split(".")))


def _decimal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _decimal(m.group("i"), m.group("f")))


def _cardinal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _cardinal(m.group("i")))


# --------------------------------------------------------------------------- roman numerals

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_REGNAL = (
    r"Henry|Louis|Elizabeth|George|Edward|Charles|William|Richard|James|John|Paul|Benedict|Pius|Leo"
    r"|Gregory|Napoleon|Ramesses|Ramses|Mary|Victoria|Philip|Frederick|Peter|Catherine|Alexander"
    r"|Nicholas|Innocent|Clement|Boniface|Urban|Ferdinand|Ludwig|Wilhelm|Gustav|Constantine|Ptolemy"
)
_ROMAN = re.compile(
    r"(?<![\w.])(?P<ctx>(?:" + _REGNAL + r")|(?P<num>World\s+War|Chapter|Part|Volume|Book|Act|Phase"
    r"|Type|Level|Super\s+Bowl|Article|Section|Title))\s+(?P<r>[IVXLCDM]{1,7})(?![\w])"
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
    if value is None:
        return m.group(0)
    if m.group("num"):
        words = _cardinal(str(value))
        return f"{m.group('ctx')} {words.title() if 'War' in m.group('ctx') else words}"
    return f"{m.group('ctx')} the {_ordinal(str(value)).title()}"


# --------------------------------------------------------------------------- acronyms

_DOTTED = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}+(?![\w])")
_ACRONYM = re.compile(r"(?<![\w'’.-])(?P<a>[A-Z]{2,5})(?P<s>s?)(?![\w'’])")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def _dotted(m: re.Match[str]) -> str:
    out = " ".join(m.group(0).replace(".", ""))
    return _pad(m, out + ("." if _ends_sentence(m) else ""))


def _shouting(text: str) -> bool:
    caps = len(_CAPS_WORD.findall(text))
    return caps >= 4 and caps >= 0.6 * len(_WORD.findall(text))


# --------------------------------------------------------------------------- entry point


def normalize_en(text: str, *, acronyms_as_words: frozenset[str] | None = None) -> Normalized:
    """Rewrite numbers, symbols, abbreviations and acronyms in English ``text`` as words."""
    log = RuleLog()
    if (
        not any(c.isdigit() or c in "$£€¥₹%&#@+=×°" or c.isupper() or c == "." for c in text)
        and " vs " not in text
    ):
        return Normalized(text, ())  # nothing any rule could touch

    def run(pattern: re.Pattern[str], repl: _Repl, rule: str) -> None:
        nonlocal text
        text = log.sub(rule, pattern, repl, text)

    run(_EMAIL, _email, "en.email")
    run(_URL, _url, "en.url")
    run(_DOMAIN, _url, "en.url")
    run(_PHONE, _phone, "en.phone")
    run(_DATE_ISO, _date_iso, "en.date")
    run(_DATE_SLASH, _date_slash, "en.date")
    run(_DATE_MDY, _date_words, "en.date")
    run(_DATE_DMY, lambda m: _date_words(m, dmy=True), "en.date")
    run(_DATE_MY, _date_words, "en.date")
    run(_ABBR, _abbr, "en.abbreviation")
    run(_TIME, _time, "en.time")
    run(_TIME_H, _time_h, "en.time")
    run(_RANGE, _range, "en.range")
    run(_MONEY, _money, "en.currency")
    run(_PERCENT, _percent, "en.percent")
    run(_MEASURE, _measure, "en.measure")
    run(_DECADE, _decade, "en.year")
    run(_YEAR_ERA, _year_era, "en.year")
    run(_YEAR_CUE, _year_cue, "en.year")
    run(_ORDINAL, _ordinal_sub, "en.ordinal")
    run(_NUMBER_SIGN, lambda m: _pad(m, "number"), "en.symbol")
    run(_FRACTION, _fraction, "en.fraction")
    run(_SYMBOL_MATH, _math, "en.symbol")
    run(_AMP, lambda m: _pad(m, "and"), "en.symbol")
    run(_VERSION, _version, "en.decimal")
    run(_DECIMAL, _decimal_sub, "en.decimal")
    run(_CARDINAL, _cardinal_sub, "en.cardinal")
    run(_ROMAN, _roman, "en.roman")
    if not _shouting(text):
        words = DEFAULT_ACRONYMS_AS_WORDS | (acronyms_as_words or frozenset())
        run(_DOTTED, _dotted, "en.acronym")

        def acronym(m: re.Match[str]) -> str:
            a = m.group("a")
            if a in words:
                return m.group(0)
            return " ".join(a) + (m.group("s") or "")

        run(_ACRONYM, acronym, "en.acronym")
    return Normalized(text, tuple(log.rules))
