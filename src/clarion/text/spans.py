"""Language spans of mixed Chinese/English text.

Han characters are Chinese and Latin words are English; everything else (digits,
symbols, spaces, punctuation) is neutral and joins a neighbour. With a language hint,
Latin letters that belong to a number are neutral too, not English words: units after it
("65kg", "38°C", "10km/h", "300w"), a currency code or symbol before it ("HKD13.5",
"US$5"), "No." before it ("No.1") and a.m./p.m. after a time. So "体重65kg" is one Chinese
span that the Mandarin rules read whole.

Without a language hint a neutral run joins the neighbour it touches without whitespace,
the following one when it touches both and that one is Han ("买了3个" is Chinese, "第3"),
otherwise the preceding one ("$500 dollars", "iPhone 15"). A text with no letters at all
is Chinese when it has Han characters, else English.

The hint is the language of the voice that will read the text; only with a hint are
units, currency codes and codes glued to digits ("CA1234", "MP3", "COVID-19") read as
part of their number. With "zh", numbers, symbols and codes are read in Mandarin unless
they sit inside an English phrase of a sentence with no Chinese ("I ran 5 km", also after
"我很好。"); real English words are English whatever the hint. Without a hint (engines
splitting already normalised text) the plain rules above apply.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from clarion.text.lang import has_han
from clarion.text.split import sentence_ends

Language = Literal["zh", "en"]

# Han ideographs plus CJK punctuation and full-width forms, which only occur in CJK text.
_HAN = (
    "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # letters; not × (d7) or ÷ (f7)
# Latin units read as part of the number before them. Longest first; case-insensitive
# where people write either case ("12KG", "5Km"), exact where case changes the meaning
# (m/M, s/S are left to the exact list).
_UNITS_ANY_CASE = (
    "km/h|kmh|kph|mph|m/s|km/s|kwh|mah|mbps|kbps|gbps|khz|mhz|ghz|kcal|mmhg|kpa|mpa|rpm|fps|dpi|ppm"
    "|km²|km2|m²|m2|m³|m3|cm²|cm2|cm³|cm3|mm²|mm2|ft²|sq ?ft|sq ?m"
    "|kg|km|cm|mm|nm|mg|ml|ms|μm|μg|um|ug|lbs|lb|oz|ft|in|yd|mi|kb|mb|gb|tb|pb|kw|mw|kv|ma|db|hz|min|hrs|hr"
    "|cal|mol|pa|ns|μs|ng|ha|°c|°f|ºc|ºf|°|℃|℉|㎡|㎞|㎏|㎝|㎜|㏄"
)
_UNITS_TIGHT = "m|s|g|t|L|l|h|W|V|v|K|k|w|M|B|bn|x|X|Gb|Mb"  # only glued to the number: "5m", not "5 m"
_AMPM = r"[ap]\.?m\.?|[AP]\.?M\.?"
_ISO = "RMB|CNY|USD|HKD|EUR|GBP|JPY|AUD|CAD|SGD|KRW|TWD|CHF|INR|RUB|MOP"
_UNIT = rf"(?:\s?(?i:{_UNITS_ANY_CASE})|\s?(?:{_AMPM}|{_ISO})|(?:{_UNITS_TIGHT}))"
_CURRENCY = rf"(?:(?:US|HK|NT|NZ|A|C|S|R)\$|(?:{_ISO})\s?|[$¥€£₩₽₹])"
_NUMBER = r"[0-9][0-9.,:/\-~～x×]*[0-9]|[0-9]"
_NUMBER_SIGN = r"(?:No|NO)\.\s?(?=[0-9])"  # "No.1", read with its number
_MEASURE = rf"(?:{_CURRENCY}|{_NUMBER_SIGN})?(?:{_NUMBER})(?:{_UNIT}(?:/{_UNIT})?(?![{_LATIN}0-9]))?"
# Letters and digits glued into one word: a code or model name ("CA1234", "MP3", "5G",
# "COVID-19", "iPhone15"), read in the language around it.
# A product line and its model number are one code too ("RTX 4090", "GTX 1080").
_CODE = (
    r"[A-Z]{2,5} [0-9]{3,4}(?![0-9.,:/%-])"
    # The look-aheads are bounded: unbounded, each position of "x+x+x+..." scanned to the end.
    rf"|(?=[{_LATIN}0-9+-]{{0,40}}[0-9])(?=[0-9+-]{{0,40}}[{_LATIN}])[{_LATIN}0-9]+(?:[-+][{_LATIN}0-9]+)*"
)
# A web address or an e-mail address (public: the Mandarin rules read the same ones). It is one
# neutral token, read whole in the language around it: its words, dots and digits split
# between two readers made "example dot com/zh".
LINK = (
    r"(?:https?://|www\.|localhost:(?=[0-9]))[A-Za-z0-9._~:/?#@!$&'*+,;=%-]*[A-Za-z0-9/]"
    # An address's name starts where a run of its characters starts: tried at each character
    # of "x+x+x+...", it scanned to the end of the run each time.
    r"|(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_LINK = rf"(?P<link>{LINK})"
# A list item's number in a circle or brackets, or with its full stop, as one character ("①",
# "❶", "⑴", "⒈"), up to 20 (public: both readers read them); unicodedata.numeric gives its value.
ENCLOSED_NUMBER = r"[\u2460-\u249b\u24f5-\u24fe\u2776-\u2793]"
# "B2B", "O2O", "P2P": the 2 is "to", in both languages (public: both readers read them).
TO_PAIR = r"(?<![A-Za-z0-9])(?:B2[BCG]|C2[BCM]|O2O|P2[PC]|M2M|D2C|G2[BC]|E2E|F2F)(?![A-Za-z0-9])"
# An equation or inequality in one-letter variables ("x²+y²=1", "f(x)=2x+1", "a>b", and
# products of two or three, "y=mx+b", "E=mc²"): one neutral token, read whole by one reader.
# Only with a sign that states something (=, <, >, ≤, ≥, ≠), so that "A-B测试" and "A+B轮" stay
# letters; and see ``is_algebra``.
_VARIABLE = r"[A-Za-z]{1,3}(?![A-Za-z])"
# Possessive, and never starting inside another expression, so that a long run of signs costs
# linear time ("1+1+1+..." has one start, not one per "1").
_TERM = rf"(?:{_VARIABLE}|[0-9(])(?:{_VARIABLE}|[0-9()²³^]|\.(?=[0-9])|\s?[-+×÷*/]\s?(?=[A-Za-z0-9(]))*+"
ALGEBRA = (
    rf"(?<![A-Za-z0-9.(_/<+×÷*^²³=>≤≥≠-])(?<![-+×÷*/^=<>≤≥≠] ){_TERM}"
    rf"(?:\s?(?:[<>]=|[=<>≤≥≠])\s?-?{_TERM})++(?![A-Za-z0-9_(°%℃>]|\.[A-Za-z0-9])"
)
# Short words that are no product of variables: functions, and what code writes before "=".
_NOT_PRODUCTS = frozenset({
    "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "lg", "exp", "lim", "max", "min", "abs",
    "mod", "det", "sgn", "id", "is", "if", "or", "and", "not", "the", "key", "sum", "avg", "var",
    "val", "len", "int", "str", "url", "api", "age", "day", "dim", "for", "to", "in", "on", "at",
})  # fmt: skip
_LETTERS = re.compile(r"[A-Za-z]+")


def is_algebra(text: str) -> bool:
    """Whether an ``ALGEBRA`` match is an equation to read as one: it has a letter standing alone
    (a variable), and its runs of two or three letters are products, not words ("id=5", "x=max"),
    in an equation, not beside "<" or ">"."""
    runs = _LETTERS.findall(text)
    if any(len(r) > 1 for r in runs) and ("<" in text or ">" in text):
        return False  # "the tag <p>", "is >": a word before a bracket, no product
    return any(len(r) == 1 for r in runs) and not any(r.lower() in _NOT_PRODUCTS for r in runs)


_ALGEBRA_PART = re.compile(
    r"(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<call>[A-Za-z](?=\())|(?P<var>[A-Za-z])|(?P<sup>[²³])"
    r"|\^(?P<pow>-?[0-9]+|[a-z])|(?P<cmp>[<>]=|[=<>≤≥≠])|(?P<op>[-+×÷*/])|(?P<paren>[()])"
)


def algebra_parts(text: str) -> Iterator[tuple[str, str]]:
    """An ``ALGEBRA`` match's parts in order, as (kind, text), spaces dropped. Kinds: num, var,
    call (a function's letter, before its "("), sup (² or ³), pow (what follows ^), cmp, op,
    sign (a minus with no operand before it: "x=-1"), paren."""
    operand = False
    for m in _ALGEBRA_PART.finditer(text):
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "op" and value == "-" and not operand:
            kind = "sign"
        operand = kind in ("num", "var", "sup", "pow") or value == ")"
        yield kind, value


_TOKEN = re.compile(
    rf"{_LINK}|(?P<zh>[{_HAN}]+)|(?P<en>[{_LATIN}]+(?:['’][{_LATIN}]+)*)|(?P<neutral>[^{_HAN}{_LATIN}]+)"
)
_PLAIN = (
    rf"(?P<measure>(?<![{_LATIN}]){_MEASURE}(?![{_LATIN}]))|(?P<code>(?<![{_LATIN}0-9])(?:{_CODE})(?![{_LATIN}0-9]))"
    rf"|(?P<per>(?<=[{_HAN}])/{_UNIT}(?![{_LATIN}0-9]))"  # a rate after a Chinese unit: 元/kg
    rf"|(?P<zh>[{_HAN}]+)|(?P<en>[{_LATIN}]+(?:['’][{_LATIN}]+)*)|(?P<other>[^{_HAN}{_LATIN}0-9]+|[0-9]+)"
)
_HINTED_TOKEN = re.compile(rf"{_LINK}|(?P<math>{ALGEBRA})|{_PLAIN}")
_PLAIN_TOKEN = re.compile(_PLAIN)


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    language: str  # "zh" or "en"


def language_spans(text: str, hint: Language | None = None) -> list[Span]:
    """Consecutive spans whose texts concatenate back to ``text``."""
    # A Mandarin reader decides within a sentence, as the splitter cuts them, so a sentence
    # streamed on its own reads as it does inside the whole text ("我很好。I ran 5 km.").
    ends = sentence_ends(text) if hint == "zh" else []
    tokens: list[tuple[str, str]] = []
    starts: list[int] = []
    sentence_of: list[int] = []  # the sentence each token starts in
    for m in _tokens(text, hint):
        kind = m.lastgroup if m.lastgroup in ("zh", "en") else "neutral"
        sentence = _sentence(ends, m.start())
        if tokens and kind == "neutral" == tokens[-1][1] and sentence == sentence_of[-1]:
            tokens[-1] = (tokens[-1][0] + m.group(0), kind)
        else:
            tokens.append((m.group(0), kind))
            starts.append(m.start())
            sentence_of.append(sentence)
    if not any(kind != "neutral" for _, kind in tokens):
        return [Span(text, "zh" if has_han(text) else (hint or "en"))] if text else []
    with_zh: set[int] = set()
    with_words: set[int] = set()
    for (tok, kind), start, first in zip(tokens, starts, sentence_of, strict=True):
        if kind == "zh":
            with_zh.update(range(first, _sentence(ends, start + len(tok) - 1) + 1))
        if kind != "neutral":
            with_words.add(first)
    before, after = _nearest_words(tokens)
    langs: list[str] = []
    for i, (tok, kind) in enumerate(tokens):
        if kind != "neutral":
            langs.append(kind)
            continue
        here = sentence_of[i]
        # In a text with no Chinese, a sentence of a number alone ("1990. That was the year.")
        # goes by the words beside it; otherwise a neighbour counts within the sentence only.
        within = here if here in with_words or with_zh else None
        prev = _kind(_neighbour(tokens, sentence_of, before[i], within), hint)
        nxt = _kind(_neighbour(tokens, sentence_of, after[i], within), hint)
        touches_prev = i > 0 and not tok[0].isspace()
        touches_next = i + 1 < len(tokens) and not tok[-1].isspace()
        langs.append(_neutral_language(tok, hint, prev, nxt, touches_prev, touches_next, here in with_zh))
    return merge_spans(Span(tok, lang) for (tok, _), lang in zip(tokens, langs, strict=True))


def _tokens(text: str, hint: Language | None) -> Iterator[re.Match[str]]:
    if hint is None:
        yield from _TOKEN.finditer(text)
        return
    for m in _HINTED_TOKEN.finditer(text):
        if m.lastgroup == "math" and not is_algebra(m.group(0)):
            # Letters and signs that are no equation ("id=5"): read as they would be without the rule.
            yield from _PLAIN_TOKEN.finditer(text, m.start(), m.end())
        else:
            yield m


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Neighbouring spans of one language joined into one."""
    out: list[Span] = []
    for span in spans:
        if out and out[-1].language == span.language:
            out[-1] = Span(out[-1].text + span.text, span.language)
        else:
            out.append(span)
    return out


def _kind(token: tuple[str, str] | None, hint: Language | None) -> str | None:
    """A neighbour's kind; for a Mandarin reader, "word" marks an English word, which a
    variable ("x"), a unit or an acronym ("UTC", "OFF") is not."""
    if token is None:
        return None
    text, kind = token
    if hint == "zh" and kind == "en" and len(text) >= 2 and any(c.islower() for c in text):
        return "word"
    return kind


def _sentence(ends: list[int], pos: int) -> int:
    """The index of the sentence that the character at ``pos`` is in."""
    return bisect.bisect_right(ends, pos)


def _nearest_words(tokens: list[tuple[str, str]]) -> tuple[list[int], list[int]]:
    """For each token, the index of the nearest word (a token that is not neutral) before it and
    after it, -1 for none: one pass each way, since a walk per token is quadratic on "1! 1! ..."."""
    before, after = [-1] * len(tokens), [-1] * len(tokens)
    last = -1
    for i, (_, kind) in enumerate(tokens):
        before[i] = last
        if kind != "neutral":
            last = i
    last = -1
    for i in range(len(tokens) - 1, -1, -1):
        after[i] = last
        if tokens[i][1] != "neutral":
            last = i
    return before, after


def _neighbour(
    tokens: list[tuple[str, str]], sentence_of: list[int], j: int, sentence: int | None
) -> tuple[str, str] | None:
    """Token ``j``, if there is one (``j`` >= 0) in ``sentence`` (in any, for None)."""
    return tokens[j] if j >= 0 and (sentence is None or sentence_of[j] == sentence) else None


def _neutral_language(
    token: str,
    hint: Language | None,
    prev: str | None,
    nxt: str | None,
    touches_prev: bool,
    touches_next: bool,
    sentence_has_zh: bool,
) -> str:
    if hint == "zh":
        # English only beside English words in a sentence with no Chinese in it, or between two
        # of them when it holds no number ("Dr. Smith", "Hello, world" inside Mandarin text).
        between_words = prev == nxt == "word" and not any(c.isdigit() for c in token)
        return "en" if between_words or (not sentence_has_zh and "word" in (prev, nxt)) else "zh"
    prev = "en" if prev == "word" else prev
    nxt = "en" if nxt == "word" else nxt
    if prev is None or (touches_next and nxt == "zh") or (touches_next and not touches_prev):
        return nxt or prev or "en"
    return prev


def dominant_language(text: str) -> str:
    """The language a segment is tagged with: Chinese as soon as it has Han characters,
    since a Mandarin voice reads embedded English but an English voice cannot read Han."""
    return "zh" if has_han(text) else "en"
