"""Open-loop arrival times (seeded Poisson process) and the option parsers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.bench.errors import BenchError
from clarion.bench.schedule import (
    ClosedLoop,
    OpenLoop,
    parse_concurrency,
    parse_duration,
    parse_rates,
    poisson_arrivals,
)


def test_arrivals_are_seeded_sorted_and_inside_the_window() -> None:
    a = poisson_arrivals(5.0, 30.0, seed=11)
    assert np.array_equal(a, poisson_arrivals(5.0, 30.0, seed=11))
    assert not np.array_equal(a, poisson_arrivals(5.0, 30.0, seed=12))
    assert np.all(np.diff(a) > 0) and a[0] > 0 and a[-1] < 30.0


def test_gaps_are_exponential_with_mean_one_over_rate() -> None:
    rate = 50.0
    arrivals = poisson_arrivals(rate, 200.0, seed=1)
    gaps = np.diff(np.concatenate([[0.0], arrivals]))
    n = len(gaps)
    expected = rate * 200.0
    assert abs(n - expected) < 4 * math.sqrt(expected)  # Poisson count: sd = sqrt(mean)
    assert gaps.mean() == pytest.approx(1 / rate, rel=4 / math.sqrt(n))  # 4 standard errors
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.05)  # exponential: CV = 1
    # Kolmogorov-Smirnov against the exponential CDF; 1.95/sqrt(n) is the 0.1 % critical value.
    ordered = np.sort(gaps)
    cdf = 1 - np.exp(-rate * ordered)
    steps = np.arange(1, n + 1) / n
    d = max(np.max(steps - cdf), np.max(cdf - (steps - 1 / n)))
    assert d < 1.95 / math.sqrt(n)


def test_count_is_unbiased_at_short_durations() -> None:
    """Over many seeds the mean count is rate x duration: nothing lost or added at the end
    of a block of draws or of the window."""
    counts = [len(poisson_arrivals(2.0, 5.0, seed=s)) for s in range(3000)]
    assert np.mean(counts) == pytest.approx(10.0, abs=4 * math.sqrt(10.0 / 3000))
    assert np.var(counts) == pytest.approx(10.0, rel=0.15)  # Poisson: variance = mean


def test_bad_rates_and_durations() -> None:
    for rate in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(BenchError, match="rate"):
            poisson_arrivals(rate, 1.0)
    with pytest.raises(BenchError, match="duration"):
        poisson_arrivals(1.0, 0.0)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("2m", 120), ("500ms", 0.5), ("1h", 3600), ("45", 45), (" 1.5s ", 1.5)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "-3s", "0s", "3 days", "1e3"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(BenchError, match="duration"):
        parse_duration(text)


def test_parse_levels() -> None:
    assert parse_concurrency("1,4,16,64") == [1, 4, 16, 64]
    assert parse_rates("0.5, 2,8") == [0.5, 2.0, 8.0]
    for bad in ("", "0", "1,x", "-2"):
        with pytest.raises(BenchError, match="concurrency"):
            parse_concurrency(bad)
    for bad in ("", "0", "fast", "-1", "nan"):
        with pytest.raises(BenchError, match="rate"):
            parse_rates(bad)
    assert ClosedLoop(4).label == "c=4" and OpenLoop(2.5, 10).label == "2.5/s"
