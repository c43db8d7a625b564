"""Pick a batch size by measuring it: time batch sizes 1, 2, 4 .. N once at warm-up and
keep the one with the best throughput whose latency stays within the target."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from clarion.engines.base import Engine, Segment


@dataclass(frozen=True, slots=True)
class Calibration:
    chosen: int
    latency_target_s: float
    # batch size -> (seconds per batch, segments per second)
    measured: dict[int, tuple[float, float]]

    def report(self) -> dict[str, Any]:
        d = asdict(self)
        d["measured"] = {
            str(b): {"batch_seconds": round(t, 4), "segments_per_second": round(r, 2)}
            for b, (t, r) in self.measured.items()
        }
        return d


def candidate_sizes(max_batch: int) -> list[int]:
    sizes = []
    b = 1
    while b < max_batch:
        sizes.append(b)
        b *= 2
    sizes.append(max_batch)
    return sizes


def calibrate(
    engine: Engine, probe: Segment, max_batch: int, latency_target_s: float, repeats: int = 2
) -> Calibration:
    measured: dict[int, tuple[float, float]] = {}
    for size in candidate_sizes(max_batch):
        batch = [probe] * size
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            engine.synthesize(batch)
            best = min(best, time.perf_counter() - t0)
        measured[size] = (best, size / best if best > 0 else float("inf"))
    within = {b: m for b, m in measured.items() if m[0] <= latency_target_s} or {1: measured[1]}
    chosen = max(within, key=lambda b: within[b][1])
    return Calibration(chosen, latency_target_s, measured)
