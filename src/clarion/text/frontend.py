"""The text front end every engine shares:

clean-up (marks of Markdown and HTML, emoji) -> user lexicon -> language spans
-> per-language normalisation -> sentences.

The result keeps what a user needs to debug pronunciation: the normalised text, the
segments with their language, and which rules fired."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from clarion.text.en import normalize_en
from clarion.text.lang import has_han
from clarion.text.lexicon import Lexicon
from clarion.text.markup import plain_text
from clarion.text.normalize import normalize
from clarion.text.spans import Language, Span, dominant_language, language_spans, merge_spans
from clarion.text.split import split_sentences
from clarion.text.zh import normalize_zh


@dataclass(frozen=True, slots=True)
class TaggedSegment:
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class FrontEndResult:
    text: str
    segments: list[TaggedSegment]
    rules: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    rules: list[str]
    spans: list[Span]
    terms: set[str]  # lexicon replacements, kept whole by the splitter


@dataclass(frozen=True, slots=True)
class FrontEndOptions:
    enabled: bool = True  # False: clean-up and splitting only (engines with their own normaliser)
    erhua: Literal["keep", "merge"] = "keep"
    yao: bool = True  # read 1 as 幺 in phone numbers and codes, as Mandarin speakers do
    max_segment_chars: int = 300
    # The reading voice's language: digits, symbols and units not inside the other
    # language's words are read in it ("3kg" to a Mandarin voice is 三公斤).
    language: Language | None = None
    # Markdown's and HTML's marks and emoji dropped, their words kept (text.markup).
    markup: bool = True


class TextFrontEnd:
    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or Lexicon()

    def normalize(self, text: str, options: FrontEndOptions | None = None) -> Normalised:
        opts = options or FrontEndOptions()
        cleaned = _clean(text, opts)
        return self._normalise(cleaned, opts, _hint(cleaned, opts))

    def _normalise(self, cleaned: str, opts: FrontEndOptions, hint: Language) -> Normalised:
        if not opts.enabled:
            lang = "zh" if dominant_language(cleaned) == "zh" else hint
            return Normalised(cleaned, [], [Span(cleaned, lang)] if cleaned.strip() else [], set())
        rules: list[str] = []
        terms: set[str] = set()
        out: list[Span] = []
        spans = language_spans(cleaned, hint)
        for i, span in enumerate(spans):
            # English words inside Chinese text take the Chinese entries first ("用AI" -> 人工智能).
            in_chinese = span.language == "en" and any(
                s.language == "zh" for s in spans[max(0, i - 1) : i + 2]
            )
            languages = ("zh", "en") if in_chinese else (span.language,)
            replaced, hits = self.lexicon.apply(span.text, *languages)
            if hits:
                rules.append("lexicon")
                terms.update(replaced[h.start : h.end] for h in hits)
            # Lexicon replacements may change the span's language ("AI" -> "人工智能").
            for part in language_spans(replaced, hint) if hits else [span]:
                if part.language == "zh":
                    result = normalize_zh(part.text, yao=opts.yao, erhua=opts.erhua)
                else:
                    result = normalize_en(part.text)
                rules.extend(r for r in result.rules if r not in rules)
                out.append(Span(result.text, part.language))
        merged = "".join(s.text for s in out)
        return Normalised(merged, list(dict.fromkeys(rules)), out, terms)

    def process_parts(self, text: str, options: FrontEndOptions | None = None) -> Iterator[FrontEndResult]:
        """The text's first sentence, then the rest, each normalised and split on its own, so
        that synthesis can start while a long text is still being read. Joined, the parts are
        what ``process`` returns."""
        opts = options or FrontEndOptions()
        cleaned = _clean(text, opts)
        hint = _hint(cleaned, opts)
        for part in _head_and_rest(cleaned, opts.max_segment_chars):
            norm = self._normalise(part, opts, hint)
            pieces = split_sentences(norm.text, opts.max_segment_chars, _occurrences(norm.text, norm.terms))
            segments = [TaggedSegment(s.strip(), dominant_language(s)) for s in pieces if speakable(s)]
            yield FrontEndResult(norm.text, segments, norm.rules, norm.spans)

    def process(self, text: str, options: FrontEndOptions | None = None) -> FrontEndResult:
        parts = list(self.process_parts(text, options))
        return FrontEndResult(
            "".join(p.text for p in parts),
            [s for p in parts for s in p.segments],
            list(dict.fromkeys(r for p in parts for r in p.rules)),
            merge_spans(s for p in parts for s in p.spans),
        )


# Full-width letters and digits ("１０ｋｍ") are the ASCII ones; full-width punctuation stays,
# Mandarin rules read it as written.
_FULL_WIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c).isalnum()}


def _clean(text: str, opts: FrontEndOptions) -> str:
    return normalize(plain_text(text) if opts.markup else text).translate(_FULL_WIDTH_ALNUM)


def speakable(text: str) -> bool:
    """Whether an engine has anything to say: a letter, a digit or a Han character. A
    segment of punctuation, symbols or emoji alone would come back as noise or nothing."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def _hint(cleaned: str, opts: FrontEndOptions) -> Language:
    """The reading language; without a voice to go by, the text's own script decides."""
    return opts.language or ("zh" if has_han(cleaned) else "en")


# Where a first sentence can be read on its own: after CJK or Western !/? marks, a line
# break, or a full stop after a number or a lower-case word of three letters or more that
# is not an abbreviation ("etc.", "approx."; capitalised ones such as "Dr." never end a head).
_HEAD_END = re.compile(
    r"[。！？]+[”’」』）)]*\s*|[!?]+[\"'”’)]*\s+|\n\s*|\b(?P<word>[a-z]{3,}|[0-9]+)\.[\"'”’)]*\s+(?=[A-Z0-9\"“‘'(\u4e00-\u9fff])"
)
_CLAUSE_END = re.compile(r"[，；：]\s*|[,;:]\s+")
_NOT_AN_END = frozenset({"etc", "approx", "incl", "excl", "vs", "est", "dept", "misc", "fig", "vol", "nos"})
_HEAD_MIN_REST = 200  # a text only a little longer than its first sentence is read in one go


def _head_and_rest(cleaned: str, max_chars: int) -> list[str]:
    """The first sentence (or clause, when a sentence runs past ``max_chars``) and the rest."""
    if len(cleaned) <= max_chars + _HEAD_MIN_REST:
        return [cleaned] if cleaned else []
    for m in _HEAD_END.finditer(cleaned, 0, max_chars + 2):
        if m.group("word") and m.group("word") in _NOT_AN_END:
            continue
        if m.end() > max_chars:
            break
        return [cleaned[: m.end()], cleaned[m.end() :]]
    cut = 0
    for m in _CLAUSE_END.finditer(cleaned, 0, max_chars):
        cut = m.end()
    return [cleaned[:cut], cleaned[cut:]] if cut else [cleaned]


def _occurrences(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Where lexicon replacements stand in the final text, so no split falls inside one."""
    ranges = []
    for term in terms:
        if len(term) < 2:
            continue
        pos = text.find(term)
        while pos >= 0:
            ranges.append((pos, pos + len(term)))
            pos = text.find(term, pos + len(term))
    return ranges
