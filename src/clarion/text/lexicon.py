"""The user lexicon: term -> replacement, per language, matched as whole terms.

A YAML file maps a language ("en", "zh", or "*" for every language) to its terms::

    zh:
      AI: 人工智能
    en:
      AI: A I
      SQL: sequel
    "*":
      Clarion: Clarion

or a TSV file holds ``language<TAB>term<TAB>replacement`` lines ('#' starts a comment).
The file is re-read when its modification time changes, so edits apply without a restart.

Whole-term matching: a term that starts or ends with a letter or digit must not touch
another letter or digit on that side ("AI" matches in "AI is" and "用AI做" but not in
"MAIL"); Han characters are not word characters here, since Chinese has no spaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clarion.errors import InvalidRequest

_WORD = r"A-Za-z0-9\u00c0-\u024f"
ANY = "*"


@dataclass(frozen=True, slots=True)
class Replacement:
    start: int  # in the output text
    end: int
    term: str


class Lexicon:
    """Thread-safe; ``apply`` checks the file at most once per ``check_interval_s``."""

    def __init__(self, path: Path | None = None, check_interval_s: float = 1.0) -> None:
        self.path = path
        self.check_interval_s = check_interval_s
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, str]] = {}
        self._patterns: dict[tuple[str, ...], re.Pattern[str] | None] = {}
        self._mtime: float | None = None
        self._checked = 0.0
        self.loaded_at: float | None = None
        self._fingerprint = "empty"
        if path is not None:
            self._load()

    @classmethod
    def from_entries(cls, entries: Mapping[str, Mapping[str, str]]) -> Lexicon:
        lex = cls()
        lex._set(_validated(entries, "entries"))
        return lex

    # -- reading ---------------------------------------------------------------
    def entries(self) -> dict[str, dict[str, str]]:
        self._maybe_reload()
        with self._lock:
            return {lang: dict(terms) for lang, terms in self._entries.items()}

    def apply(self, text: str, *languages: str) -> tuple[str, list[Replacement]]:
        """Replace whole terms of the given languages (earlier ones win) and of "*",
        longest term first."""
        self._maybe_reload()
        key = languages
        with self._lock:
            table = self._table(languages)
            pattern = self._patterns.get(key)
            if pattern is None and key not in self._patterns:
                pattern = self._compile(key, table)
        if pattern is None:
            return text, []
        out: list[str] = []
        spans: list[Replacement] = []
        pos = 0
        length = 0
        for m in pattern.finditer(text):
            before = text[pos : m.start()]
            out.append(before)
            length += len(before)
            new = table[m.group(0)]
            spans.append(Replacement(length, length + len(new), m.group(0)))
            out.append(new)
            length += len(new)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out), spans

    # -- loading ---------------------------------------------------------------
    def _maybe_reload(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._checked < self.check_interval_s:
            return
        self._checked = now
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError:
            return  # a file being replaced: keep serving the last good version
        if mtime != self._mtime:
            # A half-written or broken edit must not take the last good lexicon away.
            with contextlib.suppress(InvalidRequest):
                self._load()

    def _load(self) -> None:
        assert self.path is not None
        mtime = os.stat(self.path).st_mtime
        raw = self.path.read_text(encoding="utf-8")
        entries = _parse_tsv(raw) if self.path.suffix.lower() in (".tsv", ".txt") else _parse_yaml(raw)
        self._set(_validated(entries, str(self.path)))
        self._mtime = mtime

    def _set(self, entries: dict[str, dict[str, str]]) -> None:
        blob = json.dumps(entries, sort_keys=True, ensure_ascii=False).encode()
        with self._lock:
            self._entries = entries
            self._patterns = {}
            self.loaded_at = time.time()
            self._fingerprint = hashlib.sha256(blob).hexdigest()[:16]

    def fingerprint(self) -> str:
        """A short hash of the entries in force: what a cache of read text must key on."""
        self._maybe_reload()
        return self._fingerprint

    def _table(self, languages: tuple[str, ...]) -> dict[str, str]:
        table = dict(self._entries.get(ANY, {}))
        for lang in reversed(languages):
            table.update(self._entries.get(lang, {}))
        return table

    def _compile(self, key: tuple[str, ...], terms: dict[str, str]) -> re.Pattern[str] | None:
        if not terms:
            self._patterns[key] = None
            return None
        # One alternation, longest terms first, so "AI芯片" wins over "AI".
        alternatives = [_bounded(t) for t in sorted(terms, key=len, reverse=True)]
        pattern = re.compile("|".join(alternatives))
        self._patterns[key] = pattern
        return pattern


def _bounded(term: str) -> str:
    body = re.escape(term)
    if re.match(f"[{_WORD}]", term[0]):
        body = f"(?<![{_WORD}])" + body
    if re.match(f"[{_WORD}]", term[-1]):
        body += f"(?![{_WORD}])"
    return body


def _parse_yaml(raw: str) -> object:
    import yaml

    try:
        return yaml.safe_load(raw) or {}
    except yaml.YAMLError as e:
        raise InvalidRequest(f"lexicon is not valid YAML: {e}") from e


def _parse_tsv(raw: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise InvalidRequest(f"lexicon line {n}: expected language<TAB>term<TAB>replacement")
        lang, term, replacement = (p.strip() for p in parts)
        out.setdefault(lang, {})[term] = replacement
    return out


def _validated(data: object, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(data, Mapping):
        raise InvalidRequest(f"lexicon {where}: expected a mapping of language -> terms")
    out: dict[str, dict[str, str]] = {}
    for lang, terms in data.items():
        if not isinstance(lang, str) or not isinstance(terms, Mapping):
            raise InvalidRequest(f"lexicon {where}: language {lang!r} must map to term: replacement pairs")
        table: dict[str, str] = {}
        for term, replacement in terms.items():
            if not isinstance(term, str) or not term.strip():
                raise InvalidRequest(f"lexicon {where}: empty or non-text term under {lang!r}")
            table[term] = "" if replacement is None else str(replacement)
        out[lang] = table
    return out
