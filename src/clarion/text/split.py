"""Sentence splitting that knows CJK and Western punctuation.

The segments always concatenate back to the input exactly (no character lost), so
long text is split, never truncated. Callers strip each segment before synthesis."""

from __future__ import annotations

import re

# A sentence ends at CJK terminators (no space needed), at Western terminators followed
# by whitespace (so "3.14" and "e.g.x" stay whole), or at a line break.
_SENTENCE_END = re.compile(r"[。！？；…]+[”’」』）)\]]*|[.!?;]+[\"'”’)\]]*(?=\s)|\n+")
# Where an over-long sentence may be cut: CJK clause marks, Western ones only when a space
# follows (so "1,000" and "14:30" stay whole), then any whitespace (URLs have none).
_CLAUSE = re.compile(r"[，、：；]\s*|[,:](?=\s)\s*|\s+")


def split_sentences(text: str, max_chars: int = 300) -> list[str]:
    if max_chars < 1:
        raise ValueError("max_chars must be >= 1")
    pieces: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    out: list[str] = []
    for piece in pieces:
        out.extend(_cap(piece, max_chars))
    # Whitespace-only pieces join their predecessor so every segment has content.
    merged: list[str] = []
    for seg in out:
        if merged and not seg.strip():
            merged[-1] += seg
        else:
            merged.append(seg)
    return merged


def _cap(piece: str, max_chars: int) -> list[str]:
    """Cut a sentence longer than max_chars at the last clause mark or space that fits."""
    out = []
    while len(piece.strip()) > max_chars:
        cut = 0
        for m in _CLAUSE.finditer(piece, 0, max_chars + 1):
            if m.end() <= max_chars:
                cut = m.end()
        if cut == 0 or not piece[:cut].strip():
            cut = max_chars  # no break point: a hard cut beats an endless segment
        out.append(piece[:cut])
        piece = piece[cut:]
    out.append(piece)
    return out
