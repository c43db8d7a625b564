"""Language spans of mixed Chinese/English text.

Han characters are Chinese and Latin letters are English; everything else (digits,
symbols, spaces, punctuation) is neutral and joins a neighbour: the one it touches
without whitespace, the following one when it touches both and that one is Han ("买了3个"
is Chinese, "第3"), otherwise the preceding one ("$500 dollars", "iPhone 15"). A text
with no letters at all is Chinese when it has Han characters, else English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clarion.text.lang import has_han

# Han ideographs plus CJK punctuation and full-width forms, which only occur in CJK text.
_HAN = (
    "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
_TOKEN = re.compile(
    rf"(?P<zh>[{_HAN}]+)|(?P<en>[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)*)|(?P<neutral>[^{_HAN}A-Za-z\u00c0-\u024f]+)"
)


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    language: str  # "zh" or "en"


def language_spans(text: str) -> list[Span]:
    """Consecutive spans whose texts concatenate back to ``text``."""
    tokens = [(m.group(0), m.lastgroup or "neutral") for m in _TOKEN.finditer(text)]
    if not any(kind != "neutral" for _, kind in tokens):
        return [Span(text, "zh" if has_han(text) else "en")] if text else []
    langs: list[str] = []
    for i, (tok, kind) in enumerate(tokens):
        if kind != "neutral":
            langs.append(kind)
            continue
        prev = next((tokens[j][1] for j in range(i - 1, -1, -1) if tokens[j][1] != "neutral"), None)
        nxt = next((tokens[j][1] for j in range(i + 1, len(tokens)) if tokens[j][1] != "neutral"), None)
        touches_prev = i > 0 and not tok[0].isspace()
        touches_next = i + 1 < len(tokens) and not tok[-1].isspace()
        if prev is None or (touches_next and nxt == "zh") or (touches_next and not touches_prev):
            langs.append(nxt or prev or "en")
        else:
            langs.append(prev)
    spans: list[Span] = []
    for (tok, _), lang in zip(tokens, langs, strict=True):
        if spans and spans[-1].language == lang:
            spans[-1] = Span(spans[-1].text + tok, lang)
        else:
            spans.append(Span(tok, lang))
    return spans


def dominant_language(text: str) -> str:
    """The language a segment is tagged with: Chinese as soon as it has Han characters,
    since a Mandarin voice reads embedded English but an English voice cannot read Han."""
    return "zh" if has_han(text) else "en"
