"""What the text front end hands around."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and the names of the rules that changed it (e.g. "zh.date",
    "en.currency"), in the order they fired: users debug pronunciation with them."""

    text: str
    rules: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Rule:
    """One normalisation pass: every match of ``pattern`` becomes ``repl(match)``, and the pass is
    logged as ``name`` when it changes something."""

    name: str
    pattern: re.Pattern[str]
    repl: Callable[[re.Match[str]], str]


class RuleLog:
    """Runs substitution rules and records, once each and in order, the ones that changed
    something: both normalisers report their rules through it."""

    def __init__(self) -> None:
        self.rules: list[str] = []

    def fire(self, name: str) -> None:
        if name not in self.rules:
            self.rules.append(name)

    def sub(
        self, name: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str
    ) -> str:
        changed = False

        def wrap(m: re.Match[str]) -> str:
            nonlocal changed
            out = repl(m)
            changed = changed or out != m.group(0)
            return out

        new = pattern.sub(wrap, text)
        if changed:
            self.fire(name)
        return new

    def apply(self, rule: Rule, text: str) -> str:
        return self.sub(rule.name, rule.pattern, rule.repl, text)
