"""GPU memory metrics: absent without a GPU (no fake zeros), and a device's figures,
as PyTorch reports them, reach /metrics. There is no GPU here, so the second test
stands a minimal CUDA-shaped ``torch`` in for the real one."""

from __future__ import annotations

import sys
import types

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clarion.observability.gpu import gpu_memory
from clarion.observability.metrics import Metrics


def gpu_samples(metrics: Metrics) -> dict[tuple[str, str], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            if s.name.startswith("clarion_gpu_"):
                out[(s.name, s.labels["device"])] = s.value
    return out


def test_no_gpu_means_no_gpu_series() -> None:
    assert gpu_memory() == []
    assert gpu_samples(Metrics()) == {}


def test_cuda_devices_are_reported_per_device(monkeypatch: pytest.MonkeyPatch) -> None:
    gib = 1 << 30
    cuda = types.SimpleNamespace(
        is_available=lambda: True,
        device_count=lambda: 2,
        mem_get_info=lambda i: ((10 - i) * gib, 16 * gib),
        memory_allocated=lambda i: (i + 1) * gib,
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    got = gpu_samples(Metrics())
    assert got[("clarion_gpu_memory_used_bytes", "cuda:0")] == 6 * gib
    assert got[("clarion_gpu_memory_used_bytes", "cuda:1")] == 7 * gib
    assert got[("clarion_gpu_memory_total_bytes", "cuda:1")] == 16 * gib
    assert got[("clarion_gpu_memory_allocated_bytes", "cuda:0")] == 1 * gib
