"""Money and percentages: sums after a currency symbol or before/after an ISO code, with a scale
word or letter ("$5m"), cents and minor units, currency ranges said once ("$5-$10"), the
singular before a noun a sum modifies ("a $20 ticket"), cents (25¢), percents and percent
ranges.
"""

from __future__ import annotations

import re

from clarion.text.en.words import (
    _NUM,
    _NUM_OR_POINT,
    _after_article,
    _cardinal,
    _decimal,
    _number,
    _pad,
)
from clarion.text.types import Rule

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
    return _after_article(m) and _ADJECTIVE_NEXT.match(s, m.end()) is not None


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

# Euros written the continental way, a comma before the cents and dots between thousands:
# "€1.234,56", "12,50 €". Two digits after the comma make it cents; "€1,500" stays 1500.
_EURO_COMMA = re.compile(
    r"(?<![\w.,])(?P<neg>[-−])?€\s?(?P<i>[0-9]{1,3}(?:\.[0-9]{3})*+),(?P<f>[0-9]{2})(?![0-9]|[.,][0-9])"
    r"|(?<![\w.,])(?P<i2>[0-9]{1,3}(?:\.[0-9]{3})*+),(?P<f2>[0-9]{2})\s?€"
)


def _euro_comma(m: re.Match[str]) -> str:
    whole, cents = (m.group("i"), m.group("f")) if m.group("i") else (m.group("i2"), m.group("f2"))
    neg = "minus " if m.group("neg") else ""
    return _pad(m, _money_words("€", whole.replace(".", ","), cents, None, neg))


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


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
PERCENT_RANGE = Rule("en.percent", _PERCENT_RANGE, _percent_range)
MONEY_RANGE = Rule("en.currency", _MONEY_RANGE, _money_range)
MONEY = Rule("en.currency", _MONEY, _money)
EURO_COMMA = Rule("en.currency", _EURO_COMMA, _euro_comma)
CENTS = Rule("en.currency", _CENTS, _cents)
PERCENT = Rule("en.percent", _PERCENT, _percent)
