"""How long a segment will keep an engine worker busy, learned from the batches it ran.

Admission control needs the time the work already queued will take. Counting segments
is not enough: a forty-character Mandarin sentence holds a worker several times longer
than "OK.". The model here is linear in what a segment will say::

    seconds = per_segment + per_char * (latin_chars + CJK_WEIGHT * cjk_chars)

Both coefficients are fitted by least squares over the most recent batches (a batch's
time against its summed features), so they follow the engine as load, batch sizes and
text mix change. Mandarin characters are weighted because one of them is read in about
3.5 times as long as a Latin letter (about 4 against 14 per second), and engines spend
time in proportion to the audio they make.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

CJK_WEIGHT = 3.5
WINDOW = 64  # batches remembered for the fit
MIN_SEEN = 4  # batches of each kind before hold_pays trusts the alone and beside costs
MARGIN = 0.05  # hold_pays must win by this much: starting at once is the default
# Batches whose characters per segment differ by this much tell the cost of a segment from the
# cost of its characters; batches of one length (a warm-up sentence) fit either equally.
SPREAD = 2.0


def weighted_chars(text: str) -> float:
    """Letters, digits and CJK characters (weighted); spaces and punctuation cost little."""
    cjk = latin = 0
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            cjk += 1
        elif ch.isalnum():
            latin += 1
    return latin + CJK_WEIGHT * cjk


@dataclass(frozen=True, slots=True)
class Work:
    """Summed features of some segments: how many, and their weighted characters."""

    segments: float = 0.0
    chars: float = 0.0

    @classmethod
    def of(cls, texts: list[str]) -> Work:
        return cls(len(texts), sum(weighted_chars(t) for t in texts))

    def __add__(self, other: Work) -> Work:
        return Work(self.segments + other.segments, self.chars + other.chars)

    def __sub__(self, other: Work) -> Work:
        # Clamped: float sums drift, and negative queued work means nothing.
        return Work(max(0.0, self.segments - other.segments), max(0.0, self.chars - other.chars))


class CostModel:
    """Fitted seconds of one worker's time per segment and per weighted character."""

    def __init__(self, window: int = WINDOW) -> None:
        self._seen: collections.deque[tuple[Work, float]] = collections.deque(maxlen=window)
        self.per_segment = 0.0
        self.per_char = 0.0
        self.fits = 0  # times the coefficients changed: what ScaledCost's cache keys on

    @property
    def ready(self) -> bool:
        return bool(self._seen)

    @property
    def seen(self) -> int:
        """Batches the fit is over."""
        return len(self._seen)

    def seconds(self, work: Work) -> float:
        return self.per_segment * work.segments + self.per_char * work.chars

    @property
    def determined(self) -> bool:
        """Whether the batches seen differ enough in length (``SPREAD``) to separate the two
        coefficients."""
        ratios = [w.chars / w.segments for w, _ in self._seen]
        return bool(ratios) and max(ratios) > 0 and max(ratios) >= SPREAD * min(ratios)

    def least_seconds(self, work: Work) -> float:
        """The least time the batches seen allow for ``work``. Until they are ``determined``,
        all of a batch's time may be per segment or all per character: the warm-up sentence's
        time, extrapolated by its characters, priced a 2,673-character text at 73 s on Kokoro,
        whose time is mostly per segment, and it took 46 s. The smaller of the two is the
        bound."""
        if self.determined or not self._seen:
            return self.seconds(work)
        taken = sum(s for _, s in self._seen)
        per_segment = taken / sum(w.segments for w, _ in self._seen) * work.segments
        chars = sum(w.chars for w, _ in self._seen)
        return min(per_segment, taken / chars * work.chars) if chars > 0 else per_segment

    def observe(self, work: Work, seconds: float) -> None:
        """One finished batch: its work and the time it held a worker."""
        if work.segments <= 0 or seconds <= 0:
            return
        self._seen.append((work, seconds))
        self._fit()

    def _fit(self) -> None:
        x = np.array([[w.segments, w.chars] for w, _ in self._seen], dtype=np.float64)
        y = np.array([s for _, s in self._seen], dtype=np.float64)
        # Least squares, minimum-norm when the batches are all alike (rank 1).
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        per_segment, per_char = float(coef[0]), float(coef[1])
        # A negative coefficient is noise from a narrow spread of lengths: refit with one term.
        if per_char < 0 or not x[:, 1].any():
            per_segment, per_char = float(y.sum() / x[:, 0].sum()), 0.0
        elif per_segment < 0:
            per_segment, per_char = 0.0, float(y.sum() / x[:, 1].sum())
        self.per_segment, self.per_char = per_segment, per_char
        self.fits += 1


class ScaledCost:
    """The cost of one kind of run (alone on every core, or beside another) as a multiple of a
    shared model's estimate. Each kind sees few batches, often of like lengths: two coefficients
    fitted on so narrow a spread extrapolate badly (all of it per segment, say, and nothing per
    character), and comparing two such fits compares their noise. The shared model sees every
    batch, so its shape is the steadier; a kind learns only how much faster or slower it runs."""

    def __init__(self, base: CostModel, window: int = WINDOW) -> None:
        self._base = base
        self._seen: collections.deque[tuple[Work, float]] = collections.deque(maxlen=window)
        self._observed = 0
        self._factor = 1.0
        self._factor_at = (-1, -1)  # (base.fits, _observed) the factor was computed at

    @property
    def seen(self) -> int:
        """Batches the factor is over."""
        return len(self._seen)

    @property
    def factor(self) -> float:
        """Seconds these batches took over the seconds the shared model gives them."""
        at = (self._base.fits, self._observed)
        if at != self._factor_at:
            estimated = sum(self._base.seconds(w) for w, _ in self._seen)
            taken = sum(s for _, s in self._seen)
            self._factor = taken / estimated if estimated > 0 else 1.0
            self._factor_at = at
        return self._factor

    def seconds(self, work: Work) -> float:
        return self.factor * self._base.seconds(work)

    def observe(self, work: Work, seconds: float) -> None:
        """One finished batch of this kind; the shared model is given it too, by the caller."""
        if work.segments <= 0 or seconds <= 0:
            return
        self._seen.append((work, seconds))
        self._observed += 1


def hold_pays(
    alone: ScaledCost, beside: ScaledCost, running_s: float, queued: list[Work], workers: int
) -> bool:
    """Whether segments queued behind a batch that runs alone on every core end sooner if they
    wait for it and then run one after another, each alone (``alone``'s costs), than if they
    start at once beside it, on workers with a core each (``beside``'s costs, placed longest
    first on the worker free soonest; the running batch holds one for ``running_s`` more).
    Starting at once wins while the work spreads evenly; waiting wins when one long segment
    would be left on a single core while the other idles, as with "Hi. <a long sentence>"."""
    if workers < 2 or not queued or min(alone.seen, beside.seen) < MIN_SEEN:
        return False
    serial = running_s + sum(alone.seconds(w) for w in queued)
    loads = [running_s] + [0.0] * (workers - 1)
    for cost in sorted((beside.seconds(w) for w in queued), reverse=True):
        loads[loads.index(min(loads))] += cost
    return serial < (1.0 - MARGIN) * max(loads)
