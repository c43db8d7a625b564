"""The text front end every engine shares:

clean-up -> user lexicon -> language spans -> per-language normalisation -> sentences.

The result keeps what a user needs to debug pronunciation: the normalised text, the
segments with their language, and which rules fired."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from clarion.text.en import normalize_en
from clarion.text.lang import has_han
from clarion.text.lexicon import Lexicon
from clarion.text.normalize import normalize
from clarion.text.spans import Language, Span, dominant_language, language_spans
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


class TextFrontEnd:
    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or Lexicon()

    def normalize(self, text: str, options: FrontEndOptions | None = None) -> Normalised:
        opts = options or FrontEndOptions()
        cleaned = normalize(text)
        if not opts.enabled:
            lang = "zh" if dominant_language(cleaned) == "zh" else (opts.language or "en")
            return Normalised(cleaned, [], [Span(cleaned, lang)] if cleaned else [], set())
        rules: list[str] = []
        terms: set[str] = set()
        out: list[Span] = []
        # Without a voice to go by, the text's own script decides.
        hint = opts.language or ("zh" if has_han(cleaned) else "en")
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

    def process(self, text: str, options: FrontEndOptions | None = None) -> FrontEndResult:
        opts = options or FrontEndOptions()
        norm = self.normalize(text, opts)
        pieces = split_sentences(norm.text, opts.max_segment_chars, _occurrences(norm.text, norm.terms))
        segments = [TaggedSegment(s.strip(), dominant_language(s)) for s in pieces if s.strip()]
        return FrontEndResult(norm.text, segments, norm.rules, norm.spans)


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
