"""From Kokoro's per-token times to the words of the segment's text.

The model reads a phoneme string, one token per character; spaces separate the phonemiser's
words. Those words line up with the text's words in most sentences, but not all: espeak joins
some function words ("of the" -> ʌvðə, "has been" -> hˈæzbiːn) and misaki's Mandarin words are
jieba's. When the counts differ, a monotonic alignment groups words on either side by their
phoneme lengths, and a phoneme word shared by several text words is cut among them in
proportion to how long each is alone."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clarion.types import WordTiming

# Tokens that are not part of a spoken word: the punctuation in Kokoro's vocabulary.
PUNCTUATION = frozenset(";:,.!?¡¿—…\"«»“”()[]{}-–‘’'")
_TEXT_WORD = re.compile(r"\S+")
_EDGE = re.compile(r"^\W+|\W+$")

# Alignment moves: one text word to up to _SPLIT phoneme words, or up to _JOIN text words to one.
_SPLIT = 3
_JOIN = 5
_GROUP_COST = 0.35  # per extra member of a group, so 1:1 pairs win when lengths allow
_ONSET_COST = 0.3
_UNTIMED = frozenset("ˈˌ ")  # stress marks: tokens, but not sounds one can count on


@dataclass(frozen=True, slots=True)
class Token:
    """One phoneme token and when it is heard, in seconds from the start of the audio."""

    char: str
    start: float
    end: float


def text_words(text: str) -> list[str]:
    """Whitespace-separated words with their outer punctuation stripped; "—" and the like,
    which are not spoken, are dropped."""
    words = (_EDGE.sub("", w) for w in _TEXT_WORD.findall(text))
    return [w for w in words if w]


def phoneme_words(tokens: Sequence[Token]) -> list[list[Token]]:
    """The phonemiser's words: runs between spaces, outer punctuation dropped."""
    words: list[list[Token]] = []
    run: list[Token] = []
    for token in [*tokens, Token(" ", 0.0, 0.0)]:
        if token.char != " ":
            run.append(token)
            continue
        spoken = [i for i, t in enumerate(run) if t.char not in PUNCTUATION]
        if spoken:
            words.append(run[spoken[0] : spoken[-1] + 1])
        run = []
    return words


def _sounds(phonemes: str) -> str:
    """The phonemes that take time: no stress marks, no punctuation, no spaces."""
    return "".join(c for c in phonemes if c not in PUNCTUATION and c not in _UNTIMED)


def align(said: Sequence[str], heard: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """Monotonic groups (text from, text to, phoneme from, phoneme to) covering both lists,
    each pairing one text word with one or more phoneme words or the reverse. ``said`` are the
    text words phonemised alone, ``heard`` the phonemiser's words in the sentence: a group
    costs its length mismatch, plus a little per extra member and when its first sounds differ
    (joined words keep the first one's onset: "for a" -> fɚɹə)."""
    n, m = len(said), len(heard)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    moves = [(1, b) for b in range(1, _SPLIT + 1)] + [(a, 1) for a in range(2, _JOIN + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            if cost[i][j] == inf:
                continue
            for a, b in moves:
                if i + a > n or j + b > m:
                    continue
                ours = "".join(said[i : i + a])
                theirs = "".join(heard[j : j + b])
                step = abs(len(ours) - len(theirs)) / max(len(ours) + len(theirs), 1)
                step += _GROUP_COST * (a + b - 2) + _ONSET_COST * (ours[:1] != theirs[:1])
                if cost[i][j] + step < cost[i + a][j + b]:
                    cost[i + a][j + b] = cost[i][j] + step
                    back[i + a][j + b] = (a, b)
    if cost[n][m] == inf:
        return [(0, n, 0, m)] if n and m else []
    groups: list[tuple[int, int, int, int]] = []
    i, j = n, m
    while i or j:
        step_back = back[i][j]
        assert step_back is not None
        a, b = step_back
        groups.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    return groups[::-1]


def _share(word: Sequence[Token], weights: Sequence[float]) -> list[tuple[float, float]]:
    """Cut one phoneme word among several text words, at token edges, by their weights; each
    text word keeps at least one token."""
    count, k = len(word), len(weights)
    if count < k:
        picks = [word[i * count // k] for i in range(k)]
        return [(t.start, t.end) for t in picks]
    total = sum(weights) or float(k)
    cuts = [0]
    done = 0.0
    for i, weight in enumerate(weights[:-1], 1):
        done += weight
        cuts.append(min(max(round(count * done / total), cuts[-1] + 1), count - (k - i)))
    cuts.append(count)
    return [(word[a].start, word[b - 1].end) for a, b in itertools.pairwise(cuts)]


def word_timings(
    words: Sequence[str],
    tokens: Sequence[Token],
    alone: Callable[[str], str],
) -> tuple[WordTiming, ...]:
    """When each of ``words`` is heard. ``alone(word)`` phonemises one word by itself; it is
    asked only when the phonemiser's word count differs from the text's."""
    heard = phoneme_words(tokens)
    if not words or not heard:
        return ()
    if len(words) == len(heard):
        return tuple(WordTiming(w, p[0].start, p[-1].end) for w, p in zip(words, heard, strict=True))
    said = [_sounds(alone(w)) for w in words]
    out: list[WordTiming] = []
    for t0, t1, p0, p1 in align(said, [_sounds("".join(t.char for t in p)) for p in heard]):
        if t1 - t0 == 1:
            out.append(WordTiming(words[t0], heard[p0][0].start, heard[p1 - 1][-1].end))
            continue
        joined = [t for p in heard[p0:p1] for t in p if t.char not in PUNCTUATION]
        weights = [float(len(s)) for s in said[t0:t1]]
        for word, (start, end) in zip(words[t0:t1], _share(joined, weights), strict=True):
            out.append(WordTiming(word, start, end))
    return tuple(out)
