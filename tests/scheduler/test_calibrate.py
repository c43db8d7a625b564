"""Batch-size calibration measured on the real Piper graph (it has a batch axis)."""

from __future__ import annotations

import pytest

from clarion.engines.base import Segment
from clarion.engines.piper import PiperEngine
from clarion.scheduler.calibrate import calibrate, candidate_sizes


def test_candidate_sizes_double_up_to_the_cap() -> None:
    assert candidate_sizes(1) == [1]
    assert candidate_sizes(8) == [1, 2, 4, 8]
    assert candidate_sizes(6) == [1, 2, 4, 6]


@pytest.mark.slow
def test_calibration_measures_each_size_and_keeps_the_latency_target(piper_engine: PiperEngine) -> None:
    probe = Segment("Calibration needs a sentence of ordinary length.", "en_US-joe-medium")
    result = calibrate(piper_engine, probe, max_batch=4, latency_target_s=60.0, repeats=1)
    assert sorted(result.measured) == [1, 2, 4]
    for size, (seconds, rate) in result.measured.items():
        assert seconds > 0
        assert rate == pytest.approx(size / seconds)
    # With a generous target the best measured throughput wins.
    assert result.chosen == max(result.measured, key=lambda b: result.measured[b][1])
    # With a target no batch can meet, calibration falls back to batch 1.
    strict = calibrate(piper_engine, probe, max_batch=4, latency_target_s=1e-6, repeats=1)
    assert strict.chosen == 1
    report = strict.report()
    assert set(report["measured"]) == {"1", "2", "4"}
