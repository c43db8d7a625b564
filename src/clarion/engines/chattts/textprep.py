"""ChatTTS's text preparation, done in plain Python with the package's own tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TAG = re.compile(r"(\[[^\[\]]*\])")  # a control tag such as [uv_break], kept whole


class TextPrep:
    """What ``Normalizer.__call__(text, True, True)`` of the ChatTTS package does: detect the
    language, run its registered normaliser outside [tags], make Mandarin punctuation
    full-width, simplify characters outside its alphabet (then drop those still outside it)
    and apply its homophone table. The package runs these through numba-compiled helpers,
    which compile at the first request of every process: about 15 s, and 80 s on this
    project's slow CI CPU, for work that takes microseconds a sentence in plain Python.
    This uses the package's own tables, patterns and registered normalisers; a test compares
    the two on a corpus."""

    def __init__(self, normalizer: Any) -> None:
        self._norm = normalizer
        src, dst = normalizer.homophones_map
        self._homophones = {int(a): int(b) for a, b in zip(src, dst, strict=True)}

    def __call__(self, text: str) -> str:
        norm = self._norm
        lang = norm._detect_language(text)
        if lang in norm.normalizers:
            text = _outside_tags(text, norm.normalizers[lang])
        if lang == "zh":
            text = norm._apply_half2full_map(text)
        invalid = norm._count_invalid_characters(text)
        if invalid:
            text = norm._apply_character_map(text)
        text = text.translate(self._homophones)
        if invalid:
            text = _outside_tags(text, lambda part: norm.reject_pattern.sub("", part))
        return text


def _outside_tags(text: str, change: Callable[[str], str]) -> str:
    parts = _TAG.split(text)  # text, tag, text, ...: odd indices are tags
    return "".join(part if i % 2 or not part else change(part) for i, part in enumerate(parts))
