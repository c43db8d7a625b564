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
  with symbol names (example.com/a-b -> example dot com slash a dash b), digits one by one,
  "www" spelt ("w w w dot example dot com"). E-mail: "john dot doe at gmail dot com".
* Acronyms: all-caps tokens of 2-5 letters are spelled out (FBI -> F B I) unless they are in
  the built-in read-as-word set or in ``acronyms_as_words`` (union of the two). Text that is
  mostly upper case (shouting) is left alone, since spelling every word out would be wrong.
* Dates: "6/15/2024" and "06-15-2024" are US order (month/day); when the first field is over 12
  it is day/month. Dotted dates ("15.06.2024") are European, day first. "2024/06/15" is ISO.
  Month/day dates read "June fifteenth, twenty twenty-four"; day-month dates ("25 July 2012",
  "the 4th of July") read "the twenty-fifth of July, twenty twelve". Month names are matched in
  any case; a lower-case "may"/"march" or abbreviation is a month only in a full date.
* Years are also read after early/late/mid-, Q1-Q4, H1/H2, FY, "class of", "end of", and before
  nouns that date things ("the 2024 election", "the 2022 World Cup final").
* Money: a bare "$" is "dollars"; a currency named by country reads the country: US$ and USD
  -> "U S dollars", HK$ -> "Hong Kong dollars", C$/CAD, A$/AUD, CHF -> "Swiss francs";
  ¥ is yen. Ranges say the currency once ("$5-$10" -> five to ten dollars); before a noun it
  modifies a sum is singular ("a $120 million deal" -> one hundred twenty million dollar deal).
* Percent ranges say "percent" once: "2%-10%" and "2-10%" -> "two to ten percent".
* Phone numbers are read digit by digit in their groups, with commas between groups:
  "(555) 123-4567", "1-800-555-0199" (-> "one, eight zero zero, ..."), "+44 20 7946 0958"
  (7-15 digits after a "+"); a bare "555-0199" after call/phone/tel/text/fax, or when its
  second group starts with 0 or its first is 555.
* Time ranges read "to" and both ends as times: "10am-5pm" -> "ten a m to five p m",
  "9:00-17:30" -> "nine o'clock to seventeen thirty"; "Mon-Fri" -> "Monday to Friday".
* Scores and other number ranges read "to" with plain cardinals ("won 2-0" -> two to zero).
* Addresses: a house number before a street name and suffix is read in pairs ("1600
  Pennsylvania Ave NW" -> sixteen hundred Pennsylvania Avenue Northwest, "742" -> seven
  forty-two); suffixes expand with or without the dot; a state code before a ZIP code is the
  state's name and the ZIP is read digit by digit; after a place name it is the state's name
  without a ZIP too ("Austin, TX"), unless it is a word (OK, IN) or a degree after a name.
* Codes and model numbers (letters and digits in one token, "A320", "SN-48213A", "PS5"): capital
  runs are spelt (unless read as words, e.g. COVID; long runs with a vowel such as "SAVE" are
  words), digit runs of 1-2 digits are cardinals, of 3-4 digits are read in pairs ("A three
  twenty", "forty ninety"), of 5+ digits one by one; hyphens are dropped. After a model word
  (Boeing, RTX, Xbox, flight, Highway, Suite, Box...) a 3-4 digit number is read in pairs.
  After an ID word (order, SKU, serial, tracking, code, PIN, "#"), 4+ digit numbers and the
  3+ digit runs of codes are read one by one. HTTP status codes are pairs ("four oh four").
* Roman numerals only after a cue: regnal names give ordinals ("Henry the Eighth"), other cues
  (Chapter, Part, World War, Super Bowl, Episode...) cardinals; numerals with D or M are left
  alone, and so is a bare "I".
* Dimensions use "by" ("1920x1080" -> nineteen twenty by ten eighty); "10x" is "ten times".
  A lower-case "k" after a number is thousand ("100k"), except for races ("ran 5k" -> five K).
* Units are matched in any case where that is unambiguous (KG, Km, MPH, GHz, Mb -> megabytes);
  m/M, s and similar are exact. A measure before a noun it modifies is singular ("48MP camera").
* Versions after a product name or "v" read each part as a cardinal ("Python three point
  twelve", "version two point zero point one"); other decimals read digits after "point".
* Signs: "+3" -> plus three, "±" -> plus or minus; "@name" -> at name, "#tag" -> hashtag tag,
  but "#" before a number or a code ("#A12345") is "number"; "w/" and "w/o" -> with/without;
  compass points by a wind are words ("NW winds" -> Northwest). Before a number "~" is "about",
  "≈" "approximately"; powers: "x^2", "x²" -> x squared, "2^10" -> two to the power of ten;
  ">"/"<" are "greater/less than" after an operand (x > 5), else "more/less than" (">5,000
  people"); "÷" divided by, "−" minus, "©" copyright, ™/® are not read.
* "/unit" after an amount is "per" ("£5.50/kg", "$15/hr", "200 mg/day"); q/q, y/y, YoY read
  "quarter on quarter", "year on year". After "a"/"an" a sum before a noun is singular ("a $20
  ticket"). A decimal before "s" is seconds ("10.49s"); 5'11" -> five feet eleven inches,
  "2h30min" -> two hours thirty minutes.
* Fractions are scores after a verb like won/scored/got or before games, questions, people...
  ("won 7/10 games" -> seven out of ten), parts otherwise ("3/4 cup"); two numbers that add up to
  100 are a split ("the 80/20 rule" -> eighty twenty). Unicode fractions (½, ¾) read as parts.
  A month/day after a word that introduces a date is a date ("on 6/15" -> on June fifteenth,
  "by 5/17" -> by May seventeenth, but "by 1/3" stays a part); "9/11" alone is "nine eleven".
* IP addresses are read digit by digit with "dot"; "UTC+8" -> U T C plus eight; "dial 911" ->
  nine one one; file names with a common extension are read like URLs ("report dot pdf").

Patterns avoid nested quantifiers and anchor number starts with look-behinds (and possessive
quantifiers) so that 100k-character adversarial inputs run in linear time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from num2words import num2words

from clarion.text.split import VALUE_LABEL, abbreviation_ends_sentence, abbreviation_goes_on
from clarion.text.types import Normalized, RuleLog

__all__ = ["DEFAULT_ACRONYMS_AS_WORDS", "normalize_en", "spell_digits"]

DEFAULT_ACRONYMS_AS_WORDS: frozenset[str] = frozenset(
    {
        "NASA", "NATO", "UNESCO", "UNICEF", "NAFTA", "OPEC", "FIFA", "UEFA", "AIDS", "COVID",
        "SARS", "MERS", "LASER", "RADAR", "SONAR", "SCUBA", "GIF", "JPEG", "PIN", "RAM", "ROM",
        "SIM", "LAN", "WAN", "SWAT", "IKEA", "ASCII", "POTUS", "FEMA", "OSHA", "NASCAR", "ANSI",
        "DOS", "CAD", "GUI", "WIFI", "LOL", "YOLO", "FOMO", "ASAP", "NIMBY", "ZIP", "AWOL",
        "INTERPOL", "MASH", "OLED", "TOEFL", "GAAP", "DARPA", "CERN", "SAT", "ISIS", "ESPN",
        "MAX", "PRO", "FIRE", "SALE", "FREE", "NEW", "NOW", "OFF", "STOP", "LIVE", "BREAKING",
    }
)  # fmt: skip

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"Sept": 9}
# Month names in any case ("25 july 2012", "JULY 4"); whether a lower-case "may" or
# "march" is a month is decided by the date rules (only with a day and a year).
_MONTH_WORD = (
    r"(?i:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# --------------------------------------------------------------------------- number words


def _clean(words: str) -> str:
    # num2words' English is British style ("one hundred and three", commas between groups).
    return words.replace(",", "").replace(" and ", " ")


def _digits(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


spell_digits = _digits  # public: SSML's say-as reads digits one by one the same way


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
# Time zones written after a time ("5 p.m. ET", "14:00 UTC"): a full stop before one ends no sentence.
_ZONE = r"(?:[ECMPAHG][DS]?T|UTC|GMT|BST|CET|CEST|IST|JST|KST|AEST|AEDT|AKST)(?![\w])"
_TIME_ZONE_NEXT = re.compile(r"\s+" + _ZONE)


def _ends_sentence(m: re.Match[str]) -> bool:
    rest = m.string[m.end() : m.end() + 3]
    if _TIME_ZONE_NEXT.match(m.string, m.end()):  # "3:30 p.m. CT in Rm. 210"
        return False
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
            words.append(" ".join(tok) if tok.lower() == "www" else tok)
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
    r"(?<![\w.@/-])(?:[a-z0-9_-]++\.(?=[a-z0-9]))++" + _TLD + r"(?![\w-])(?:/[^\s<>\"]*+)?", re.I
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


# --------------------------------------------------------------------------- chat and signs

_HANDLE = re.compile(r"(?<![\w@.])@(?=[A-Za-z_][\w]*+)")
_HASHTAG = re.compile(r"(?<![\w&#])#(?=[A-Za-z][\w]*+)")
# "#A12345", "#B-12": "#" before a code (capitals then digits) is "number", not a hashtag.
_HASH_CODE = re.compile(r"(?<![\w&#])#\s?(?=[A-Z]{1,3}-?[0-9]{2,}+(?![A-Za-z]))")
_WITH = re.compile(r"(?<![\w/])[Ww]/(?P<o>o)?(?=\s)")
# A list item's number, at a line's start or after a colon or a sentence ("Tips: 1. Sleep well.
# 2. Drink water."), is read with a pause, not a full stop that makes it a sentence of its own.
_ITEM_NUMBER = re.compile(r"(?m)(?:^|(?<=[:;.!?]\s))(?P<n>[ \t]*[0-9]{1,2})[.)][ \t]+(?=[A-Z])")


def _item_number(m: re.Match[str]) -> str:
    if VALUE_LABEL.search(m.string, max(0, m.start() - 24), m.end("n")):  # "Score: 5. Great job."
        return m.group(0)
    if m.start() > 1 and m.string[m.start() - 2] == "." and abbreviation_goes_on(m.string, 0, m.start() - 1):
        return m.group(0)  # "on Dec. 13. See ...": the date's day, after an abbreviation
    if m.start() > 1 and m.string[m.start() - 2] == ":" and m.group("n").strip() != "1":
        return m.group(0)  # "Weight: 5. Height: 6.": after a colon a list starts at 1; others are values
    return m.group("n") + ", "


_PLUS_MINUS = re.compile(r"\s?(?:±|\+/-|\+-)\s?")
# Signs before a number are read last, when the number is already words, so that a run of
# them cannot multiply the text every later pass scans.
_NUMBER_WORD = (
    r"(?:minus\s|plus\s)?(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|point)(?![a-z])"
)
# "~200 people", "≈ 3.14": an approximate number.
_APPROX = re.compile(r"(?<![\w~])(?P<s>~|≈)\s?(?=" + _NUMBER_WORD + ")")
# "UTC+8", "GMT-5", "UTC+05:30": an offset from a time zone is plus/minus hours.
_TZ_OFFSET = re.compile(
    r"(?<![\w])(?P<z>UTC|GMT)(?P<s>[+−-])(?P<h>[0-9]{1,2}+)(?::?(?P<m>[0-5][0-9]))?(?![\w:])"
)
# "192.168.1.1": an IP address is read digit by digit with "dot".
_IP = re.compile(r"(?<![\w.])(?:[0-9]{1,3}+\.){3}[0-9]{1,3}+(?![\w]|\.[0-9])")
# "Ctrl+C", "Cmd+Shift+P", "Alt+F4": keys pressed together.
_KEYS = re.compile(
    r"(?<![\w+⌘⌥⇧⌃])(?:(?:Ctrl|CTRL|Cmd|CMD|Alt|ALT|Shift|SHIFT|Option|Opt|Win|Fn)\+|[⌘⌥⇧⌃]\+?)++"
    r"(?:F[0-9]{1,2}|[A-Za-z0-9]|Tab|Enter|Return|Esc|Delete|Del|Space|Backspace|Home|End|Insert)(?![\w+])"
)
_KEY_NAMES = {
    "ctrl": "control", "cmd": "command", "alt": "alt", "shift": "shift", "option": "option",
    "opt": "option", "win": "windows", "fn": "function", "esc": "escape", "del": "delete",
    "⌘": "command", "⌥": "option", "⇧": "shift", "⌃": "control",
}  # fmt: skip


def _keys(m: re.Match[str]) -> str:
    words = []
    for key in re.split(r"\+|(?<=[⌘⌥⇧⌃])", m.group(0)):
        name = _KEY_NAMES.get(key.lower())
        if name:
            words.append(name)
        elif key[0] == "F" and key[1:].isdigit():
            words.append(f"F {_cardinal(key[1:])}")
        else:
            words.append(key.upper() if len(key) == 1 else key)
    return _pad(m, " plus ".join(words))


# "0x80070005", "0xFF": a hexadecimal literal, spelled after the word "hex".
_HEX = re.compile(r"(?<![\w.])0[xX](?P<h>[0-9A-Fa-f]{1,16})(?![\w])")


def _hex(m: re.Match[str]) -> str:
    return _pad(m, "hex " + " ".join(_ONES[int(c)] if c.isdigit() else c.upper() for c in m.group("h")))


# "report.pdf": a file name with a common extension.
_FILE = re.compile(
    r"(?<![\w.@/-])[A-Za-z0-9_-]{1,64}+\.(?:pdf|docx?|xlsx?|pptx?|txt|csv|jpe?g|png|gif|svg|mp3|mp4|mov|wav"
    r"|zip|exe|json|xml|html?|md|py)(?![\w]|\.[A-Za-z0-9])"
)
# Identifiers: "MAX_BATCH_SIZE" -> max batch size, "get_user_id" -> get user id, "x86_64" -> x86 64.
_SNAKE_CONSTANT = re.compile(r"(?<![\w])[A-Z][A-Z0-9]*+(?:_[A-Z0-9]++)++(?![\w])")
_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_++(?=[A-Za-z0-9])")


def _snake_constant(m: re.Match[str]) -> str:
    """The parts that look like words are read as words (MAX, BATCH, SIZE); the others stay
    capitals and are spelt later (API, ID, HTTP)."""

    def wordlike(p: str) -> bool:
        vowel = [c in "AEIOU" for c in p]
        if not p.isalpha():
            return False
        return (len(p) >= 4 and any(vowel)) or (len(p) == 3 and vowel == [False, True, False])

    return " ".join(p.lower() if wordlike(p) else p for p in m.group(0).split("_"))


_PLUS = re.compile(r"(?<![\w.,)+])\+(?=[0-9])|(?<=[0-9])\+(?=[\s,.;!?)]|$)")
# "TCP/IP", "I/O", "USD/JPY", "A/B testing": a slash between capitals is a pause, not a word.
_CAPS_SLASH = re.compile(r"(?<![\w/])(?P<a>[A-Z]{1,5})/(?P<b>[A-Z]{1,5})(?![\w/])")
# "High 72°F / Low 55°F", "Yes / No": a spaced slash between words is a pause.
_SPACED_SLASH = re.compile(r"(?<=[^\W\d])\s/\s(?=[^\W\d])")
_CAPS_HYPHEN = re.compile(r"(?<=\b[A-Z]{2})(?<=[A-Z])-(?=[A-Z]\b)|(?<=\b[A-Z]{3})-(?=[A-Z]\b)")
# Compass points that go with a wind: "NW winds", "winds NW 10 mph", "from the SW at 15 mph".
_WIND = re.compile(
    r"(?<![\w.])(?P<c>N|S|E|W|NE|NW|SE|SW|NNE|NNW|ENE|ESE|SSE|SSW|WSW|WNW)"
    r"(?=\s++(?:winds?|breeze|gusts?|(?:at\s++)?[0-9]++(?:\s?(?:-|to)\s?[0-9]++)?\s?(?i:mph|km/h|kph|knots|kt|m/s)(?![\w])))"
    r"|(?<=[Ww]inds\s)(?P<c2>N|S|E|W|NE|NW|SE|SW|NNE|NNW|ENE|ESE|SSE|SSW|WSW|WNW)(?![\w])"
)
_POINTS = {"N": "north", "S": "south", "E": "east", "W": "west"}


def _plus_minus(m: re.Match[str]) -> str:
    s = m.string
    return ("" if m.start() == 0 else " ") + "plus or minus" + ("" if m.end() == len(s) else " ")


def _tz_offset(m: re.Match[str]) -> str:
    sign = "plus" if m.group("s") == "+" else "minus"
    out = f"{m.group('z')} {sign} {_cardinal(str(int(m.group('h'))))}"
    if m.group("m") and m.group("m") != "00":
        out += f" {_cardinal(m.group('m'))}"
    return out


_VERSION_WORD_BEFORE = re.compile(r"(?i:version|ver\.|release|build|firmware|update|patch|kernel)\s++$")


def _ip(m: re.Match[str]) -> str:
    parts = m.group(0).split(".")
    if any(int(p) > 255 for p in parts) or _VERSION_WORD_BEFORE.search(
        m.string, max(0, m.start() - 12), m.start()
    ):
        return m.group(0)
    return _pad(m, " dot ".join(_digits(p) for p in parts))


def _wind(m: re.Match[str]) -> str:
    c = m.group("c") or m.group("c2")
    # "NNW" -> north-northwest
    out = "".join(_POINTS[x] for x in c) if len(c) < 3 else f"{_POINTS[c[0]]}-{_POINTS[c[1]]}{_POINTS[c[2]]}"
    before = m.string[max(0, m.start() - 3) : m.start()].rstrip()
    return out.capitalize() if before == "" or before[-1] in ".!?:" else out


# --------------------------------------------------------------------------- phone numbers

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


def _phone(m: re.Match[str]) -> str:
    parts = [_digits(m.group("a1") or m.group("a2")), _digits(m.group("b")), _digits(m.group("c"))]
    if m.group("cc"):
        parts.insert(0, "plus one" if m.group("cc").startswith("+") else "one")
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
    "Approx": "Approximately",
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
    r"|(?<![\w.])(?P<vs>vs)(?=\s)"
    r"|(?<![\w.])(?P<no>No|no|Nos)\.\s?(?=[0-9])"
)
# References before a number: "p. 12", "pp. 10-15", "Fig. 3", "vol. 2", "ch. 4", "Eq. 7".
_REF = {
    "p": "page", "pp": "pages", "fig": "figure", "figs": "figures", "vol": "volume", "vols": "volumes",
    "ch": "chapter", "chap": "chapter", "eq": "equation", "para": "paragraph",
}  # fmt: skip
# "vol. II", "ch. IV": a Roman numeral after one is a number too.
_REF_ABBR = re.compile(
    r"(?<![\w.])(?P<w>[Pp]p?|[Ff]igs?|[Vv]ols?|[Cc]hap|[Cc]h|[Ee]q|[Pp]ara)\.\s?"
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
    return out + "." if _ends_sentence(m) and w not in ("incl", "excl") else out


# --------------------------------------------------------------------------- addresses

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
_STATE_ZIP = re.compile(r"(?<=,\s)(?P<st>[A-Z]{2})\s(?P<zip>[0-9]{5})(?:-(?P<z4>[0-9]{4}))?(?![\w-])")
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
    elif m.group("dot") and _ends_sentence(m):
        out += "."
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
    out = f"{state} {_digits(m.group('zip'))}"
    if m.group("z4"):
        out += f", {_digits(m.group('z4'))}"
    return out


# --------------------------------------------------------------------------- dates

_DAY = r"(?P<d>[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR4 = r"(?P<y>[12][0-9]{3})"
# "May 1-3, 2025", "1–3 May": a range of days in one month.
_DAY_TO = r"(?:\s?[-–—]\s?(?P<d2>[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?)?"
_DATE_MDY = re.compile(
    r"(?<![\w.])(?P<m>"
    + _MONTH_WORD
    + r")\s+"
    + _DAY
    + _DAY_TO
    + r"(?![\w])(?:,?\s+"
    + _YEAR4
    + r"(?![\w]))?"
)
# "Jan-15-2020": with hyphens only in full, since "Jan-15" alone may be January 2015.
_DATE_HYPHENS = re.compile(
    r"(?<![\w.-])(?P<m>" + _MONTH_WORD + r")-(?P<d>[12][0-9]|3[01]|0?[1-9])-" + _YEAR4 + r"(?![\w-])"
)
_DATE_DMY = re.compile(
    r"(?<![\w.])(?:the\s+)?" + _DAY + _DAY_TO + r"(?:\s+of)?\s+(?P<m>" + _MONTH_WORD + r")(?![\w])"
    r"(?:,?\s+" + _YEAR4 + r"(?![\w]))?"
)
# "Jan-Mar", "June–August": months to months.
_MONTH_RANGE = re.compile(
    r"(?<![\w.])(?P<a>" + _MONTH_WORD + r")\s?[-–—]\s?(?P<b>" + _MONTH_WORD + r")(?![\w])"
)
# "Q1-Q3", "H1–H2": quarters and halves to quarters and halves.
_PERIOD_RANGE = re.compile(r"(?<![\w.])(?P<a>[QH][1-4])\s?[-–—]\s?(?P<b>[QH][1-4])(?![\w])")
_DATE_MY = re.compile(r"(?<![\w.])(?P<m>" + _MONTH_WORD + r")\s+" + _YEAR4 + r"(?![\w])")
_DATE_ISO = re.compile(
    r"(?<![\w.-])"
    + _YEAR4
    + r"(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)(?P<d>0?[1-9]|[12][0-9]|3[01])(?![\w/-]|\.\w)"
)
_DATE_SLASH = re.compile(
    r"(?<![\w./-])(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)(?P<y>[12][0-9]{3}|[0-9]{2})"
    r"(?![\w/-]|[.,][0-9])"
)


def _month_num(word: str) -> int:
    word = word.rstrip(".").capitalize()
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
        if len(year) == 2:  # "6/15/24": the century nearest today
            year = ("20" if int(year) < 50 else "19") + year
        out += (", " if day is not None else " ") + _year(int(year))
    return out


def _plausible_month(m: re.Match[str]) -> bool:
    """A lower-case month word that is also a common word ("may", "march", "mar") is a month
    only in a full date, another abbreviation with a day ("jan 5"); a capitalised one needs no
    more."""
    word = m.group("m").rstrip(".")
    if word[0].isupper():
        return True
    day = m.groupdict().get("d") is not None
    if word in ("may", "march", "mar"):
        return day and m.groupdict().get("y") is not None
    return day or word.capitalize() in _MONTHS


def _date_words(m: re.Match[str], dmy: bool = False) -> str:
    if not _plausible_month(m):
        return m.group(0)
    day = m.groupdict().get("d")
    out = _say_date(_month_num(m.group("m")), int(day) if day else None, m.group("y"), dmy)
    if m.groupdict().get("d2"):
        first, last = _ordinal(str(int(day or 0))), _ordinal(str(int(m.group("d2"))))
        out = out.replace(first, f"{first} to {'the ' if dmy else ''}{last}", 1)
    # Keep a full stop if the month abbreviation's dot was the sentence end.
    if m.group(0).endswith(".") and _ends_sentence(m):
        out += "."
    return _pad(m, out)


def _month_range(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if not (a[0].isupper() and b[0].isupper()):
        return m.group(0)
    out = f"{_MONTHS[_month_num(a) - 1]} to {_MONTHS[_month_num(b) - 1]}"
    return _pad(m, out + ("." if b.endswith(".") and _ends_sentence(m) else ""))


def _date_iso(m: re.Match[str]) -> str:
    return _pad(m, _say_date(int(m.group("m")), int(m.group("d")), m.group("y")))


def _date_slash(m: re.Match[str]) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    if m.group("sep") == ".":  # dotted dates are European: day first unless impossible
        a, b = b, a
    month, day = (a, b) if a <= 12 else (b, a)  # US order unless impossible
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    if len(m.group("y")) == 2 and m.group("sep") != "/":
        return m.group(0)  # "12-5-24" is too likely a score or a code
    return _pad(m, _say_date(month, day, m.group("y")))


# --------------------------------------------------------------------------- times

_AMPM = (
    r"(?:\s?(?P<ap>[AaPp])\.?\s?[Mm]"
    r"(?:\.(?=\s*+(?:[a-z0-9,;)–—-]|" + _ZONE + r"))|(?![\w])))"
)
_TIME = re.compile(
    r"(?<![\w.:])(?P<h>[01]?[0-9]|2[0-3]):(?P<mm>[0-5][0-9])(?::(?P<ss>[0-5][0-9]))?(?:(?![\w:])|(?=[AaPp]\.?[Mm](?![\w])))"
    + _AMPM
    + "?"
    r"|(?<![\w.:])(?P<h2>1[0-2]|0?[1-9])\.(?P<mm2>[0-5][0-9])" + _AMPM.replace("<ap>", "<ap2>")
)
_TIME_H = re.compile(r"(?<![\w.:])(?P<h>1[0-2]|0?[1-9])" + _AMPM)
# Military times: "0730 hours", "at 0600", "from 0800 to 1700 hours" -> oh seven thirty, oh six
# hundred, eight hundred... A four-digit number before "hours" is a time after a time word or
# with its leading zero ("spent 1200 hours" stays a count).
_MILITARY_TIME = re.compile(
    r"(?<![\w.,:$#])(?P<h>[01][0-9]|2[0-3])(?P<mm>[0-5][0-9])(?P<suf>\s?(?:hours|hrs)\b)?(?![\w%]|[.,:][0-9]|\s%)"
)
_TIME_WORD_BEFORE = re.compile(r"(?:^|\W)(?P<w>(?i:at|by|from|till|until|after|before|between|to|and))\s$")


def _military_time(m: re.Match[str]) -> str:
    h, mm = m.group("h"), m.group("mm")
    cue = _TIME_WORD_BEFORE.search(m.string, max(0, m.start() - 9), m.start())
    if m.group("suf"):
        if cue is None and h[0] != "0":
            return m.group(0)
    elif h[0] != "0" or cue is None or cue.group("w").lower() in ("to", "and"):
        return m.group(0)
    hours = ("oh " + _cardinal(h[1]) if h != "00" else "zero") if h[0] == "0" else _cardinal(h)
    minutes = "hundred" if mm == "00" else ("oh " + _cardinal(mm[1]) if mm[0] == "0" else _cardinal(mm))
    return _pad(m, f"{hours} {minutes}" + (" hours" if m.group("suf") else ""))


# What is left of "a:b" once times have been read: a ratio or a score ("2:1", "16:9", "1:50000").
_RATIO = re.compile(
    r"(?<![\w.:])(?P<a>[0-9]++):(?P<b>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)(?![\w:]|[.,][0-9])"
)
# Past the hours of a clock, minutes and seconds: "ran a 5K in 25:13" (twenty-five thirteen);
# a score or a ratio says so before it ("won 27:24", "odds of 30:1").
_RATIO_CUE = re.compile(
    r"(?i:ratio|odds|score|scored|won|win|wins|lost|loss|beat|beats|defeated|victory|aspect|scale)\W{1,3}+(?:of\s)?$"
)


def _ratio(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if (
        "," not in b
        and 24 <= int(a) <= 59
        and len(b) == 2
        and b[0] in "012345"
        and not _RATIO_CUE.search(m.string, max(0, m.start() - 16), m.start())
    ):
        if b == "00":  # "the 45:00 mark"
            return _pad(m, f"{_cardinal(a)} minutes")
        seconds = f"oh {_cardinal(b[1])}" if b[0] == "0" else _cardinal(b)
        return _pad(m, f"{_cardinal(a)} {seconds}")
    return f"{a} to {b}"


# "10am-5pm", "9:00-17:30", "10-11 a.m.", "8:30 to 10": both ends read as times.
_CLOCK = r"(?:1[0-9]|2[0-3]|0?[0-9])(?::[0-5][0-9])?+(?:\s?[AaPp]\.?\s?[Mm]\.?(?![\w]))?"
_TIME_RANGE = re.compile(
    r"(?<![\w.:$-])(?P<a>"
    + _CLOCK
    + r")(?P<sep>\s?[-–—]\s?|\s(?:to|until|till)\s)(?P<b>"
    + _CLOCK
    + r")(?![\w:]|[.,][0-9])"
)
_CLOCK_PARTS = re.compile(r"(?P<h>[0-9]++)(?::(?P<mm>[0-9]{2}))?(?:\s?(?P<ap>[AaPp])\.?\s?[Mm](?P<dot>\.)?)?")


_WEEKDAYS = {
    "Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
    "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday",
}  # fmt: skip
_WEEKDAY_ALT = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_WEEKDAY_RANGE = re.compile(
    r"(?<![\w.])(?P<a>" + _WEEKDAY_ALT + r")\.?\s?[-–—]\s?(?P<b>" + _WEEKDAY_ALT + r")\.?(?![\w])"
)


def _weekday_range(m: re.Match[str]) -> str:
    return _pad(m, f"{_WEEKDAYS[m.group('a')]} to {_WEEKDAYS[m.group('b')]}")


def _time_words(h: str, mm: str | None, ss: str | None, ap: str | None) -> str:
    hour = _cardinal(str(int(h)))
    if mm is None:
        out = hour
    elif mm == "00":
        if ap and not (ss and int(ss)):
            out = hour
        elif int(h) >= 13:
            out = f"{hour} hundred"
        else:
            out = f"{hour} o'clock"
    elif mm.startswith("0"):
        out = f"{hour} oh {_ONES[int(mm[1])]}"
    else:
        out = f"{hour} {_cardinal(mm)}"
    if ss and int(ss):  # "12:00:00" is twelve o'clock, not "and zero seconds"
        secs = int(ss)
        out += f" and {_cardinal(str(secs))} second{'s' if secs != 1 else ''}"
    if ap:
        out += f" {ap.lower()} m"
    return out


# h:mm:ss after a word for how long something took, or before "long", is a duration.
_DURATION_BEFORE = re.compile(
    r"(?:^|\W)(?i:in|took|takes|lasted|lasts|lasting|time\s+of|clocked|clocking|runtime|running\s+time|duration"
    r"|length|finished\s+in)\s$"
)
_DURATION_AFTER = re.compile(r"\s(?:long|runtime|duration|marathon|finish)\b")


def _duration_words(h: str, mm: str, ss: str) -> str:
    parts = [(int(h), "hour"), (int(mm), "minute"), (int(ss), "second")]
    said = [f"{_cardinal(str(n))} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else (said or ["zero seconds"])[0]


def _time(m: re.Match[str]) -> str:
    if m.group("h2"):
        return _pad(m, _time_words(m.group("h2"), m.group("mm2"), None, m.group("ap2")))
    if (
        m.group("ss")
        and not m.group("ap")
        and (
            _DURATION_BEFORE.search(m.string, max(0, m.start() - 16), m.start())
            or _DURATION_AFTER.match(m.string, m.end())
        )
    ):  # "finished in 2:05:30": two hours, five minutes and thirty seconds
        return _pad(m, _duration_words(m.group("h"), m.group("mm"), m.group("ss")))
    return _pad(m, _time_words(m.group("h"), m.group("mm"), m.group("ss"), m.group("ap")))


def _time_h(m: re.Match[str]) -> str:
    return _pad(m, f"{_cardinal(str(int(m.group('h'))))} {m.group('ap').lower()} m")


def _time_range(m: re.Match[str]) -> str:
    a = _CLOCK_PARTS.fullmatch(m.group("a"))
    b = _CLOCK_PARTS.fullmatch(m.group("b"))
    if a is None or b is None:
        return m.group(0)
    clock_a = a.group("mm") is not None or a.group("ap") is not None
    clock_b = b.group("mm") is not None or b.group("ap") is not None
    # A time at one end at least, and no 24-hour hour with a.m./p.m.
    if not (clock_a and clock_b) and not (b.group("ap") and not a.group("mm")):
        return m.group(0)
    for p in (a, b):
        if p.group("ap") and not 1 <= int(p.group("h")) <= 12:
            return m.group(0)
    sep = m.group("sep").strip()
    sep = sep if sep.isalpha() else "to"
    out = (
        f"{_time_words(a.group('h'), a.group('mm'), None, a.group('ap'))} {sep} "
        f"{_time_words(b.group('h'), b.group('mm'), None, b.group('ap'))}"
    )
    if b.group("dot") and _ends_sentence(m):
        out += "."
    return _pad(m, out)


# --------------------------------------------------------------------------- ranges / years

_RANGE = re.compile(
    r"(?<![\w.,/:-])(?P<a>[0-9]++(?:\.[0-9]++)?)(?:-|\s?[–—]\s?)(?P<b>[0-9]++(?:\.[0-9]++)?)(?![\w/:-]|[.,][0-9])"
)


def _is_year(s: str, low: int = 1100) -> bool:
    return len(s) == 4 and low <= int(s) <= 2099


_EQUALS_NEXT = re.compile(r"\s?=")


def _range(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if _EQUALS_NEXT.match(m.string, m.end()):  # "1-2=5": a subtraction
        return f"{a} minus {b}"
    if _is_year(a) and _is_year(b):
        return _pad(m, f"{_year(int(a))} to {_year(int(b))}")
    if _is_year(a) and len(b) == 2 and int(b) > int(a[2:]):  # "the 2024-25 season"
        return _pad(m, f"{_year(int(a))} to {_cardinal(b)}")
    return f"{a} to {b}"


# "1960s-80s", "the 1960s–1980s": decades to decades.
_DECADE_RANGE = re.compile(r"(?<=[0-9]0s)\s?[-–—]\s?(?=(?:1[0-9]|20)?[0-9]0s(?![\w'’]))")
# Retirement plans named after their section of the tax code: 401(k) -> four oh one k.
_TAX_PLAN = re.compile(r"(?<![\w.])(?P<n>401|403|457)\s?\((?P<l>[a-z])\)")
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
    r"|[Cc]irca|c\.|[Yy]ear|[Tt]he\s+year|[Ss]pring|[Ss]ummer|[Aa]utumn|[Ff]all|[Ww]inter|[Ee]arly|[Ll]ate"
    r"|[Mm]id-|[Mm]id|Q[1-4]|H[12]|FY|[Cc]lass\s+of|[Ee]nd\s+of|[Ss]tart\s+of|[Bb]eginning\s+of|[Hh]alf\s+of"
    r"|Euro|Cup|Olympics|Games|Expo|[Ss]ummer\s+of|[Ww]inter\s+of|[Ss]pring\s+of|[Ff]all\s+of|[Aa]utumn\s+of"
    r"|[Vv]intage|[Mm]odel\s+year|[Ss]eason|[Cc]ensus|[Bb]udget|[Ee]lection)(?:\s+|(?<=-)))"
    r"(?P<y>[12][0-9]{3})(?![\w:]|[.,][0-9])(?!\s+" + _COUNT_NOUNS + r")"
    r"(?:(?P<sep>\s+(?:to|and|until|through)\s+)(?P<y2>[12][0-9]{3})(?![\w:]|[.,][0-9]))?"
)
# "the 2024 election", "his 1998 album": a year before a noun that dates things.
_YEAR_NOUN = re.compile(
    r"(?<![\w.,$£€¥-])(?P<y>1[5-9][0-9]{2}|20[0-9]{2})(?=\s++(?:(?:presidential|general|midterm|regular"
    r"|Summer|Winter|fiscal|model|calendar|academic|school|US|U\.S\.|World)\s++)?(?:election|elections|midterms"
    r"|season|seasons|Olympics|Olympic|Games|World\s+Cup|Cup|census|budget|model|models|edition|campaign|summit"
    r"|tour|championship|championships|final|finals|draft|film|movie|album|crisis|earthquake|war|storm"
    r"|hurricane|Oscars|Grammys|report|year|vintage|survey|recession|pandemic|playoffs|Series|Open|Expo"
    r"|Ford|Toyota|Honda|Chevy|Chevrolet|BMW|Tesla|graduates|class|flood|attack|attacks|law|act|Act|study"
    r"|debut|release|version|update|remake|sequel|reboot|Super\s+Bowl|Tour|Grand\s+Prix|Marathon)(?![\w]))"
)
# "(1988)", "Starling, Arthur E. (1988)": a year alone in brackets, as in citations.
_YEAR_PAREN = re.compile(r"(?<=\()\s?(?P<y>1[1-9][0-9]{2}|20[0-9]{2})\s?(?=\))")
# "the class of '99", "back in '08", "Q3 '22": a year cut to two digits after an apostrophe.
_YEAR_SHORT = re.compile(r"(?:(?<=Q[1-4])|(?<=H[12])|(?<![\w'’]))['’](?P<y>[0-9]{2})(?![\w'’%])")
_YEAR_ERA = re.compile(
    r"(?<![\w.,])(?P<y>[0-9]{1,4})\s?(?P<era>AD|BC|BCE|CE|A\.D\.|B\.C\.(?:E\.)?|C\.E\.|[AB]\.[DC](?![\w.]))(?![\w])"
)


def _year_cue(m: re.Match[str]) -> str:
    y = m.group("y")
    if not _is_year(y, low=1000):  # a cue word makes 1000-1099 (by 1066) a year too
        return m.group(0)
    out = m.group("cue") + _year(int(y))
    if m.group("y2"):
        y2 = m.group("y2")
        out += m.group("sep") + (_year(int(y2)) if _is_year(y2, low=1000) else _cardinal(y2))
    return _pad(m, out)


def _year_short(m: re.Match[str]) -> str:
    y = m.group("y")
    words = "two thousand" if y == "00" else f"oh {_ONES[int(y[1])]}" if y[0] == "0" else _cardinal(y)
    return _pad(m, words)


def _year_era(m: re.Match[str]) -> str:
    y = m.group("y")
    era = " ".join(m.group("era").replace(".", ""))
    words = _year(int(y)) if _is_year(y, low=1000) else _cardinal(y)
    stop = "." if m.group("era").endswith(".") and _ends_sentence(m) else ""  # "753 B.C. The city"
    return _pad(m, f"{words} {era}{stop}")


# --------------------------------------------------------------------------- money, %, units

_NUM = r"(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)(?:\.(?P<f>[0-9]++))?"
# ".5 kg": a measure may start at the point.
_NUM_OR_POINT = r"(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++|(?=\.[0-9]))(?:\.(?P<f>[0-9]++))?"
_SCALE = r"(?:\s?(?P<sc>thousand|million|billion|trillion|[KkMBT]|bn|mn|tn|m|(?<=[0-9])b)(?![\w]))?"
_CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    # symbol/code: singular, plural, minor singular, minor plural ("" = no minor unit)
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("U S dollar", "U S dollars", "cent", "cents"),
    "USD": ("U S dollar", "U S dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "HKD": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AUD": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CAD": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "NZD": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "S$": ("Singapore dollar", "Singapore dollars", "cent", "cents"),
    "SGD": ("Singapore dollar", "Singapore dollars", "cent", "cents"),
    "NT$": ("New Taiwan dollar", "New Taiwan dollars", "", ""),
    "TWD": ("New Taiwan dollar", "New Taiwan dollars", "", ""),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
    "JPY": ("yen", "yen", "", ""),
    "CNY": ("yuan", "yuan", "", ""),
    "RMB": ("yuan", "yuan", "", ""),
    "₩": ("won", "won", "", ""),
    "KRW": ("won", "won", "", ""),
    "CHF": ("Swiss franc", "Swiss francs", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "INR": ("rupee", "rupees", "paisa", "paise"),
    "Rs": ("rupee", "rupees", "paisa", "paise"),
    "₽": ("ruble", "rubles", "", ""),
    "RUB": ("ruble", "rubles", "", ""),
    "MXN": ("peso", "pesos", "centavo", "centavos"),
}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million",
                "B": "billion", "b": "billion", "bn": "billion", "T": "trillion",
                "tn": "trillion"}  # fmt: skip
_CODES = "|".join(c for c in _CURRENCIES if c.isalpha() and c.isupper())
_SYMBOLS = r"(?:US|HK|AU?|CA?|NZ|S|NT)\$|[$£€¥₹₩₽]|Rs\.?"
_MONEY = re.compile(
    r"(?<![\w.,])(?P<neg>[-−])?(?P<cur>(?:"
    + _SYMBOLS
    + r")\s?|(?:"
    + _CODES
    + r")\s?)"
    + _NUM_OR_POINT  # "$.50": fifty cents
    + _SCALE
    + r"(?![0-9])|(?<![\w.,])"
    + _NUM.replace("<i>", "<i2>").replace("<f>", "<f2>")
    + r"\s?(?P<cur2>"
    + _CODES
    + r")(?![\w])"
)
# "$5-$10", "$5-10", "€3–4 million": one currency for both ends.
_MONEY_RANGE = re.compile(
    r"(?<![\w.,])(?P<cur>(?:" + _SYMBOLS + r")\s?|(?:" + _CODES + r")\s)(?P<a>[0-9][0-9,]*+(?:\.[0-9]++)?)"
    r"(?P<sca>\s?(?:[KkMBT]|bn|mn|m)(?![\w]))?\s?[-–—]\s?(?:"
    + _SYMBOLS
    + r")?(?P<b>[0-9][0-9,]*+(?:\.[0-9]++)?)"
    + _SCALE
    + r"(?![0-9])"
)


def _currency(cur: str) -> tuple[str, str, str, str]:
    return _CURRENCIES[cur.strip().rstrip(".")]


def _money_words(cur: str, i: str, f: str | None, sc: str | None, neg: str = "") -> str:
    one, many, minor1, minor_n = _currency(cur)
    if sc:
        return f"{neg}{_number(i, f)} {_SCALE_WORDS.get(sc, sc)} {many}"
    whole = int(i.replace(",", "") or 0) if len(i) <= 18 else 2
    if f and (len(f) > 2 or not minor1):
        return f"{neg}{_decimal(i, f)} {many}"
    cents = int(f.ljust(2, "0")) if f else 0
    parts = []
    if whole or not cents:
        parts.append(f"{_cardinal(i or '0')} {one if whole == 1 else many}")
    if cents:
        parts.append(f"{_cardinal(str(cents))} {minor1 if cents == 1 else minor_n}")
    return neg + " and ".join(parts)


# Nouns a sum of money modifies: "a $5 bill", "a $120 million deal" (singular "dollar").
_MONEY_NOUN = re.compile(
    r"\s(?:bill|note|coin|deal|contract|budget|fine|loan|project|program|programme|investment|settlement"
    r"|bond|fund|lawsuit|check|cheque|gift|purchase|bonus|raise|package|plan|payment|tip|fee|donation"
    r"|question|company|industry|business|house|home|mansion|grant|bailout|stimulus|acquisition)(?![\w])"
)


# After "a"/"an", a sum before a plain noun is adjectival too: "a $20 ticket", "a 25¢ stamp".
_ADJECTIVE_NEXT = re.compile(
    r"\s(?!(?:of|or|and|to|per|a|an|the|in|for|with|from|at|on|each|apiece|more|less|worth|plus|minus|off"
    r"|down|up|back|is|was|are|were|will|would|can|could|by|than|too|so|as|if|but|now|then|that|this|it"
    r"|which|who|net|total|tops|max|min|or\s+so)(?![\w'’]))[a-z][a-z-]*+(?![\w'’])"
)


def _modifies_noun(m: re.Match[str]) -> bool:
    s = m.string
    if _MONEY_NOUN.match(s, m.end()):
        return True
    return (
        _ARTICLE_BEFORE.search(s, max(0, m.start() - 4), m.start()) is not None
        and _ADJECTIVE_NEXT.match(s, m.end()) is not None
    )


def _money(m: re.Match[str]) -> str:
    if m.group("cur") is not None:
        neg = "minus " if m.group("neg") else ""
        out = _money_words(m.group("cur"), m.group("i"), m.group("f"), m.group("sc"), neg)
        one, many = _currency(m.group("cur"))[:2]
        if out.endswith(" " + many) and one != many and _modifies_noun(m):
            out = out[: -len(many)] + one
        return _pad(m, out)
    return _pad(m, _money_words(m.group("cur2"), m.group("i2"), m.group("f2"), None))


_NUM_FULL = re.compile(_NUM)


def _money_range(m: re.Match[str]) -> str:
    a, b, cur = m.group("a"), m.group("b"), m.group("cur")
    sca = (m.group("sca") or "").strip() or None
    sc = m.group("sc")
    if not _NUM_FULL.fullmatch(a) or not _NUM_FULL.fullmatch(b):
        return m.group(0)
    ia, _, fa = a.partition(".")
    ib, _, fb = b.partition(".")
    if sc or sca or ("." not in a and "." not in b):
        head = _number(ia, fa or None) + (f" {_SCALE_WORDS.get(sca, sca)}" if sca and sca != sc else "")
        tail = _number(ib, fb or None) + (f" {_SCALE_WORDS.get(sc, sc)}" if sc else "")
        return _pad(m, f"{head} to {tail} {_currency(cur)[1]}")
    return _pad(m, f"{_money_words(cur, ia, fa or None, None)} to {_money_words(cur, ib, fb or None, None)}")


_CENTS = re.compile(r"(?<![\w.,])" + _NUM + r"\s?¢")


def _cents(m: re.Match[str]) -> str:
    one = (m.group("i") == "1" and not m.group("f")) or _modifies_noun(m)
    unit = "cent" if one else "cents"
    return _pad(m, f"{_number(m.group('i'), m.group('f'))} {unit}")


# "2%-10%", "2-10%", "5.25% to 5.5%": a percent range says "percent" once.
_PERCENT_RANGE = re.compile(
    r"(?<![\w.,])(?P<neg>[-−+])?"
    + _NUM
    + r"\s?%?\s?(?:[-–—]|\sto\s)\s?(?P<neg2>[-−+])?"
    + _NUM.replace("<i>", "<i2>").replace("<f>", "<f2>")
    + r"\s?%"
)


def _percent_range(m: re.Match[str]) -> str:
    a = ("minus " if m.group("neg") in ("-", "−") else "") + _number(m.group("i"), m.group("f"))
    b = ("minus " if m.group("neg2") in ("-", "−") else "") + _number(m.group("i2"), m.group("f2"))
    return _pad(m, f"{a} to {b} percent")


_PERCENT = re.compile(r"(?<![\w.,])(?P<neg>[-−+])?" + _NUM + r"\s?%")


def _percent(m: re.Match[str]) -> str:
    neg = {"-": "minus ", "−": "minus ", "+": "plus "}.get(m.group("neg") or "", "")
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
    "sq ft": ("square foot", "square feet"), "sq. ft.": ("square foot", "square feet"),
    "sqft": ("square foot", "square feet"), "sq m": ("square meter", "square meters"),
    "mins": ("minute", "minutes"), "secs": ("second", "seconds"), "yr": ("year", "years"),
    "yrs": ("year", "years"), "wk": ("week", "weeks"), "wks": ("week", "weeks"),
    "fps": ("frame per second", "frames per second"),
    "rpm": ("revolution per minute", "revolutions per minute"),
    "dpi": ("dot per inch", "dots per inch"), "MP": ("megapixel", "megapixels"),
    "hPa": ("hectopascal", "hectopascals"), "kPa": ("kilopascal", "kilopascals"),
    "mmHg": ("millimeter of mercury", "millimeters of mercury"), "kcal": ("kilocalorie", "kilocalories"),
    "nm": ("nanometer", "nanometers"), "µm": ("micrometer", "micrometers"),
    "μm": ("micrometer", "micrometers"),
    "MW": ("megawatt", "megawatts"), "GW": ("gigawatt", "gigawatts"),
    "GWh": ("gigawatt hour", "gigawatt hours"),
    "kV": ("kilovolt", "kilovolts"), "Wh": ("watt hour", "watt hours"), "gal": ("gallon", "gallons"),
    "tsp": ("teaspoon", "teaspoons"), "tbsp": ("tablespoon", "tablespoons"), "kt": ("knot", "knots"),
    "bps": ("basis point", "basis points"), "bp": ("basis point", "basis points"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Tbps": ("terabit per second", "terabits per second"),
    "m/s": ("meter per second", "meters per second"), "℃": ("degree Celsius", "degrees Celsius"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"), "km2": ("square kilometer", "square kilometers"),
    "m2": ("square meter", "square meters"), "pts": ("point", "points"), "atm": ("atmosphere", "atmospheres"),
    "km³": ("cubic kilometer", "cubic kilometers"), "mm³": ("cubic millimeter", "cubic millimeters"),
    "m3": ("cubic meter", "cubic meters"), "kgs": ("kilogram", "kilograms"), "mos": ("month", "months"),
    "psi": ("pound per square inch", "pounds per square inch"), "qt": ("quart", "quarts"),
    "mbar": ("millibar", "millibars"), "bpm": ("beat per minute", "beats per minute"),
    "BPM": ("beat per minute", "beats per minute"),
}  # fmt: skip
# Units people write in any case ("12KG", "5 Km", "30 MPH", "3.2 ghz"); the others only as listed,
# since case changes their meaning (m/M, mW/MW, s/S, Mb/MB in the exact list).
_UNITS_ANY_CASE = {
    u.lower(): _UNITS[u]
    for u in ("kg", "km", "cm", "mm", "mg", "ml", "mph", "kph", "km/h", "kWh", "kW", "mAh", "Mbps", "Gbps",
              "kHz", "MHz", "GHz", "Hz", "KB", "MB", "GB", "TB", "lb", "lbs", "oz", "ft", "°C", "°F",
              "sq ft", "fps", "rpm", "kcal", "mins", "hrs")
}  # fmt: skip
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_ANY_ALT = "|".join(re.escape(u) for u in sorted(_UNITS_ANY_CASE, key=len, reverse=True))
_ANY_UNIT = _UNIT_ALT + r"|(?i:" + _UNIT_ANY_ALT + r")"  # exact case first, then any case
# "km" but not "kmh", "m." but not "m.sc"; "72°F/22°C" is two measures, "km/h" one.
_UNIT_END = r"(?![\w²³]|/(?![0-9])|(?<=\.)[A-Za-z])"
_MEASURE = re.compile(
    r"(?<![\w.,])(?P<neg>[-−+])?" + _NUM_OR_POINT + r"(?:\s?(?P<u>°\s?[CF]?|" + _ANY_UNIT + r"))" + _UNIT_END
)

# "3-5kg", "2.5-3.5 cm": a range whose unit follows its second end reads "to" as other ranges.
_RANGE_UNIT = re.compile(
    r"(?<![\w.,/:-])(?P<a>[0-9]++(?:\.[0-9]++)?)(?:-|\s?[–—]\s?)(?=[0-9]++(?:\.[0-9]++)?\s?(?:"
    + _ANY_UNIT
    + r")"
    + _UNIT_END
    + r"|[0-9]++(?:\.[0-9]++)?[KMB]\+?\s[a-z])"  # "3-5M users": a count, as _MEGA reads it
)

# "100 million kg": a unit after a scale word that a number read already.
_SCALE_UNIT = re.compile(
    r"(?:(?<=\bhundred\s)|(?<=\bthousand\s)|(?<=illion\s))(?P<u>" + _ANY_UNIT + r")" + _UNIT_END
)


def _unit_words(u: str) -> tuple[str, str] | None:
    """(singular, plural) of a unit as written, if it is one."""
    return _UNITS.get(u) or _UNITS_ANY_CASE.get(u.lower())


# "/unit" after an amount is "per": "£5.50/kg", "$15/hr", "200 mg/day", "9.8 m/s²".
_PER_UNITS = {
    "kg": "kilogram", "g": "gram", "lb": "pound", "oz": "ounce", "gal": "gallon", "L": "liter",
    "l": "liter", "ml": "milliliter", "mL": "milliliter", "dL": "deciliter", "h": "hour", "hr": "hour",
    "hour": "hour", "min": "minute", "minute": "minute", "s": "second", "sec": "second",
    "second": "second", "s²": "second squared", "s2": "second squared", "day": "day", "wk": "week",
    "week": "week", "mo": "month", "month": "month", "yr": "year", "year": "year", "night": "night",
    "person": "person", "head": "head", "unit": "unit", "share": "share", "item": "item",
    "piece": "piece", "km": "kilometer", "mi": "mile", "mile": "mile", "m": "meter", "ft": "foot",
    "sq ft": "square foot", "sqft": "square foot", "m²": "square meter", "m2": "square meter",
    "kWh": "kilowatt hour", "ton": "ton", "tonne": "tonne", "bbl": "barrel", "barrel": "barrel",
    "user": "user", "seat": "seat", "serving": "serving", "dose": "dose", "game": "game",
    "page": "page", "word": "word", "visit": "visit",
}  # fmt: skip
_PER = re.compile(
    r"(?<![\w.,/])(?P<left>[0-9][0-9,]*+(?:\.[0-9]++)?(?:\s?(?:%|[KkMB]|bn|mn|"
    + _ANY_UNIT
    + r"))?)/(?P<d>"
    + "|".join(re.escape(u) for u in sorted(_PER_UNITS, key=len, reverse=True))
    + r")(?![\w/²³])"
)
# Feet and inches: 5'11", 6' 2", 6'2; bare feet before a size word ("6' tall", "an 8' ceiling").
_FEET_INCHES = re.compile(
    r"(?<![\w.,'’′])(?P<f>[0-9]{1,2}+)\s?['’′]\s?(?P<i>[0-9]{1,2}+(?:\.[0-9])?)(?:\"|″|”|''|’’)?(?![\w'’]|\.[0-9])"
    r"|(?<![\w.,'’′])(?P<f2>[0-9]{1,3}+)(?:′|['’](?=\s(?:tall|high|long|wide|deep|away|below|above|under|over"
    r"|ceiling|ceilings|fence|fences|wall|walls|boat|boats|tree|trees|drop|of)(?![\w])))"
)
# "2h30min", "1h 30m", "2h30": hours and minutes.
_HOURS_MINUTES = re.compile(
    r"(?<![\w.,])(?P<h>[0-9]{1,3}+)\s?h(?:rs?)?(?:(?P<m>[0-5]?[0-9])(?:min|mins|m)?|\s(?P<m2>[0-5]?[0-9])\s?(?:min|mins|m))"
    r"(?![\w])"
)
# "10.49s", "9.58 s": a decimal before "s" is seconds (a whole "30s" is a decade).
_SECONDS = re.compile(r"(?<![\w.,])(?P<i>[0-9]++)\.(?P<f>[0-9]++)\s?s(?![\w'’])")
# "retry after 5s", "2-5s": whole seconds. A number ending in 0 is a decade ("the 30s") and
# "the 1s and 0s" are digits, so those keep the letter.
_WHOLE_SECONDS = re.compile(
    r"(?<![\w.,'’-])(?<!the\s)(?:(?P<a>[0-9]{1,3})\s?[-–]\s?)?(?P<b>[0-9]{0,2}[1-9])s(?![\w'’])"
    r"(?!\s(?:and|or)\s[0-9])"
)
# "12 ft x 14 ft": a measure on each side of "x" is a dimension.
_DIM_UNITS = re.compile(
    r"(?<![\w.,])(?P<a>[0-9]++(?:\.[0-9]++)?\s?(?:" + _UNIT_ALT + r"|in\.?))\s?[xX×]\s?(?=[0-9])"
)
# "75 degrees F", "20 deg C"
_DEGREES = re.compile(r"(?<=[a-z0-9] )(?:degrees?|deg\.?)\s(?P<s>[CF])(?![\w])")


_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:a|an|A|An)\s$")
# Nouns that a measure usually modifies: "48MP camera", "65W charger", "10 km run".
_MODIFIED_NOUN = re.compile(
    r"[\s-](?:camera|cameras|charger|chargers|jack|battery|batteries|sensor|lens|lenses|drive|drives|SSD|HDD"
    r"|display|screen|monitor|TV|run|race|walk|hike|ride|sprint|dash|relay|swim|bag|bags|bottle|bottles"
    r"|pack|box|can|jar|cable|bulb|bulbs|panel|panels|engine|motor|tank|chip|chips|plan|limit|zone"
    r"|radius|buffer|card|cards|stick|bar|loaf|steak|burger|pizza|diet|lead|margin|cut|hike|increase|process|node"
    r"|rise|drop|fall|gain|loss|hike|radius|fan|heater|microwave|speaker|laptop|tablet|phone|bike)(?![\w])"
)


# Scientific notation: "3.00 × 10^8 m/s", "1.6×10⁻¹⁹ C", "6.02E23" -> "... times ten to the power
# of ...", with the unit after it read as a measure's.
_SCIENTIFIC = re.compile(
    r"(?<![\w.,^])(?P<neg>[-−])?(?P<i>[0-9]++)(?:\.(?P<f>[0-9]++))?"
    r"(?:\s?[×xX*·]\s?10(?:\^(?P<e>[-−+]?[0-9]{1,3})|(?P<sup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}))"
    r"|[eE](?P<e2>[-+]?[0-9]{1,3})(?![\w.]|,[0-9]))"
    r"(?![\w^⁰¹²³⁴⁵⁶⁷⁸⁹]|[.,][0-9])"
    r"(?:(?P<us>\s?)(?P<u>" + _ANY_UNIT + r")(?![\w²³]|(?<=\.)[A-Za-z]))?"
    r"(?:/(?P<d>"
    + "|".join(re.escape(u) for u in sorted(_PER_UNITS, key=len, reverse=True))
    + r")(?![\w/²³]))?"
)


def _scientific(m: re.Match[str]) -> str:
    e = (m.group("e") or m.group("e2") or (m.group("sup") or "").translate(_SUPERSCRIPTS)).replace("−", "-")
    sign = "minus " if e.startswith("-") else ""
    out = (
        ("minus " if m.group("neg") else "")
        + _number(m.group("i"), m.group("f"))
        + f" times ten to the power of {sign}{_cardinal(e.lstrip('+-'))}"
    )
    if m.group("u"):
        words = _unit_words(m.group("u"))
        if words is None:
            out += m.group("us") + m.group("u")
        else:
            out += " " + words[1]
    if m.group("d"):
        out += " per " + _PER_UNITS[m.group("d")]
    return _pad(m, out)


def _per(m: re.Match[str]) -> str:
    return f"{m.group('left')} per {_PER_UNITS[m.group('d')]}"


def _feet_inches(m: re.Match[str]) -> str:
    if m.group("f2"):
        feet = m.group("f2")
        adjectival = _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
        return _pad(m, f"{_cardinal(feet)} {'foot' if feet == '1' or adjectival else 'feet'}")
    feet, inches = m.group("f"), m.group("i")
    i, _, f = inches.partition(".")
    if int(i) > 11 and not f:
        return m.group(0)
    inch = "inch" if inches == "1" else "inches"
    return _pad(m, f"{_cardinal(feet)} {'foot' if feet == '1' else 'feet'} {_number(i, f or None)} {inch}")


def _hours_minutes(m: re.Match[str]) -> str:
    h, mm = m.group("h"), str(int(m.group("m") or m.group("m2")))
    return _pad(
        m, f"{_cardinal(h)} hour{'' if h == '1' else 's'} {_cardinal(mm)} minute{'' if mm == '1' else 's'}"
    )


def _seconds(m: re.Match[str]) -> str:
    return _pad(m, f"{_decimal(m.group('i'), m.group('f'))} seconds")


def _whole_seconds(m: re.Match[str]) -> str:
    b = m.group("b")
    unit = "second" if b == "1" and not m.group("a") else "seconds"
    head = f"{_cardinal(m.group('a'))} to " if m.group("a") else ""
    return _pad(m, f"{head}{_cardinal(b)} {unit}")


# A fraction of a unit written short: "1/2 tsp", "1 1/2 lb", "a 1/4 in. gap", read as "3/4 cup" is
# (one half teaspoon). Before the measures, which took the denominator for the amount: "1/2 tsp"
# was read "one/two teaspoons".
_PART_MEASURE = re.compile(
    r"(?<![\w./])(?:(?P<w>[0-9]{1,3})\s)?(?P<n>[0-9]{1,2})/(?P<d>[0-9]{1,2})\s?"
    r"(?:(?P<inch>in\.(?=\s|$)|″|\")|(?P<u>" + _ANY_UNIT + r"))" + _UNIT_END
)


def _part_measure(m: re.Match[str]) -> str:
    n, d = int(m.group("n")), int(m.group("d"))
    if m.group("inch"):
        one, many = "inch", "inches"
    else:
        unit_words = _unit_words(m.group("u"))
        if unit_words is None:
            return m.group(0)
        one, many = unit_words
    if not 0 < n < d:  # "5/4 tsp"
        return _pad(m, f"{_cardinal(str(n))} over {_cardinal(str(d))} {many}")
    part = _fraction_words(n, d)
    if m.group("w"):
        return _pad(m, f"{_cardinal(m.group('w'))} and {part} {many}")
    return _pad(m, f"{part} {one}")


def _measure(m: re.Match[str]) -> str:
    unit_words = _unit_words(m.group("u").replace("° ", "°"))
    if unit_words is None:
        return m.group(0)
    i, f = m.group("i"), m.group("f")
    one, many = unit_words
    # "a 5 km run": after an article the measure is adjectival and stays singular.
    adjectival = (
        _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
        or _MODIFIED_NOUN.match(m.string, m.end()) is not None
    )
    unit = one if (i == "1" and not f) or adjectival else many
    neg = {"-": "minus ", "−": "minus ", "+": "plus "}.get(m.group("neg") or "", "")
    return _pad(m, f"{neg}{_number(i, f)} {unit}")


# --------------------------------------------------------------------------- plain numbers

_ORDINAL = re.compile(r"(?<![\w.,])(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++)(?:st|nd|rd|th)(?![\w])")
_NUMBER_SIGN = re.compile(r"(?<![\w&#])#\s?(?=[0-9])")
# "3/4th", "1/8ths": the suffix restates the denominator, which the fraction reads already.
_FRACTION_SUFFIX = re.compile(
    r"(?<![\w./])(?P<f>(?:[0-9]++\s)?[0-9]{1,3}/[0-9]{1,3})(?:st|nd|rd|th)s?(?![\w])"
)
_FRACTION = re.compile(
    r"(?<![\w./])(?:(?P<w>[0-9]++)\s)?(?P<n>[0-9]{1,3}(?:\.[0-9])?)(?P<sl>/| / )(?P<d>[0-9]{1,3})"
    r"(?![\w/]|[.,][0-9])(?P<eq>\s?=(?![=<>]))?"  # "1/2 = 0.5": its words would hide the digit before "="
)
# A score rather than a part: "won 7/10 games", "got 18/20 on the test", "9/10 dentists".
_OUT_OF_BEFORE = re.compile(
    r"(?:^|\W)(?i:won|win|wins|winning|scored|scores|score|got|gets|get|made|makes|hit|hits|passed|passes|pass"
    r"|answered|solved|rated|rating|rates|graded|averaging|averaged|went|going|goes|shot|shooting|completed|completes"
    r"|out\s+of)\s$"
)
_OUT_OF_AFTER = re.compile(
    r"\s(?:games|matches|shots|questions|attempts|tests|tries|people|voters|respondents|doctors|dentists|patients"
    r"|students|users|customers|adults|experts|Americans|times|stars|star|points|rounds|races|fights|days|nights"
    r"|passes|kicks|penalties|free\s+throws|field\s+goals|correct|on\s+the)(?![\w])"
)
# "Step 3/5", "page 2/10", "Part 1/3": a place in a sequence, "three of five".
_PART_OF_BEFORE = re.compile(
    r"(?:^|\W)(?i:step|page|part|chapter|question|slide|episode|stage|phase|lesson|track|disc|item|task"
    r"|round|level|day|week|module|section|tweet|photo|image|card)\s$"
)
# Unicode vulgar fractions: "½ cup", "2½ miles", "¾ of a mile".
_VULGAR_VALUES = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
    "⅞": (7, 8),
}  # fmt: skip
_VULGAR = re.compile(r"(?<![\w.,])(?:(?P<w>[0-9]++)\s?)?(?P<v>[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])")
# Between a number and a one-letter name, signs need spaces round them: "x = y + 2"; "2*3" multiplies.
_SYMBOL_MATH = re.compile(
    r"(?<=[0-9])\s?(?P<op>[+=×÷≠])\s?(?=[0-9-])|(?<=[0-9])\s?(?P<op2>−)\s?(?=[0-9])"
    r"|(?:(?<=[0-9)⁰¹²³⁴⁵⁶⁷⁸⁹])|(?<![A-Za-z][A-Za-z])(?<=[A-Za-z]))\s(?P<op3>[+=≠])\s(?=[0-9A-Za-z(])"
    r"|(?<=[0-9])\s?(?P<op4>\*)\s?(?=[0-9]|" + _NUMBER_WORD + ")"
)
# Comparisons: "x > 5", "<10 ms", "≥ 18".
_COMPARE = re.compile(r"(?<![<>=-])(?P<op>[<>]=?|[≤≥])(?![<>=])\s?(?=" + _NUMBER_WORD + ")")
_COMPARE_WORDS = {
    ">": ("greater than", "more than"), "<": ("less than", "less than"),
    ">=": ("greater than or equal to", "at least"), "≥": ("greater than or equal to", "at least"),
    "<=": ("less than or equal to", "at most"), "≤": ("less than or equal to", "at most"),
}  # fmt: skip
# "© 2024 Acme": copyright, and the year after it; trademark signs are not read.
_COPYRIGHT_YEAR = re.compile(r"(?<=©)(?P<s>\s?)(?P<y>[12][0-9]{3})(?![\w]|[.,][0-9])")
_COPYRIGHT = re.compile(r"©")
_TRADEMARK = re.compile(r"(?<=\w)[™®]|\s?[™®](?![\w])")
_AMP = re.compile(r"&")
_ARROW = re.compile(r"\s?[→⟶]\s?")
_ROOT = re.compile(r"√\s?(?=[0-9(])")  # √16 -> the square root of sixteen
_THE_BEFORE = re.compile(r"(?:^|\W)[Tt]he\s$")


def _root(m: re.Match[str]) -> str:
    the = "" if _THE_BEFORE.search(m.string, max(0, m.start() - 5), m.start()) else "the "
    before = m.string[m.start() - 1] if m.start() > 0 else ""
    if before.isdigit():  # "3√2": three times the square root of two
        return f" times {the}square root of "
    return f"{' ' if before.isalnum() else ''}{the}square root of "


_VERSION = re.compile(r"(?<![\w.])[0-9]++(?:\.[0-9]++){2,}+(?![\w.]|\.[0-9])")
_DECIMAL = re.compile(
    r"(?<![0-9.,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++|(?<!\w))\.(?P<f>[0-9]++)(?![0-9]|\.[0-9])"
)
_CARDINAL = re.compile(
    r"(?<![0-9,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)"
)


def _ordinal_sub(m: re.Match[str]) -> str:
    return _pad(m, _ordinal(m.group("i")))


# "120/80 mmHg": a blood pressure is one number over the other, before its unit.
_PRESSURE = re.compile(r"(?<![\w./])(?P<a>[0-9]{2,3})/(?P<b>[0-9]{2,3})\s?mmHg(?![\w])")


def _pressure(m: re.Match[str]) -> str:
    return _pad(m, f"{_cardinal(m.group('a'))} over {_cardinal(m.group('b'))} millimeters of mercury")


def _fraction_words(n: int, d: int) -> str:
    if d == 2:
        den = "half" if n == 1 else "halves"
    elif d == 4:
        den = "quarter" if n == 1 else "quarters"
    else:
        den = _ordinal(str(d)) + ("" if n == 1 else "s")
    return f"{_cardinal(str(n))} {den}"


def _vulgar(m: re.Match[str]) -> str:
    body = _fraction_words(*_VULGAR_VALUES[m.group("v")])
    if m.group("w"):
        body = f"{_cardinal(m.group('w'))} and {body}"
    return _pad(m, body)


def _fraction(m: re.Match[str]) -> str:
    body = _fraction_body(m)
    return body + " equals" if m.group("eq") else body


def _fraction_body(m: re.Match[str]) -> str:
    ns, ds = m.group("n"), m.group("d")
    if (
        m.group("sl") == " / "
        and not m.group("w")
        and (m.group("eq") or m.string[max(0, m.start() - 2) : m.start()].strip() == "=")
    ):  # "6 / 2 = 3": a division
        i, _, f = ns.partition(".")
        return _pad(m, f"{_number(i, f or None)} divided by {_cardinal(ds)}")
    if (ns, ds, m.group("sl")) == ("24", "7", "/"):
        head = f"{_cardinal(m.group('w'))} " if m.group("w") else ""
        return _pad(m, head + "twenty-four seven")
    s = m.string
    score = (
        _OUT_OF_BEFORE.search(s, max(0, m.start() - 12), m.start()) is not None
        and not s.startswith(" of ", m.end())
    ) or _OUT_OF_AFTER.match(s, m.end()) is not None
    ni, _, nf = ns.partition(".")
    n, d = int(ni), int(ds)
    month_day = 1 <= n <= 12 and 1 <= d <= 31 and not s.startswith(" of", m.end())
    if month_day and not (m.group("w") or nf or score):
        before = s[max(0, m.start() - 12) : m.start()]
        if _DATE_CUE.search(before) or (d > 12 and _WEAK_DATE_CUE.search(before)):
            return _pad(m, _say_date(n, d, None))
        if (n, d) == (9, 11):  # the day's name, as "24/7" is a phrase
            return _pad(m, "nine eleven")
    if (
        not (m.group("w") or nf)
        and 0 < n <= d
        and _PART_OF_BEFORE.search(s, max(0, m.start() - 12), m.start())
    ):
        return _pad(m, f"{_cardinal(ns)} of {_cardinal(ds)}")  # "Step 3/5": the third step of five
    if nf:  # "4.5/5": only a rating has a decimal numerator
        body = f"{_decimal(ni, nf)} {'out of' if score or d in (5, 10) else 'over'} {_cardinal(ds)}"
    elif n + d == 100 and n >= 10 and d >= 10 and (n == 50 or not score):  # "50/50", "the 80/20 rule"
        body = f"{_cardinal(ns)} {_cardinal(ds)}"
    elif (n == d or score) and d > 0 and n <= d:  # "10/10", "4/5 stars", "won 7/10 games": a score
        body = f"{_cardinal(ns)} out of {_cardinal(ds)}"
    elif d <= 1 or n == 0 or n > d:
        body = f"{_cardinal(ns)} over {_cardinal(ds)}"
    else:
        body = _fraction_words(n, d)
    if m.group("w"):
        body = f"{_cardinal(m.group('w'))} and {body}"
    return _pad(m, body)


# Powers: "x^2", "2^10", "(a+b)^2", "10^-3", "x²", "e^x" (after the measures: "m²" is square meters).
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile(
    r"(?<=[\w)\]])(?:\^(?P<e>[-−]?[0-9]{1,3})|(?P<sup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})|\^(?P<v>[-−]?[a-z]))"
    r"(?![\w^⁰¹²³⁴⁵⁶⁷⁸⁹])"
)


def _power(m: re.Match[str]) -> str:
    if v := m.group("v"):  # "e^x", "2^n", "e^-x"
        v = v.replace("−", "-")
        return " " + _pad(m, "to the " + ("minus " if v.startswith("-") else "") + v.lstrip("-")).lstrip()
    e = (m.group("e") or m.group("sup").translate(_SUPERSCRIPTS)).replace("−", "-")
    if e in ("2", "3"):
        out = "squared" if e == "2" else "cubed"
    else:
        out = "to the power of " + ("minus " if e.startswith("-") else "") + _cardinal(e.lstrip("-"))
    return " " + _pad(m, out).lstrip()  # after the base, which may be ")"


def _math(m: re.Match[str]) -> str:
    if m.group("op2"):
        return " minus "
    op = m.group("op") or m.group("op3") or m.group("op4")
    words = {"+": " plus ", "=": " equals ", "×": " times ", "*": " times ", "÷": " divided by "}
    return words.get(op, " does not equal ")  # ≠


_OPERAND_BEFORE = re.compile(
    r"(?:(?:^|[^\w])[A-Za-z]|(?:^|[\s-])(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|[a-z]++teen|[a-z]++ty|hundred|thousand|million|billion|trillion)|[)\]])\s?$"
)
_TAG_BEFORE = re.compile(r"<[/A-Za-z][^<>\s]*+$")


def _compare(m: re.Match[str]) -> str:
    """ "x > 5" compares (greater than); in prose a bound is "more than": "ages >18"."""
    s = m.string
    before = s[max(0, m.start() - 20) : m.start()]
    if m.group("op") == ">" and _TAG_BEFORE.search(before):
        return m.group(0)  # the end of an HTML tag: "<br>5"
    binary = _OPERAND_BEFORE.search(before) is not None
    out = _COMPARE_WORDS[m.group("op")][0 if binary else 1]
    if before and not before[-1].isspace():
        out = " " + out
    return out + " "


def _copyright_year(m: re.Match[str]) -> str:
    return m.group("s") + _year(int(m.group("y")))


def _version_words(version: str) -> str:
    # A build number's long parts are read digit by digit: 10.0.19045 -> ten point zero point one
    # nine zero four five.
    return " point ".join(_cardinal(p) if len(p) < 5 else _digits(p) for p in version.split("."))


def _version(m: re.Match[str]) -> str:
    return _pad(m, _version_words(m.group(0)))


def _decimal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _decimal(m.group("i"), m.group("f")))


def _cardinal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _cardinal(m.group("i")))


# --------------------------------------------------------------------------- codes and models

# "4x4", "1920x1080", "10 x 20 cm": dimensions are read with "by"; four-digit sides in pairs.
_DIMENSION = re.compile(
    r"(?<![\w.,])(?P<a>[0-9]++(?:\.[0-9]++)?)(?P<sp>\s?)[xX×](?P=sp)(?P<b>[0-9]++(?:\.[0-9]++)?)"
    r"(?:(?P=sp)[xX×](?P=sp)(?P<c>[0-9]++(?:\.[0-9]++)?))?(?P<u>\s?(?:"
    + _UNIT_ALT
    + r"|in\.(?=\s|$)|in(?=[,;)]|$))(?![\w]))?(?![\w])(?!\s?=)"
)
# "10x faster", "2X zoom", "1.5x": a multiplier; "2x + 1" is algebra.
# "3x-5x faster", "2-3x": a range of multipliers.
_TIMES_RANGE = re.compile(
    r"(?<![\w.,-])(?P<a>[0-9]++(?:\.[0-9]++)?)[xX×]?\s?[-–]\s?(?P<b>[0-9]++(?:\.[0-9]++)?)[xX×](?![\w])"
    r"(?!\s[+=−-]\s)"
)
_TIMES = re.compile(r"(?<![\w.,-])(?P<n>[0-9]++(?:\.[0-9]++)?)[xX×](?![\w])(?!\s[+=−-]\s)")
# "100k followers", "$50k" is money: a lower-case k after a number is thousand; "5K run", "4K TV"
# keep the letter.
# "$0.15/1M tokens", "$2/1K requests": a price per a count.
_PER_COUNT = re.compile(r"(?<=[0-9A-Za-z%])/(?=[0-9]{1,3}(?:\.[0-9])?[kKMB]\+?\s)")
_KILO = re.compile(
    r"(?<![\w.,$£€¥])(?P<n>[0-9]{1,3}(?:\.[0-9])?)(?P<k>[kK])(?P<p>\+?)(?![\w+])(?!\s?(?:run|race|walk|TV|video|display|monitor|screen|resolution|HDR|Ultra))"
)


# "1.2B views", "5M users", "10M+ downloads": a count in millions or billions. A capital letter
# after a whole number is a scale only before a plural noun, so "room 4B", "a 2B pencil" and
# "Llama 70B" keep it.
_MEGA = re.compile(
    r"(?<![\w.,$£€¥])(?P<n>[0-9]{1,3}(?:\.(?P<f>[0-9]{1,2}))?)(?P<s>[MB]|bn|mn)(?P<p>\+?)(?![\w+])"
)
_PLURAL_NEXT = re.compile(
    r"\s++(?!(?:has|was|its|his|yes|this|does|goes|plus|thus|always|perhaps|whereas|towards|besides|sometimes)(?![\w]))"
    r"(?:[a-z]{3,}+(?<![s'’]s)(?<=s)|people|children|men|women)(?![\w'’])"
)


def _mega(m: re.Match[str]) -> str:
    if not m.group("f") and not _PLURAL_NEXT.match(m.string, m.end()):
        return m.group(0)
    i, _, f = m.group("n").partition(".")
    scale = "billion" if m.group("s") in ("B", "bn") else "million"
    return _pad(m, f"{_number(i, f or None)} {scale}" + (" plus" if m.group("p") else ""))


def _dim_side(s: str) -> str:
    i, _, f = s.partition(".")
    if f:
        return _decimal(i, f)
    return _pairs(i) if len(i) == 4 else _cardinal(i)


def _dimension(m: re.Match[str]) -> str:
    sides = [m.group("a"), m.group("b")] + ([m.group("c")] if m.group("c") else [])
    if m.group("u"):  # "10 x 20 cm": the last side and its unit are left to the measure rule
        words = [_dim_side(x) for x in sides[:-1]]
        return _pad(m, " by ".join(words) + " by " + sides[-1] + m.group("u"))
    return _pad(m, " by ".join(_dim_side(x) for x in sides))


def _times_range(m: re.Match[str]) -> str:
    a, b = (_number(i, f or None) for i, _, f in (m.group(x).partition(".") for x in "ab"))
    return _pad(m, f"{a} to {b} times")


def _times(m: re.Match[str]) -> str:
    i, _, f = m.group("n").partition(".")
    return _pad(m, f"{_number(i, f or None)} times")


_RACE_BEFORE = re.compile(r"(?:^|\W)(?:ran|run|runs|running|a|an|the|my|A|The|My)\s$")


def _kilo(m: re.Match[str]) -> str:
    i, _, f = m.group("n").partition(".")
    # "ran 5k", "a 10K": a race
    scale = "K" if _RACE_BEFORE.search(m.string, max(0, m.start() - 9), m.start()) else "thousand"
    if (
        m.group("k") == "K"
        and not f
        and i in ("2", "4", "5", "8")
        and not _PLURAL_NEXT.match(m.string, m.end())
    ):
        scale = "K"  # "4K at 120Hz", "8K": a resolution; "4K users" is a count
    return _pad(m, f"{_number(i, f or None)} {scale}" + (" plus" if m.group("p") else ""))


# Digits read in pairs after words that name a model, a route or a flight: "Boeing 737",
# "RTX 4090", "flight 1549", "Highway 101", "Suite 1450".
# HTTP status codes are read like model numbers: "a 404 error", "error 503".
_STATUS_CODE = re.compile(
    r"(?<![\w.,])(?P<n>[1-5][0-9]{2})(?=\s(?:error|errors|page|status|response|code)(?![\w]))"
    r"|(?:(?<=[Ee]rror\s)|(?<=HTTP\s))(?P<n2>[1-5][0-9]{2})(?![\w]|[.,][0-9])"
)
# A month and day without a year, after a word that introduces a date: "on 6/15", "until
# 12/31", "Friday 3/4". "by", "from", "after" and "before" also take amounts ("cut by 1/3"),
# so after them only a day past 12, which no common fraction has, makes it a date.
_DATE_CUE = re.compile(
    r"(?:^|\W)(?:(?i:on|until|till|through|thru|since|due|dated|starting|ending|effective|expires?|expiring"
    r"|as\s+of)"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s$"
)
_WEAK_DATE_CUE = re.compile(r"(?:^|\W)(?i:by|from|after|before|to)\s$")
# Inches: "2 in." always; "8 in" at the end of a phrase or in a dimension.
_INCHES = re.compile(
    r"(?<![\w.,\"“])(?P<i>[0-9]++(?:\.[0-9]++)?)(?:\s?(?:in\.(?=\s|$)|in(?=[,;)]|$|\s[xX×]\s))|\s?(?:\"|″)(?![\w]))"
)
# "6 ft 2 in": inches after feet.
_INCHES_AFTER_FEET = re.compile(r"(?<=(?:feet|foot)\s)(?P<i>[0-9]{1,2})\s?in\.?(?![\w])")
_STREET_AFTER_ORDINAL = re.compile(r"(?<=[0-9](?:st|nd|rd|th)\s)(?P<w>st|ave|rd|blvd)\.?(?![\w])")
_WEEKDAY_DATE = re.compile(
    r"(?<![\w.])(?P<w>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?(?=,?\s++(?:"
    + _MONTH_WORD
    + r"\s|[0-9]))"
)


def _inches(m: re.Match[str]) -> str:
    if m.group(0).endswith('"'):
        # 'He said "it was 50" to me': the quote closes one opened before it on the line.
        start = max(m.string.rfind("\n", 0, m.start()), m.start() - 400, 0)
        if m.string.count('"', start, m.start()) % 2:
            return m.group(0)
    i, _, f = m.group("i").partition(".")
    adjectival = (
        _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
        or _MODIFIED_NOUN.match(m.string, m.end()) is not None
    )
    return _pad(m, f"{_number(i, f or None)} {'inch' if (i == '1' and not f) or adjectival else 'inches'}")


_MODEL_CUE = re.compile(
    r"(?<![\w.])(?P<cue>(?:Boeing|Airbus|Cessna|Porsche|Peugeot|RTX|GTX|GeForce|Radeon|RX|Xbox|Model|Series"
    r"|[Ff]light|Highway|Route|Interstate|Suite|Box|Unit|Gate|Platform|Terminal|Channel|Bus|bus|[Rr]oom"
    r"|Rm\.)\s++"
    r"(?:[A-Z][A-Z0-9]\s(?=[0-9]))?)"
    r"(?P<n>[1-9][0-9]{2,3}+)(?![\w]|[.,][0-9])"
)
# Version numbers after a product name or "version"/"v": each part is a cardinal
# ("Python 3.12" -> three point twelve).
_VERSION_CUE = re.compile(
    r"(?<![\w.])(?P<cue>(?:[Vv]ersion|[Vv]er\.|Python|iOS|iPadOS|macOS|Android|Windows|Ubuntu|Debian|Node|Java"
    r"|Kotlin|Rust|Go|Linux|[Kk]ernel|[Rr]elease|[Ff]irmware|[Uu]pdate|[Pp]atch|HTTP|TLS|Bluetooth|USB|PHP|Perl"
    r"|Ruby|Rails|Django|React|Angular|Vue|Swift|GPT|Gemini|Claude|Llama|Wi-Fi)\s?-?|(?P<v>v))"
    r"(?P<n>[0-9]++(?:\.[0-9]++)++)"
    # The versions listed after it are versions too: "Python 3.11 and 3.12", "from 3.10 to 3.12",
    # and those it is compared with: "Python 3.12 is faster than 3.11".
    r"(?P<more>(?:(?:,\s|\s(?:and|or|to|vs\.?|versus|through|compared\s(?:to|with))\s"
    r"|(?:\s[a-z]++){1,4}?\s(?:than|over)\s)[0-9]++(?:\.[0-9]++)++)*+)(?![\w]|\.[0-9])"
)
_VERSION_NUMBER = re.compile(r"[0-9]++(?:\.[0-9]++)++")


# Boeing's jetliners and their variants: "747-400", "777-300ER", "737-8" name one aircraft, not a range.
_JETLINER = re.compile(
    r"(?<![\w.,/-])(?P<n>7[0-8]7)-(?P<v>[1-9]00|10|[1-9])(?P<s>ER|LR|F|SP|XLR)?(?![\w-]|[.,][0-9])"
)
_JETLINER_CUE = re.compile(r"\b(?:Boeing|[Aa]n?|[Tt]he|[Tt]his|[Tt]hat|[Ii]ts|[Oo]ur|[Tt]heir)\s++$")


def _jetliner(m: re.Match[str]) -> str:
    if not m.group("s") and not _JETLINER_CUE.search(m.string, max(0, m.start() - 8), m.start()):
        return m.group(0)  # "pages 737-800" is a range
    out = f"{_pairs(m.group('n'))} {_cardinal(m.group('v'))}"
    if m.group("s"):
        out += " " + " ".join(m.group("s"))
    return _pad(m, out)


def _model_cue(m: re.Match[str]) -> str:
    cue = m.group("cue")
    if cue.startswith("Rm."):
        cue = "Room" + cue[3:]
    return cue + _pairs(m.group("n"))


def _version_cue(m: re.Match[str]) -> str:
    cue = "version " if m.group("v") else m.group("cue")
    if cue.endswith("-"):
        cue = cue[:-1] + " "
    elif not cue.endswith(" "):
        cue += " "
    more = _VERSION_NUMBER.sub(lambda v: _version_words(v.group(0)), m.group("more"))
    return _pad(m, cue + _version_words(m.group("n")) + more)


# Identifiers read digit by digit: "order #12345", "tracking number 9400 1000", "SKU AB-1234-X".
_ID_CUE = (
    r"(?i:order|tracking|confirmation|invoice|account|acct|reference|ref|ticket|case|booking|reservation"
    r"|serial|SKU|item|PIN|ID|policy|member|customer|transaction|claim|passcode|OTP|code|model|part"
    r"|S/N|SN|tracking\s+no|flight\s+no|CVV|CVC|CVV2|security\s+code)"
)
_ID_NUMBER = re.compile(
    r"(?<![\w.])(?P<cue>"
    # "your order number is 1234", "the code is 4821": a verb between only after a strong cue
    r"(?:" + _ID_CUE + r"\s++(?i:number|no\.|num|ID|code)|(?i:PIN|OTP|passcode|code))\s*+:?\s*+"
    r"(?i:is|was|will\s++be)\s++"
    r"|" + _ID_CUE + r"(?:\s++(?i:number|no\.|num|ID|code))?\s*+(?:#\s*+:?|:)?\s*+)"
    r"(?P<n>[0-9]{4,}+)(?!\w|[.,][0-9A-Za-z])"
    r"|(?<![\w&#])#(?P<n2>[0-9]{4,}+)(?![\w]|[.,][0-9])"
)
# Card numbers (4 groups of 4 digits; Amex 4-6-5) and ISBNs, digit by digit in their groups.
_CARD_NUMBER = re.compile(
    r"(?<![\w.,-])(?:[2-6][0-9]{3}(?P<s>[ -])[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{4}"
    r"|3[47][0-9]{2}(?P<a>[ -])[0-9]{6}(?P=a)[0-9]{5})(?![\w-]|[.,][0-9])"
)
_ROUND_GROUPS = re.compile(r"(?:[0-9]{2}00[ -]?)+")  # "2000 3000 4000 5000" is a list of numbers
_ISBN = re.compile(r"(?<=ISBN)(?P<p>-1[03])?(?P<c>:?\s?)(?P<n>[0-9](?:[0-9 -]{8,15})[0-9Xx])(?![\w-])")
# "CVV 123", "security code: 4321": three or four digits after the cue.
_CARD_CODE = re.compile(
    r"(?<![\w])(?P<cue>(?:CVV2?|CVC|[Ss]ecurity\s+code)(?:\s+(?:is|was))?\s*:?\s*)(?P<n>[0-9]{3,4})(?![\w]|[.,][0-9])"
)


def _card_number(m: re.Match[str]) -> str:
    if _ROUND_GROUPS.fullmatch(m.group(0)):
        return m.group(0)
    return _pad(m, _digit_groups(m.group(0)))


def _isbn(m: re.Match[str]) -> str:
    kind = {"-10": " ten", "-13": " thirteen"}.get(m.group("p") or "", "")
    return f"{kind}{m.group('c').rstrip()} {_digit_groups(m.group('n'))}"


# Cashtags: "$AAPL" is the ticker, not dollars.
_CASHTAG = re.compile(r"(?<![\w$])\$(?=[A-Z]{1,5}(?![\w]))")


def _digit_groups(s: str) -> str:
    return ", ".join(_digits(g) if g.isdigit() else " ".join(g) for g in re.split(r"[ -]", s) if g)


# "your card ending in 4242", "the last four digits are 1234": the digits of a longer number.
_LAST_DIGITS = re.compile(
    r"(?<![\w])(?P<cue>(?i:ending|ends)\s++(?i:in|with)\s++"
    r"|(?i:last)\s++(?:four|4|two|2|three|3|five|5|six|6)\s++(?i:digits?|numbers?)"
    r"(?:\s++(?i:of|on|for)(?:\s++[\w'’]+){1,3}?)?\s*+(?::|(?i:are|is|were|was))?\s*+)"
    r"(?P<n>[0-9]{2,6}+)(?!\w|[.,][0-9A-Za-z])"
)
_NUMBER_OWNER = re.compile(
    r"(?i:card|account|acct|number|phone|mobile|ssn|social|visa|mastercard|amex|discover|debit|credit|iban|id)\b"
)


def _last_digits(m: re.Match[str]) -> str:
    # "a season ending in 2024" is a year: the digits need a number they end.
    if m.group("cue")[:3].lower() == "end" and not _NUMBER_OWNER.search(
        m.string, max(0, m.start() - 40), m.start()
    ):
        return m.group(0)
    return m.group("cue") + _digits(m.group("n"))


_ID_CUE_BEFORE = re.compile(_ID_CUE + r"(?:\s++(?i:number|no\.|num|ID|code))?\s*+(?:#|:)?\s*+$")


def _id_number(m: re.Match[str]) -> str:
    if m.group("n2"):
        return _pad(m, "number " + _digits(m.group("n2")))
    cue = re.sub(r"#\s*+:?", " number ", m.group("cue"))
    cue = re.sub(r"\s++", " ", cue)
    if not cue.endswith(" "):
        cue += " "
    return _pad(m, cue.lstrip() if m.start() == 0 else cue) + _digits(m.group("n"))


_CODE = re.compile(
    r"(?<![\w.'’/@#$&+-])(?=[A-Za-z0-9-]*?(?:[A-Za-z]-?[0-9]|[0-9]-?[A-Za-z]))"
    r"[A-Za-z0-9]++(?:-[A-Za-z0-9]++)*+(?![\w'’@]|[-.][A-Za-z0-9])"
)
_CODE_PART = re.compile(r"[A-Z]++(?=[a-z])[a-z]*+|[A-Z]++|[a-z]++|[0-9]++")
_CODE_WORDS = {
    "49ers": "Forty-Niners",
    "76ers": "Seventy-Sixers",
    "3M": "three M",
    "7-Eleven": "Seven-Eleven",
}
_VOWELS = frozenset("aeiouyAEIOUY")


def _code_factory(words: frozenset[str]) -> _Repl:
    def code(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok in _CODE_WORDS:
            return _pad(m, _CODE_WORDS[tok])
        pieces = tok.split("-")
        if any(len(p) >= 2 and p.isalpha() and p.islower() for p in pieces[1:]):
            return tok  # "34-year-old", "3-for-1": words joined by hyphens, not a code
        s = m.string
        by_digit = len(pieces) >= 3 or _ID_CUE_BEFORE.search(s, max(0, m.start() - 24), m.start()) is not None
        out: list[str] = []
        for piece in pieces:
            parts = _CODE_PART.findall(piece)
            for k, part in enumerate(parts):
                if part[0].isdigit():
                    digit_mode = (by_digit and len(part) >= 3) or len(part) >= 5
                    out.append(
                        _digits(part) if digit_mode else _pairs(part) if len(part) >= 3 else _cardinal(part)
                    )
                elif part.isupper():
                    # Capital runs are spelt ("SN", "RTX") unless they are read as words ("COVID");
                    # a long run with a vowel is a word in capitals ("WELCOME10", "SAVE20").
                    if part in words:
                        out.append(part)
                    elif len(part) >= 4 and _VOWELS & set(part) and not set(part) <= _VOWELS:
                        out.append(part.capitalize())
                    else:
                        out.append(" ".join(part))
                elif part == "ish" and out:
                    out[-1] += "ish"  # "6ish"
                elif part.islower() and len(part) <= 3 and not (_VOWELS & set(part)) and len(parts) > 1:
                    out.append(" ".join(part))  # "mp3" -> m p three
                elif part.islower() and k > 0 and parts[k - 1][0].isdigit() and len(part) <= 2:
                    out.append(" ".join(part))  # "1080p", "4g"
                else:
                    # Mixed case names keep their letters whole: "iPhone15" -> iPhone fifteen.
                    if out and k > 0 and parts[k - 1][0].isalpha():
                        out[-1] += part
                    else:
                        out.append(part)
        return _pad(m, " ".join(out))

    return code


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
    r"|Fantasy|Civilization|Metal\s+Gear|Street\s+Fighter))\s+(?P<r>[IVXLC]{1,7})(?![\w])"
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

_DOTTED = re.compile(r"(?<![\w.])(?:(?:[A-Z]\.){2,}+|Ph\.\s?D\.)(?![\w])")
_ACRONYM = re.compile(r"(?<![\w'’.-])(?P<a>[A-Z]{2,5})(?P<s>s?)(?![\w'’])")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def _dotted(m: re.Match[str]) -> str:
    out = " ".join(m.group(0).replace(".", "").replace(" ", ""))
    return _pad(m, out + ("." if abbreviation_ends_sentence(m.string, m.end()) else ""))


def _shouting(text: str) -> bool:
    caps = len(_CAPS_WORD.findall(text))
    return caps >= 4 and caps >= 0.6 * len(_WORD.findall(text))


_ORDINAL_DEGREE = re.compile(r"(?<=[0-9])º")
# Roman numeral characters ("World War Ⅱ", "ⅳ") are their letters, read by the Roman numeral rule.
_ROMAN_CHARS = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0x2160, 0x217C)}


# --------------------------------------------------------------------------- entry point


def normalize_en(text: str, *, acronyms_as_words: frozenset[str] | None = None) -> Normalized:
    """Rewrite numbers, symbols, abbreviations and acronyms in English ``text`` as words."""
    log = RuleLog()
    words = DEFAULT_ACRONYMS_AS_WORDS | (acronyms_as_words or frozenset())
    if (
        not any(
            c.isdigit() or c in "$£€¥₹₩₽¢%&#@+=×°±/©™®½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞→⟶^_⌘⌥⇧⌃≠º√" or c.isupper() or c == "."
            for c in text
        )
        and " vs " not in text
    ):
        return Normalized(text, ())  # nothing any rule could touch

    if any("\u2160" <= c <= "\u217b" for c in text):
        text = text.translate(_ROMAN_CHARS)
    if "º" in text:  # the ordinal indicator typed for a degree sign: 45ºC
        text = _ORDINAL_DEGREE.sub("°", text)

    def run(pattern: re.Pattern[str], repl: _Repl, rule: str) -> None:
        nonlocal text
        text = log.sub(rule, pattern, repl, text)

    run(_EMAIL, _email, "en.email")
    run(_URL, _url, "en.url")
    run(_DOMAIN, _url, "en.url")
    run(_FILE, _url, "en.url")
    run(_IP, _ip, "en.url")
    run(_HEX, _hex, "en.code")
    run(_KEYS, _keys, "en.symbol")
    run(_HANDLE, lambda m: _pad(m, "at"), "en.symbol")
    run(_CASHTAG, lambda m: "", "en.symbol")
    run(_HASH_CODE, lambda m: _pad(m, "number"), "en.symbol")
    run(_HASHTAG, lambda m: _pad(m, "hashtag"), "en.symbol")
    run(_COPYRIGHT_YEAR, _copyright_year, "en.year")
    run(_TRADEMARK, lambda m: "", "en.symbol")
    run(_PERIOD_ON_PERIOD, _period_on_period, "en.abbreviation")
    run(_WITH, lambda m: "without" if m.group("o") else "with", "en.abbreviation")
    run(_TAX_PLAN, lambda m: _pad(m, f"{_pairs(m.group('n'))} {m.group('l')}"), "en.code")
    run(_ITEM_NUMBER, _item_number, "en.cardinal")
    run(_SNAKE_CONSTANT, _snake_constant, "en.symbol")
    run(_SNAKE, lambda m: " ", "en.symbol")
    run(_TZ_OFFSET, _tz_offset, "en.time")
    run(_PLUS_MINUS, _plus_minus, "en.symbol")
    run(_PHONE, _phone, "en.phone")
    run(_PHONE_INTL, _phone_intl, "en.phone")
    run(_PHONE_LOCAL, _phone_local, "en.phone")
    run(_PHONE_SEVEN, lambda m: _pad(m, _digits(m.group("a")) + ", " + _digits(m.group("b"))), "en.phone")
    run(_EMERGENCY, _emergency, "en.phone")
    run(_PHONE_EXT, _phone_ext, "en.phone")
    run(
        _ABBR_NO_DOT,
        lambda m: {"Hwy": "Highway", "Rte": "Route", "Mt": "Mount", "Ft": "Fort"}[
            m.group("w") or m.group("t")
        ],
        "en.abbreviation",
    )
    run(_PO_BOX, lambda m: "P O ", "en.address")
    run(_ADDRESS, _address, "en.address")
    run(_STATE_ZIP, _state_zip, "en.address")
    run(_STATE_CITY, _state_city, "en.address")
    run(_WEEKDAY_RANGE, _weekday_range, "en.date")
    run(_WEEKDAY_DATE, lambda m: _WEEKDAYS[m.group("w")], "en.date")
    run(_DATE_ISO, _date_iso, "en.date")
    run(_DATE_SLASH, _date_slash, "en.date")
    run(_MONTH_RANGE, _month_range, "en.date")
    run(_PERIOD_RANGE, lambda m: _pad(m, f"{m.group('a')} to {m.group('b')}"), "en.date")
    run(_DATE_MDY, _date_words, "en.date")
    run(_DATE_HYPHENS, _date_words, "en.date")
    run(_DATE_DMY, lambda m: _date_words(m, dmy=True), "en.date")
    run(_DATE_MY, _date_words, "en.date")
    run(_ABBR, _abbr, "en.abbreviation")
    run(
        _APT,
        lambda m: {"Apt": "Apartment", "Ste": "Suite", "APT": "Apartment"}[m.group(1)] + " ",
        "en.abbreviation",
    )
    run(_TIME_RANGE, _time_range, "en.time")
    run(_TIME, _time, "en.time")
    run(_TIME_H, _time_h, "en.time")
    run(_MILITARY_TIME, _military_time, "en.time")
    run(_RATIO, _ratio, "en.ratio")
    run(_REF_ABBR, _ref_abbr, "en.abbreviation")
    run(_SCIENTIFIC, _scientific, "en.math")
    run(_PRESSURE, _pressure, "en.measure")
    run(_PER, _per, "en.measure")
    run(_JETLINER, _jetliner, "en.code")
    run(_PERCENT_RANGE, _percent_range, "en.percent")
    run(_MONEY_RANGE, _money_range, "en.currency")
    run(_RANGE_UNIT, lambda m: _pad(m, m.group("a") + " to"), "en.range")
    run(_RANGE, _range, "en.range")
    run(_MONEY, _money, "en.currency")
    run(_CENTS, _cents, "en.currency")
    run(_PERCENT, _percent, "en.percent")
    run(_FEET_INCHES, _feet_inches, "en.measure")
    run(_HOURS_MINUTES, _hours_minutes, "en.measure")
    run(_SECONDS, _seconds, "en.measure")
    run(_WHOLE_SECONDS, _whole_seconds, "en.measure")
    run(_DIM_UNITS, lambda m: m.group("a") + " by ", "en.measure")
    run(_DIMENSION, _dimension, "en.measure")
    run(_TIMES_RANGE, _times_range, "en.measure")
    run(_TIMES, _times, "en.measure")
    run(_PART_MEASURE, _part_measure, "en.measure")
    run(_MEASURE, _measure, "en.measure")
    run(_SCALE_UNIT, lambda m: (_unit_words(m.group("u")) or ("", m.group(0)))[1], "en.measure")
    run(_INCHES, _inches, "en.measure")
    run(_INCHES_AFTER_FEET, _inches, "en.measure")
    run(_DEGREES, lambda m: "degrees " + ("Celsius" if m.group("s") == "C" else "Fahrenheit"), "en.measure")
    run(_DECADE_RANGE, lambda m: " to ", "en.year")
    run(_DECADE, _decade, "en.year")
    run(_YEAR_ERA, _year_era, "en.year")
    run(_YEAR_SHORT, _year_short, "en.year")
    run(_YEAR_CUE, _year_cue, "en.year")
    run(_YEAR_NOUN, lambda m: _pad(m, _year(int(m.group("y")))), "en.year")
    run(_YEAR_PAREN, lambda m: m.group(0).replace(m.group("y"), _year(int(m.group("y")))), "en.year")
    run(
        _STREET_AFTER_ORDINAL,
        lambda m: {"st": "street", "ave": "avenue", "rd": "road", "blvd": "boulevard"}[m.group("w")],
        "en.abbreviation",
    )
    run(_FRACTION_SUFFIX, lambda m: m.group("f"), "en.fraction")
    run(_ORDINAL, _ordinal_sub, "en.ordinal")
    run(_NUMBER_SIGN, lambda m: _pad(m, "number"), "en.symbol")
    run(_VULGAR, _vulgar, "en.fraction")
    run(_FRACTION, _fraction, "en.fraction")
    run(_ROOT, _root, "en.math")
    run(_SYMBOL_MATH, _math, "en.symbol")
    run(_PLUS, lambda m: _pad(m, "plus"), "en.symbol")
    run(_POWER, _power, "en.math")
    run(_AMP, lambda m: _pad(m, "and"), "en.symbol")
    run(_ARROW, lambda m: " to ", "en.symbol")
    run(_PER_COUNT, lambda m: " per ", "en.measure")
    run(_KILO, _kilo, "en.cardinal")
    run(_MEGA, _mega, "en.cardinal")
    run(_VERSION_CUE, _version_cue, "en.decimal")
    run(_VERSION, _version, "en.decimal")
    run(_MODEL_CUE, _model_cue, "en.code")
    run(_STATUS_CODE, lambda m: _pad(m, _pairs(m.group("n") or m.group("n2"))), "en.code")
    run(_CARD_NUMBER, _card_number, "en.code")
    run(_ISBN, _isbn, "en.code")
    run(_CARD_CODE, lambda m: m.group("cue") + _digits(m.group("n")), "en.code")
    run(_ID_NUMBER, _id_number, "en.code")
    run(_LAST_DIGITS, _last_digits, "en.code")
    run(_CODE, _code_factory(words), "en.code")
    run(_DECIMAL, _decimal_sub, "en.decimal")
    run(_CARDINAL, _cardinal_sub, "en.cardinal")
    run(_ROMAN, _roman, "en.roman")
    run(_WIND, _wind, "en.abbreviation")
    run(_CAPS_SLASH, lambda m: f"{m.group('a')} {m.group('b')}", "en.acronym")
    run(_SPACED_SLASH, lambda m: ", ", "en.symbol")
    run(_CAPS_HYPHEN, lambda m: " ", "en.acronym")
    if not _shouting(text):
        run(_DOTTED, _dotted, "en.acronym")

        def acronym(m: re.Match[str]) -> str:
            a = m.group("a")
            if a in words:
                return m.group(0)
            return " ".join(a) + (m.group("s") or "")

        run(_ACRONYM, acronym, "en.acronym")
    run(_APPROX, lambda m: _pad(m, "about" if m.group("s") == "~" else "approximately"), "en.symbol")
    run(_COMPARE, _compare, "en.symbol")
    run(_COPYRIGHT, lambda m: _pad(m, "copyright"), "en.symbol")
    return Normalized(text, tuple(log.rules))
