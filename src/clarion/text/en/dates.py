"""Dates and years: month names and tables, month/day/year in words, numbers, ISO and slash
forms, ranges of days, months, quarters and weekdays, weekday abbreviations before a date,
the cue words that make a bare month/day a date, decades, and years after a cue word, before
a noun that dates things, in brackets, cut to two digits, or before an era (AD, BC...).
"""

from __future__ import annotations

import re

from clarion.text.en.words import _cardinal, _kept_stop, _oh_digits, _ordinal, _pad, _year
from clarion.text.types import Rule

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
    r"(?<![\w.])(?P<the>[Tt]he\s+)?" + _DAY + _DAY_TO + r"(?:\s+of)?\s+(?P<m>" + _MONTH_WORD + r")(?![\w])"
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
# A card's expiry is a month and a year, said as two numbers: "expires 12/27" -> twelve twenty-seven.
_CARD_EXPIRY = re.compile(
    r"(?P<cue>\b(?:[Ee]xp(?:ires|iry|iration)?|EXP|[Vv]alid\s++(?:thru|through)|[Gg]ood\s++thru)"
    r"(?:\s++date)?(?:\s++(?:is|of))?)(?P<dot>\.)?:?\s*+"
    r"(?P<m>0?[1-9]|1[0-2])\s?/\s?(?P<y>[0-9]{2}|20[0-9]{2})(?![\w/]|[.,][0-9])"
)


def _card_expiry(m: re.Match[str]) -> str:
    cue = m.group("cue")
    if cue.lower() == "exp":
        cue = "Expiry" if cue[0] == "E" else "expiry"
    y = m.group("y")
    year = _year(int(y)) if len(y) == 4 else _oh_digits(y)
    return f"{cue} {_cardinal(str(int(m.group('m'))))} {year}"


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


_BETWEEN_BEFORE = re.compile(r"\b[Bb]etween\s+(?:the\s+)?$")


def _date_words(m: re.Match[str], dmy: bool = False) -> str:
    if not _plausible_month(m):
        return m.group(0)
    day = m.groupdict().get("d")
    out = _say_date(_month_num(m.group("m")), int(day) if day else None, m.group("y"), dmy)
    if m.groupdict().get("d2"):
        first, last = _ordinal(str(int(day or 0))), _ordinal(str(int(m.group("d2"))))
        joint = "and" if _BETWEEN_BEFORE.search(m.string, max(0, m.start() - 12), m.start()) else "to"
        out = out.replace(first, f"{first} {joint} {'the ' if dmy else ''}{last}", 1)
    if (m.groupdict().get("the") or "").startswith("T"):  # "The 2nd of May" opens a sentence
        out = out[0].upper() + out[1:]
    # Keep a full stop if the month abbreviation's dot was the sentence end.
    return _pad(m, out + _kept_stop(m, m.group(0)))


def _month_range(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if not (a[0].isupper() and b[0].isupper()):
        return m.group(0)
    out = f"{_MONTHS[_month_num(a) - 1]} to {_MONTHS[_month_num(b) - 1]}"
    return _pad(m, out + _kept_stop(m, b))


def _date_iso(m: re.Match[str]) -> str:
    return _pad(m, _say_date(int(m.group("m")), int(m.group("d")), m.group("y")))


# "2024-06": an ISO year and month. "2010-11" names a season (the next year), not November.
_YEAR_MONTH = re.compile(r"(?<![\w.,/-])(?P<y>(?:19|20)[0-9]{2})-(?P<m>0[1-9]|1[0-2])(?![\w/-]|[.,:][0-9])")


def _year_month(m: re.Match[str]) -> str:
    y, mo = m.group("y"), int(m.group("m"))
    if not m.group("m").startswith("0") and mo == (int(y[2:]) + 1) % 100:
        return m.group(0)
    return _pad(m, f"{_MONTHS[mo - 1]} {_year(int(y))}")


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


_WEEKDAYS = {
    "Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
    "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday",
}  # fmt: skip
_WEEKDAY_ALT = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_WEEKDAY_RANGE = re.compile(
    r"(?<![\w.])(?P<a>" + _WEEKDAY_ALT + r")\.?(?:\s?[-–—]\s?|\s(?P<sep>to|through|thru|and|&)\s)"
    r"(?P<b>" + _WEEKDAY_ALT + r")\.?(?![\w])"
    r"|(?<![\w.-])(?P<mf>M[-–]F)(?![\w-])"  # opening hours' "M-F"
)
# A weekday after opening hours or "closed": "10-2 Sat.", "9am-5pm Sun", "closed Sun".
_WEEKDAY_AFTER_HOURS = re.compile(
    r"(?:(?<=[0-9] )|(?<=[ap]m )|(?<=[Cc]losed ))(?P<w>" + _WEEKDAY_ALT + r")\.?(?![\w])"
)


def _weekday_range(m: re.Match[str]) -> str:
    if m.group("mf"):
        return "Monday to Friday"
    sep = {"and": "and", "&": "and"}.get(m.group("sep") or "", m.group("sep") or "to")
    if sep == "thru":
        sep = "through"
    return _pad(m, f"{_WEEKDAYS[m.group('a')]} {sep} {_WEEKDAYS[m.group('b')]}{_kept_stop(m, m.group(0))}")


def _weekday_after_hours(m: re.Match[str]) -> str:
    return _WEEKDAYS[m.group("w")] + _kept_stop(m, m.group(0))


def _is_year(s: str, low: int = 1100) -> bool:
    return len(s) == 4 and s.isdigit() and low <= int(s) <= 2099


# "1960s-80s", "the 1960s–1980s": decades to decades.
_DECADE_RANGE = re.compile(r"(?<=[0-9]0s)\s?[-–—]\s?(?=(?:1[0-9]|20)?[0-9]0s(?![\w'’]))")
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
# A bare 1900-2039 that nothing has read as an amount is a year: "2012 was a good year", "in
# 1999 and 2004". Amounts with a unit, a currency or a percent were read by earlier rules; a count
# noun or a plural after it ("1999 people", "1995 employees"), or a word that numbers things before it
# ("page 1984"), keeps it a cardinal.
_YEAR_BARE = re.compile(
    r"(?<![\w.,$£€¥#/:+\-−])(?P<y>19[0-9]{2}|20[1-3][0-9])(?![\w%°/'’]|[.,:][0-9]|\s?[-–—]\s?[0-9])"
)
_WORD_AFTER = re.compile(r"\s++([A-Za-z]++)")
_WORD_BEFORE = re.compile(
    r"\b(?i:page|pages|p|pp|number|no|room|item|step|code|id|pin|ext|flight|route|rank)\.?\s++$"
)
_COUNT_NOUN = re.compile(_COUNT_NOUNS)
_VERBS_IN_S = frozenset(
    {"was", "has", "is", "marks", "brings", "sees", "looks", "remains", "promises", "seems"}
)


def _year_bare(m: re.Match[str]) -> str:
    s = m.string
    after = _WORD_AFTER.match(s, m.end())
    if after is not None:
        word = after.group(1)
        plural = len(word) >= 4 and word.endswith("s") and not word.endswith("ss") and word not in _VERBS_IN_S
        if plural or _COUNT_NOUN.match(word):
            return m.group(0)
    if _WORD_BEFORE.search(s, max(0, m.start() - 8), m.start()):
        return m.group(0)
    return _pad(m, _year(int(m.group("y"))))


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
    words = "two thousand" if y == "00" else _oh_digits(y)
    return _pad(m, words)


def _year_era(m: re.Match[str]) -> str:
    y = m.group("y")
    era = " ".join(m.group("era").replace(".", ""))
    words = _year(int(y)) if _is_year(y, low=1000) else _cardinal(y)
    return _pad(m, f"{words} {era}{_kept_stop(m, m.group('era'))}")  # "753 B.C. The city"


# A month and day without a year, after a word that introduces a date: "on 6/15", "until
# 12/31", "Friday 3/4". "by", "from", "after" and "before" also take amounts ("cut by 1/3"),
# so after them only a day past 12, which no common fraction has, makes it a date.
_DATE_CUE = re.compile(
    r"(?:^|\W)(?:(?i:on|until|till|through|thru|since|due|dated|starting|ending|effective|expires?|expiring"
    r"|as\s+of)"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s$"
)
_WEAK_DATE_CUE = re.compile(r"(?:^|\W)(?i:by|from|after|before|to)\s$")
_WEEKDAY_DATE = re.compile(
    r"(?<![\w.])(?P<w>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?(?=,?\s++(?:"
    + _MONTH_WORD
    + r"\s|[0-9]))"
)


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
WEEKDAY_RANGE = Rule("en.date", _WEEKDAY_RANGE, _weekday_range)
WEEKDAY_AFTER_HOURS = Rule("en.date", _WEEKDAY_AFTER_HOURS, _weekday_after_hours)
WEEKDAY_DATE = Rule("en.date", _WEEKDAY_DATE, lambda m: _WEEKDAYS[m.group("w")])
DATE_ISO = Rule("en.date", _DATE_ISO, _date_iso)
CARD_EXPIRY = Rule("en.date", _CARD_EXPIRY, _card_expiry)
YEAR_MONTH = Rule("en.date", _YEAR_MONTH, _year_month)
DATE_SLASH = Rule("en.date", _DATE_SLASH, _date_slash)
MONTH_RANGE = Rule("en.date", _MONTH_RANGE, _month_range)
PERIOD_RANGE = Rule("en.date", _PERIOD_RANGE, lambda m: _pad(m, f"{m.group('a')} to {m.group('b')}"))
DATE_MDY = Rule("en.date", _DATE_MDY, _date_words)
DATE_HYPHENS = Rule("en.date", _DATE_HYPHENS, _date_words)
DATE_DMY = Rule("en.date", _DATE_DMY, lambda m: _date_words(m, dmy=True))
DATE_MY = Rule("en.date", _DATE_MY, _date_words)
DECADE_RANGE = Rule("en.year", _DECADE_RANGE, lambda m: " to ")
DECADE = Rule("en.year", _DECADE, _decade)
YEAR_ERA = Rule("en.year", _YEAR_ERA, _year_era)
YEAR_SHORT = Rule("en.year", _YEAR_SHORT, _year_short)
YEAR_CUE = Rule("en.year", _YEAR_CUE, _year_cue)
YEAR_NOUN = Rule("en.year", _YEAR_NOUN, lambda m: _pad(m, _year(int(m.group("y")))))
YEAR_PAREN = Rule(
    "en.year", _YEAR_PAREN, lambda m: m.group(0).replace(m.group("y"), _year(int(m.group("y"))))
)
YEAR_BARE = Rule("en.year", _YEAR_BARE, _year_bare)
