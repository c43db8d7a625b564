"""Plain numbers: list item numbers, number ranges (years to years, scores), fractions (parts, scores, splits,
"Step 3/5", month/day after a date cue), Unicode vulgar fractions, ordinals, "#" before a
number, counts with k/M/B ("100k", "5M users"), decimals and cardinals.
"""

from __future__ import annotations

import re
import unicodedata

from clarion.text.en.dates import _DATE_CUE, _MONTHS, _WEAK_DATE_CUE, _WEEKDAYS, _is_year, _say_date
from clarion.text.en.words import (
    _after_article,
    _cardinal,
    _decimal,
    _number,
    _ordinal,
    _pad,
    _year,
)
from clarion.text.spans import ENCLOSED_NUMBER
from clarion.text.split import VALUE_LABEL, abbreviation_goes_on
from clarion.text.types import Rule

# A list item's number, at a line's start or after a colon or a sentence ("Tips: 1. Sleep well.
# 2. Drink water."), is read with a pause, not a full stop that makes it a sentence of its own.
_ITEM_NUMBER = re.compile(r"(?m)(?:^|(?<=[:;.!?]\s))(?P<n>[ \t]*[0-9]{1,2})[.)][ \t]+(?=[A-Z])")


def _enclosed(m: re.Match[str]) -> str:
    """An item's "①" opening a line or a sentence reads "one," with a pause; elsewhere ("step ⑩",
    "note ①") it is the number alone."""
    words = _cardinal(str(int(unicodedata.numeric(m.group(0).strip()))))
    before = m.string[: m.start()].rstrip(" \t")
    opens = not before or before[-1] in "\n:;.!?"
    following = m.string[m.end() : m.end() + 1]
    return _pad(m, words + ("," if opens and following and following not in ",.;:!?)" else ""))


def _item_number(m: re.Match[str]) -> str:
    if VALUE_LABEL.search(m.string, max(0, m.start() - 24), m.end("n")):  # "Score: 5. Great job."
        return m.group(0)
    if m.start() > 1 and m.string[m.start() - 2] == "." and abbreviation_goes_on(m.string, 0, m.start() - 1):
        return m.group(0)  # "on Dec. 13. See ...": the date's day, after an abbreviation
    if m.start() > 1 and m.string[m.start() - 2] == ":" and m.group("n").strip() != "1":
        return m.group(0)  # "Weight: 5. Height: 6.": after a colon a list starts at 1; others are values
    return m.group("n") + ", "


# "between 9-11am", "between $5-$10": a range after "between" reads "and", not "to"; so does one
# of days or months already read ("between Monday to Friday").
_NAMES = "|".join((*_MONTHS, *dict.fromkeys(_WEEKDAYS.values())))
_BETWEEN = re.compile(
    r"(?<![\w])(?P<b>[Bb]etween\s++)(?P<a>[$€£]?[0-9][0-9,.:]*+(?:\s?(?:[ap]\.?m\.?|[AP]M|%))?)\s?[-–—]\s?"
    r"(?=[$€£]?[0-9][0-9,.:]*+(?![-/0-9]))"
    rf"|(?<![\w])(?P<n>[Bb]etween\s++(?:{_NAMES}))\s++to\s++(?=(?:{_NAMES})(?![\w]))"
)


def _between(m: re.Match[str]) -> str:
    return (m.group("n") or m.group("b") + m.group("a")) + " and "


_RANGE = re.compile(
    r"(?<![\w.,/:-])(?P<a>[0-9]++(?:\.[0-9]++)?)(?:-|\s?[–—]\s?)(?P<b>[0-9]++(?:\.[0-9]++)?)(?![\w/:-]|[.,][0-9])"
)


_EQUALS_NEXT = re.compile(r"\s?=")
# A win-loss record reads "and": "went 12-3", "a 10-6 record", "12-3 this season".
_RECORD_BEFORE = re.compile(r"\b(?:went|record\s+of|improved\s+to|fell\s+to|dropped\s+to)\s+$", re.I)
_RECORD_AFTER = re.compile(r"\s+(?:record|overall|on\s+the\s+(?:season|year|road)|this\s+season|at\s+home)\b")


def _range(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if _EQUALS_NEXT.match(m.string, m.end()):  # "1-2=5": a subtraction
        return f"{a} minus {b}"
    if _is_year(a) and _is_year(b):
        return _pad(m, f"{_year(int(a))} to {_year(int(b))}")
    if _is_year(a) and len(b) == 2 and int(b) > int(a[2:]):  # "the 2024-25 season"
        return _pad(m, f"{_year(int(a))} to {_cardinal(b)}")
    record = _RECORD_AFTER.match(m.string, m.end()) or _RECORD_BEFORE.search(
        m.string, max(0, m.start() - 16), m.start()
    )
    if record and len(a) <= 3 and len(b) <= 3 and "." not in a + b:
        return f"{a} and {b}"
    return f"{a} to {b}"


_ORDINAL = re.compile(r"(?<![\w.,])(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++)(?:st|nd|rd|th)(?![\w])")
# "#1", "#42": a rank or a short number; four digits or more after "#" are an identifier, read
# digit by digit by the ID rule ("Rx #4567890").
_NUMBER_SIGN = re.compile(r"(?<![\w&#])#\s?(?=[0-9]{1,3}(?![0-9])|[0-9]{1,3}(?:,[0-9]{3})+)")
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
    r"|answered|solved|rated|rating|rates|grade|graded|averaging|averaged|went|going|goes|shot|shooting|completed|completes"
    r"|out\s+of)(?<!of):?\s$"  # "Score: 9/10"
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
_DECIMAL = re.compile(
    r"(?<![0-9.,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++|[0-9]++|(?<!\w))\.(?P<f>[0-9]++)(?![0-9]|\.[0-9])"
)
_CARDINAL = re.compile(
    r"(?<![0-9,])(?P<neg>(?<![\w.,)-])[-−])?(?P<i>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)"
)


def _ordinal_sub(m: re.Match[str]) -> str:
    return _pad(m, _ordinal(m.group("i")))


def _fraction_words(n: int, d: int, after_article: bool = False) -> str:
    if d == 2:
        den = "half" if n == 1 else "halves"
    elif d == 4:
        den = "quarter" if n == 1 else "quarters"
    else:
        den = _ordinal(str(d)) + ("" if n == 1 else "s")
    if n == 1 and after_article:
        return den  # "a 1/2 cup": a half cup, not "a one half cup"
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
        article = not m.group("w") and _after_article(m)
        body = _fraction_words(n, d, after_article=article)
    if m.group("w"):
        body = f"{_cardinal(m.group('w'))} and {body}"
    return _pad(m, body)


def _decimal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _decimal(m.group("i"), m.group("f")))


def _cardinal_sub(m: re.Match[str]) -> str:
    neg = "minus " if m.group("neg") else ""
    return _pad(m, neg + _cardinal(m.group("i")))


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


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
ITEM_NUMBER = Rule("en.cardinal", _ITEM_NUMBER, _item_number)
ENCLOSED = Rule("en.cardinal", re.compile(ENCLOSED_NUMBER + r"\s*"), _enclosed)
BETWEEN = Rule("en.range", _BETWEEN, _between)
RANGE = Rule("en.range", _RANGE, _range)
FRACTION_SUFFIX = Rule("en.fraction", _FRACTION_SUFFIX, lambda m: m.group("f"))
ORDINAL = Rule("en.ordinal", _ORDINAL, _ordinal_sub)
NUMBER_SIGN = Rule("en.symbol", _NUMBER_SIGN, lambda m: _pad(m, "number"))
VULGAR = Rule("en.fraction", _VULGAR, _vulgar)
FRACTION = Rule("en.fraction", _FRACTION, _fraction)
PER_COUNT = Rule("en.measure", _PER_COUNT, lambda m: " per ")
KILO = Rule("en.cardinal", _KILO, _kilo)
MEGA = Rule("en.cardinal", _MEGA, _mega)
DECIMAL = Rule("en.decimal", _DECIMAL, _decimal_sub)
CARDINAL = Rule("en.cardinal", _CARDINAL, _cardinal_sub)
