"""Voice mixing for engines whose voices are embeddings (Kokoro's style vectors).

Syntax: voices joined by ``+``, each with an optional weight in parentheses:
``af_heart+zf_xiaoxiao`` (equal parts) or ``af_heart(0.7)+af_bella(0.3)``. Weights are
normalised to sum to 1. The first voice leads: it decides the language (phonemiser)."""

from __future__ import annotations

import re

from clarion.errors import InvalidRequest

MAX_PARTS = 4
_PART = re.compile(r"^\s*([A-Za-z0-9_-]{1,64})\s*(?:\(\s*([0-9]*\.?[0-9]+)\s*\))?\s*$")

Mix = tuple[tuple[str, float], ...]


def is_mix(voice: str) -> bool:
    return "+" in voice or "(" in voice


def parse_mix(voice: str) -> Mix:
    parts = voice.split("+")
    if not 1 <= len(parts) <= MAX_PARTS:
        raise InvalidRequest(f"a voice mix takes 1 to {MAX_PARTS} voices; got {len(parts)}", param="voice")
    named: list[tuple[str, float]] = []
    for part in parts:
        m = _PART.match(part)
        if m is None:
            raise InvalidRequest(
                f"cannot read {part.strip()!r} in voice mix {voice!r}; "
                "write e.g. af_heart(0.7)+af_bella(0.3)",
                param="voice",
            )
        weight = float(m.group(2)) if m.group(2) is not None else 1.0
        if weight <= 0:
            raise InvalidRequest(
                f"weights in a voice mix must be above 0; got {part.strip()!r}", param="voice"
            )
        named.append((m.group(1), weight))
    total = sum(w for _, w in named)
    return tuple((name, w / total) for name, w in named)


def canonical(mix: Mix) -> str:
    """One spelling per mix (weights normalised, rounded), used as the voice id."""
    return "+".join(f"{name}({round(w, 4):g})" for name, w in mix)
