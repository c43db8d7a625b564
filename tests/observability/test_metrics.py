"""The process-memory gauges of clarion.observability.metrics, read from a real scrape."""

from __future__ import annotations

import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clarion.observability.metrics import Metrics
from tests.heap import libc

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


def scrape(metrics: Metrics) -> dict[str, float]:
    text = metrics.render().decode()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples if not s.labels}


def test_python_blocks_follow_live_objects() -> None:
    metrics = Metrics()
    before = scrape(metrics)["clarion_python_allocated_blocks"]
    kept = [[i] for i in range(100_000)]  # a list each: one block per object at least
    during = scrape(metrics)["clarion_python_allocated_blocks"]
    del kept
    after = scrape(metrics)["clarion_python_allocated_blocks"]
    assert during - before >= 100_000
    assert during - after >= 100_000


@glibc_only
def test_a_leak_raises_bytes_in_use_and_fragmentation_raises_free_bytes() -> None:
    metrics = Metrics()
    start = scrape(metrics)
    # 2,000 blocks of 16 KiB, under glibc's mmap threshold, so they come from a heap.
    blocks = [libc.malloc(16 << 10) for _ in range(2000)]
    taken = scrape(metrics)
    for b in blocks[::2]:  # every other one: the holes cannot merge, so they stay in the heap
        libc.free(b)
    holed = scrape(metrics)
    for b in blocks[1::2]:
        libc.free(b)
    mb = 1 << 20
    assert taken["clarion_heap_in_use_bytes"] - start["clarion_heap_in_use_bytes"] >= 31 * mb
    assert taken["clarion_heap_in_use_bytes"] - holed["clarion_heap_in_use_bytes"] >= 15 * mb
    assert holed["clarion_heap_free_bytes"] - taken["clarion_heap_free_bytes"] >= 15 * mb
