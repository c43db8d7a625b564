"""Percentiles against known distributions (numpy as the reference) and the playback model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.bench.stats import PERCENTILES, Playback, percentile, playback, summarize


def nearest_rank(values: list[float], q: float) -> float:
    """The textbook definition: the ceil(q/100 * n)-th smallest value."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def test_nearest_rank_on_one_to_a_hundred() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # order must not matter
    assert [percentile(values, q) for q in (1, 50, 95, 99, 100)] == [1, 50, 95, 99, 100]
    assert percentile([3.0], 99) == 3.0
    # With 20 values p99 is the slowest request, not an interpolation towards it.
    twenty = [float(v) for v in range(1, 21)]
    assert percentile(twenty, 99) == 20 and percentile(twenty, 95) == 19 and percentile(twenty, 50) == 10


@pytest.mark.parametrize("n", [1, 2, 7, 20, 101, 1000])
def test_matches_numpy_and_the_definition(n: int) -> None:
    rng = np.random.default_rng(n)
    values = list(rng.lognormal(-1.0, 0.8, size=n))
    for q in (*PERCENTILES, 0.1, 12.5, 99.9, 100):
        got = percentile(values, q)
        assert got == float(np.percentile(values, q, method="inverted_cdf"))
        assert got == nearest_rank(values, q)
        assert got in values


def test_known_distributions() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    lam = 2.0
    exp = rng.exponential(1 / lam, size=n)  # quantile: -ln(1 - p) / lambda
    for q in PERCENTILES:
        assert percentile(exp, q) == pytest.approx(-math.log(1 - q / 100) / lam, rel=0.02)
    normal = rng.normal(10.0, 2.0, size=n)
    assert percentile(normal, 50) == pytest.approx(10.0, abs=0.02)
    assert percentile(normal, 95) == pytest.approx(10.0 + 1.6449 * 2.0, abs=0.03)
    assert percentile(normal, 99) == pytest.approx(10.0 + 2.3263 * 2.0, abs=0.05)
    uniform = rng.uniform(0.0, 1.0, size=n)
    for q in PERCENTILES:
        assert percentile(uniform, q) == pytest.approx(q / 100, abs=0.005)


def test_bad_input() -> None:
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="NaN"):
        percentile([1.0, float("nan")], 50)
    for q in (0, -1, 100.5):
        with pytest.raises(ValueError, match="percentile"):
            percentile([1.0], q)


def test_summarize() -> None:
    s = summarize(float(v) for v in range(1, 101))
    assert s == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "mean": 50.5, "max": 100.0}
    assert summarize([]) == {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}


def test_playback_faster_than_real_time_never_stalls() -> None:
    # One second of audio every half second: the buffer only grows.
    assert playback([(t * 0.5, 1.0) for t in range(10)]) == Playback(0, 0.0, 0.0)


def test_playback_counts_each_time_the_buffer_runs_dry() -> None:
    heard = playback(
        [
            (10.0, 0.0),  # headers only: playback has not started
            (10.1, 0.2),  # starts; audio runs out at 10.3
            (10.6, 0.2),  # 0.3 s of silence; runs out at 10.8
            (10.7, 0.2),  # in time; runs out at 11.0
            (11.1, 0.1),  # 0.1 s of silence
        ]
    )
    assert heard.underruns == 2
    assert heard.stall_s == pytest.approx(0.4)
    assert heard.max_stall_s == pytest.approx(0.3)


def test_first_underrun_is_delivered_audio_behind_wall_time() -> None:
    """Up to its first stall the model is the plain rule: silence when the audio delivered so
    far is less than the wall time since the first chunk."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        gaps = rng.exponential(0.3, size=8)
        durations = rng.uniform(0.05, 0.6, size=8)
        times = np.cumsum(gaps)
        arrivals = list(zip(times.tolist(), durations.tolist(), strict=True))
        delivered = np.cumsum(durations)
        behind = [k for k in range(1, 8) if times[k] - times[0] > delivered[k - 1]]
        heard = playback(arrivals)
        assert (heard.underruns > 0) == bool(behind)
        if behind:
            first = behind[0]
            assert heard.max_stall_s >= times[first] - times[0] - delivered[first - 1] - 1e-12


def test_playback_tolerance_and_bad_durations() -> None:
    arrivals = [(0.0, 0.1), (0.105, 0.1)]
    assert playback(arrivals).underruns == 1
    assert playback(arrivals, tolerance_s=0.01).underruns == 0
    with pytest.raises(ValueError):
        playback([(0.0, -1.0)])
