"""What the text front end hands around."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and the names of the rules that changed it (e.g. "zh.date",
    "en.currency"), in the order they fired: users debug pronunciation with them."""

    text: str
    rules: tuple[str, ...] = field(default_factory=tuple)
