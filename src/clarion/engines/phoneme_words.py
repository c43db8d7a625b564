"""Word timings from phoneme timings: which spoken phonemes belong to which word of the text.

A phonemiser's output keeps word boundaries as spaces, but not always one group per written
word: espeak runs function words together ("of the" -> "ʌvðə") and may read one written word
as several. ``align_words`` matches the text's words to the spoken groups by their lengths in
phonemes (a small dynamic programme over 1:1, many:1 and 1:many matches), then splits a group
that several words share in proportion to each word's own length.

Pure functions on (symbol, start, end) triples, so they are tested without a model."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from clarion.types import WordTiming

# The words a timing is given for: letters and digits, with inner apostrophes ("don't").
_WORD = re.compile(r"\w+(?:['’]\w+)*")
# Marks that take no time of their own when counting a word's length in phonemes.
_UNCOUNTED = frozenset("ˈˌːˑ")

# Most written words one spoken group may hold, and spoken groups one written word may take.
_MAX_SPAN = 4
_UNEVEN = 0.3  # cost of a many:1 or 1:many match, per extra item: 1:1 wins a tie
_UNMATCHED = 1.5  # cost of a word with no sound, or a sound with no word


@dataclass(frozen=True, slots=True)
class Phone:
    """One phoneme as heard: seconds from the start of the segment's audio."""

    symbol: str
    start: float
    end: float


def text_words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_separator(symbol: str) -> bool:
    """A space or punctuation mark between spoken words (stress and combining marks, letters
    in Unicode's eyes, belong to the word)."""
    return not symbol or symbol.isspace() or unicodedata.category(symbol[0]).startswith("P")


def spoken_groups(phones: Sequence[Phone]) -> list[list[Phone]]:
    """The phones split into words at spaces and punctuation."""
    groups: list[list[Phone]] = []
    current: list[Phone] = []
    for phone in phones:
        if is_separator(phone.symbol):
            if current:
                groups.append(current)
                current = []
        else:
            current.append(phone)
    if current:
        groups.append(current)
    return groups


def phoneme_count(symbols: Sequence[str]) -> int:
    return sum(1 for s in symbols if s not in _UNCOUNTED and not unicodedata.combining(s[:1] or " "))


def align_words(
    words: Sequence[str], expected: Sequence[float], groups: Sequence[Sequence[Phone]]
) -> list[WordTiming]:
    """A timing per word, in order. ``expected``: each word's length in phonemes as if said
    alone (or any measure proportional to it); ``groups``: the spoken words' phones."""
    n, m = len(words), len(groups)
    if n == 0:
        return []
    if m == 0:
        return [WordTiming(w, 0.0, 0.0) for w in words]
    sizes = [max(phoneme_count([p.symbol for p in g]), 1) for g in groups]
    want = [max(float(e), 1.0) for e in expected]
    said_upto, heard_upto = (
        list(itertools.accumulate(want, initial=0.0)),
        list(itertools.accumulate(sizes, initial=0)),
    )
    # Matches stay near the diagonal: only as far off it as the counts differ, plus a margin.
    band = abs(n - m) + _MAX_SPAN + 2
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    move: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    steps = [(1, 1), (1, 0), (0, 1)]
    steps += [(a, 1) for a in range(2, _MAX_SPAN + 1)] + [(1, b) for b in range(2, _MAX_SPAN + 1)]
    for i in range(n + 1):
        centre = i * m // n
        for j in range(max(0, centre - band), min(m, centre + band) + 1):
            here = cost[i][j]
            if here == inf:
                continue
            for a, b in steps:
                if i + a > n or j + b > m:
                    continue
                if a == 0 or b == 0:
                    step = _UNMATCHED
                else:
                    said, heard = said_upto[i + a] - said_upto[i], float(heard_upto[j + b] - heard_upto[j])
                    step = abs(said - heard) / max(said, heard) + _UNEVEN * (a + b - 2)
                if here + step < cost[i + a][j + b]:
                    cost[i + a][j + b] = here + step
                    move[i + a][j + b] = (a, b)
    # Walk back from the end to the matches, then time each.
    matches: list[tuple[int, int, int, int]] = []  # (first word, words, first group, groups)
    i, j = n, m
    while i or j:
        a, b = move[i][j]
        i, j = i - a, j - b
        matches.append((i, a, j, b))
    matches.reverse()
    out: list[WordTiming] = []
    last = 0.0
    for i, a, j, b in matches:
        if a == 0:
            continue
        if b == 0:
            out.append(WordTiming(words[i], last, last))  # not heard: marks the place, takes no time
            continue
        if a == 1:
            span = [p for g in groups[j : j + b] for p in g]
            out.append(WordTiming(words[i], span[0].start, span[-1].end))
        else:
            out.extend(_share(words[i : i + a], want[i : i + a], groups[j]))
        last = out[-1].end
    return out


def _share(words: Sequence[str], want: Sequence[float], phones: Sequence[Phone]) -> list[WordTiming]:
    """One spoken group split among several words, in proportion to their lengths; each word
    gets at least one phone where there are enough."""
    total = sum(want)
    out: list[WordTiming] = []
    first, acc = 0, 0.0
    for k, word in enumerate(words):
        acc += want[k]
        left = len(words) - k - 1  # words still to place after this one
        end = len(phones) if not left else round(acc / total * len(phones))
        end = min(max(end, first + 1), len(phones) - left) if len(phones) > left else max(end, first)
        if end <= first:  # more words than phones: a word shares its neighbour's last phone
            phone = phones[min(first, len(phones) - 1)]
            out.append(WordTiming(word, phone.start, phone.end))
            continue
        out.append(WordTiming(word, phones[first].start, phones[end - 1].end))
        first = end
    return out
