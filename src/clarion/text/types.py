"""What the text front end hands around."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("clarion.text")


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
        safe = guarded(name, repl)

        def wrap(m: re.Match[str]) -> str:
            nonlocal changed
            out = safe(m)
            changed = changed or out != m.group(0)
            return out

        new = pattern.sub(wrap, text)
        if changed:
            self.fire(name)
        return new

    def apply(self, rule: Rule, text: str) -> str:
        return self.sub(rule.name, rule.pattern, rule.repl, text)


def guarded(name: str, repl: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """``repl`` that leaves its match as written when it raises: a fault in one rule costs one
    match its reading, not the request its audio. The log names the rule and the code line, not
    the text: request text stays private."""

    def safe(m: re.Match[str]) -> str:
        try:
            return repl(m)
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "text rule %s raised %s at %s:%s on a %d-character match; left as written",
                name,
                type(exc).__name__,
                where.filename.rsplit("/", 1)[-1],
                where.lineno,
                len(m.group(0)),
            )
            return m.group(0)

    return safe
