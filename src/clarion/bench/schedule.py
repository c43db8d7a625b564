"""Load levels (closed loop at a concurrency, open loop at a rate) and their option parsing.

Closed loop: N simulated users, each sending its next request as soon as the last one
finished. It measures capacity, but a slow server slows the load down with it.

Open loop: requests arrive as a Poisson process at a fixed rate whether or not earlier ones
finished, as independent users do. Each request's latency is measured from its scheduled
arrival time, so time spent waiting for a free connection or for a late client still counts
(no coordinated omission)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from clarion.bench.errors import BenchError


@dataclass(frozen=True)
class ClosedLoop:
    concurrency: int

    @property
    def label(self) -> str:
        return f"c={self.concurrency}"

    @property
    def x(self) -> float:
        return float(self.concurrency)


@dataclass(frozen=True)
class OpenLoop:
    rate: float  # requests per second, mean of the Poisson process
    max_in_flight: int  # requests open at once; later arrivals wait (and that wait is measured)

    @property
    def label(self) -> str:
        return f"{self.rate:g}/s"

    @property
    def x(self) -> float:
        return self.rate


Level = ClosedLoop | OpenLoop


def poisson_arrivals(rate: float, duration: float, seed: int | None = 0) -> np.ndarray:
    """Arrival offsets (seconds from the start, ascending, all < ``duration``) of a Poisson
    process at ``rate`` per second: independent exponential gaps with mean 1/rate."""
    if not rate > 0 or not np.isfinite(rate):
        raise BenchError(f"rate must be a positive number of requests per second, got {rate}")
    if not duration > 0:
        raise BenchError(f"duration must be positive, got {duration}")
    rng = np.random.default_rng(seed)
    times: list[np.ndarray] = []
    at = 0.0
    # Draw in blocks sized for the expected count; a rare long tail takes a second block.
    block = int(rate * duration + 4 * np.sqrt(rate * duration) + 16)
    while at < duration:
        gaps = rng.exponential(1.0 / rate, size=block)
        arrivals = at + np.cumsum(gaps)
        times.append(arrivals)
        at = float(arrivals[-1])
    every = np.concatenate(times)
    return every[every < duration]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """'30s', '2m', '500ms', '1h' or a bare number of seconds."""
    m = _DURATION.match(text)
    if not m:
        raise BenchError(f"cannot read duration {text!r}; write e.g. 30s, 2m, 500ms or 1h")
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise BenchError(f"duration must be positive, got {text!r}")
    return seconds


def parse_concurrency(text: str) -> list[int]:
    """'1,4,16,64' -> [1, 4, 16, 64]."""
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"--concurrency takes whole numbers separated by commas, got {text!r}") from None
    if not levels or any(c < 1 for c in levels):
        raise BenchError(f"--concurrency levels must be >= 1, got {text!r}")
    return levels


def parse_rates(text: str) -> list[float]:
    """'0.5,2,8' -> [0.5, 2.0, 8.0] requests per second."""
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"--rate takes numbers separated by commas, got {text!r}") from None
    if not rates or any(not (r > 0 and np.isfinite(r)) for r in rates):
        raise BenchError(f"--rate values must be positive requests per second, got {text!r}")
    return rates
