"""Percentiles and the playback model behind the underrun count."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float | None:
    """The nearest-rank percentile: the smallest observed value with at least ``q`` % of the
    values at or below it (``numpy.percentile(method="inverted_cdf")``). A reported latency is
    then always one a request really had, and p99 of 20 requests is the slowest one, not an
    interpolation towards it. ``None`` for no values."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {q}")
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return None
    if np.isnan(data).any():
        raise ValueError("values contain NaN")
    return float(np.percentile(data, q, method="inverted_cdf"))


def summarize(values: Iterable[float]) -> dict[str, float | None]:
    """p50, p95, p99, mean and max of ``values`` (all ``None`` when there are none)."""
    data = np.fromiter(values, dtype=np.float64)
    out: dict[str, float | None] = {f"p{q}": percentile(data, q) for q in PERCENTILES}
    out["mean"] = float(data.mean()) if data.size else None
    out["max"] = float(data.max()) if data.size else None
    return out


@dataclass(frozen=True)
class Playback:
    """What a listener would have heard, playing the audio as it arrived."""

    underruns: int  # times the buffer ran dry before more audio came
    stall_s: float  # total silence heard inside the stream
    max_stall_s: float  # the longest such silence


def playback(arrivals: Iterable[tuple[float, float]], tolerance_s: float = 0.0) -> Playback:
    """Replay ``(arrival time, audio seconds in it)`` pairs, in arrival order, through a player
    that starts at the first audio and, when its buffer runs dry, pauses until the next audio
    arrives (silence heard) and then plays on. An underrun is one such pause longer than
    ``tolerance_s``; before the first one this is exactly "the audio delivered so far is less
    than the wall time since the first chunk"."""
    runs_out: float | None = None  # wall time at which the buffered audio ends
    underruns, total, worst = 0, 0.0, 0.0
    for at, seconds in arrivals:
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"audio duration must be >= 0, got {seconds}")
        if seconds == 0:
            continue  # headers or a partial sample: nothing to play yet
        if runs_out is None:
            runs_out = at + seconds
            continue
        gap = at - runs_out
        if gap > tolerance_s:
            underruns += 1
            total += gap
            worst = max(worst, gap)
        runs_out = max(runs_out, at) + seconds
    return Playback(underruns, total, worst)
