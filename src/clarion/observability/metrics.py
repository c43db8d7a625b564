"""Prometheus metrics, on a registry of the app's own (no process-global state).

Label values are bounded: engines and voices come only from what is loaded, routes from
the app's route templates, so an unknown name in a request never creates a series."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from clarion.allocator import heap_stats
from clarion.observability.gpu import gpu_memory
from clarion.observability.stats import RecentRequests
from clarion.scheduler.batcher import BatchReport
from clarion.scheduler.snapshot import BatcherSnapshot

if TYPE_CHECKING:
    from clarion.cache import AudioCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_RTF = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.recent = RecentRequests()  # for /v1/stats
        r = self.registry
        ProcessCollector(registry=r)  # process_resident_memory_bytes, process_cpu_seconds_total, ...
        r.register(_GpuCollector())
        r.register(_HeapCollector())
        self.requests = Counter(
            "clarion_requests",
            "HTTP requests by route and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "clarion_request_duration_seconds",
            "HTTP request latency.",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.ttfa = Histogram(
            "clarion_time_to_first_audio_seconds",
            "From request arrival to the first audio chunk being ready.",
            ["engine"],
            buckets=_LATENCY,
            registry=r,
        )
        self.synthesis_seconds = Histogram(
            "clarion_synthesis_duration_seconds",
            "From request arrival to the last audio chunk of a speech request.",
            ["engine"],
            buckets=_LATENCY,
            registry=r,
        )
        self.rtf = Histogram(
            "clarion_real_time_factor",
            "Engine seconds per audio second, per batch.",
            ["engine"],
            buckets=_RTF,
            registry=r,
        )
        self.audio_seconds = Counter(
            "clarion_audio_seconds", "Audio produced, in seconds.", ["engine", "voice"], registry=r
        )
        self.characters = Counter(
            "clarion_characters", "Input characters synthesised.", ["engine", "voice"], registry=r
        )
        self.batch_size = Histogram(
            "clarion_batch_size",
            "Segments per engine call.",
            ["engine"],
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.queue_wait = Histogram(
            "clarion_queue_wait_seconds",
            "Time a segment waited for the engine.",
            ["engine"],
            buckets=_LATENCY,
            registry=r,
        )
        self.rejected = Counter("clarion_rejected", "Requests refused, by reason.", ["reason"], registry=r)
        self.cache_events = Counter(
            "clarion_cache_events",
            "Audio cache lookups and changes: result is hit, miss, store or evict.",
            ["result", "tier"],
            registry=r,
        )
        self.engine_events = Counter(
            "clarion_engine_events", "Engine load and unload events.", ["engine", "event"], registry=r
        )
        self.ready = Gauge("clarion_ready", "1 when the server accepts synthesis requests.", registry=r)

    def on_synthesis(
        self, engine: str, voice: str, first_s: float | None, latency_s: float, audio_s: float, chars: int
    ) -> None:
        """One finished synthesis (a request, or a WebSocket piece): its latency, the audio
        and characters it made, and the live summary /v1/stats reads."""
        self.synthesis_seconds.labels(engine).observe(latency_s)
        self.recent.add(first_s if first_s is not None else latency_s, latency_s, audio_s)
        self.audio_seconds.labels(engine, voice).inc(audio_s)
        self.characters.labels(engine, voice).inc(chars)

    def on_cache(self, result: str, tier: str) -> None:
        self.cache_events.labels(result, tier).inc()

    def watch_cache(self, cache: Callable[[], AudioCache | None]) -> None:
        self.registry.register(_CacheCollector(cache))

    def watch_engines(self, snapshots: Callable[[], Mapping[str, BatcherSnapshot]]) -> None:
        """Queue depth and in-flight batches per engine, a snapshot of each batcher read at
        scrape time (the same snapshot /v1/stats shows)."""
        self.registry.register(_SchedulerCollector(snapshots))

    def on_batch(self, engine: str, sample_rate: int) -> Callable[[BatchReport], None]:
        rtf = self.rtf.labels(engine)
        size = self.batch_size.labels(engine)
        wait = self.queue_wait.labels(engine)

        def observe(report: BatchReport) -> None:
            size.observe(report.size)
            for w in report.queue_waits:
                wait.observe(w)
            if report.samples > 0:
                rtf.observe(report.seconds / (report.samples / sample_rate))

        return observe

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _SchedulerCollector(Collector):
    def __init__(self, snapshots: Callable[[], Mapping[str, BatcherSnapshot]]) -> None:
        self._snapshots = snapshots

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily("clarion_queue_depth", "Segments waiting per engine.", labels=["engine"])
        busy = GaugeMetricFamily(
            "clarion_in_flight_batches", "Batches running per engine.", labels=["engine"]
        )
        workers = GaugeMetricFamily("clarion_workers", "Executor workers per engine.", labels=["engine"])
        worker_rss = GaugeMetricFamily(
            "clarion_worker_resident_memory_bytes",
            "Resident memory of each engine worker process (process isolation only).",
            labels=["engine", "worker"],
        )
        for name, snap in self._snapshots().items():
            depth.add_metric([name], snap.queue_depth)
            busy.add_metric([name], snap.in_flight)
            workers.add_metric([name], snap.workers)
            for proc in snap.processes:
                rss = resident_bytes(proc.pid) if proc.up and proc.pid is not None else None
                if rss is not None:
                    worker_rss.add_metric([name, str(proc.index)], rss)
        return [depth, busy, workers, worker_rss]


class _CacheCollector(Collector):
    def __init__(self, cache: Callable[[], AudioCache | None]) -> None:
        self._cache = cache

    def collect(self) -> Iterable[Metric]:
        cache = self._cache()
        if cache is None:
            return []
        size = GaugeMetricFamily("clarion_cache_bytes", "Audio cache size per tier.", labels=["tier"])
        entries = GaugeMetricFamily("clarion_cache_entries", "Audio cache entries per tier.", labels=["tier"])
        for tier, (n, nbytes) in cache.sizes().items():
            size.add_metric([tier], nbytes)
            entries.add_metric([tier], n)
        return [size, entries]


class _GpuCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        devices = gpu_memory()
        if not devices:
            return []
        used = GaugeMetricFamily("clarion_gpu_memory_used_bytes", "GPU memory in use.", labels=["device"])
        total = GaugeMetricFamily("clarion_gpu_memory_total_bytes", "GPU memory in all.", labels=["device"])
        held = GaugeMetricFamily(
            "clarion_gpu_memory_allocated_bytes", "GPU memory held by PyTorch's allocator.", labels=["device"]
        )
        for d in devices:
            used.add_metric([d.device], d.used_bytes)
            total.add_metric([d.device], d.total_bytes)
            if d.allocated_bytes is not None:
                held.add_metric([d.device], d.allocated_bytes)
        return [used, total, held]


class _HeapCollector(Collector):
    """Where resident memory goes: a leak raises bytes in use (or Python's block count), while
    fragmentation raises the heaps' free bytes; resident memory alone shows only their sum."""

    def collect(self) -> Iterable[Metric]:
        blocks = GaugeMetricFamily(
            "clarion_python_allocated_blocks", "Memory blocks Python's allocator has handed out."
        )
        blocks.add_metric([], sys.getallocatedblocks())
        heap = heap_stats()
        if heap is None:  # not glibc
            return [blocks]
        in_use = GaugeMetricFamily(
            "clarion_heap_in_use_bytes", "Bytes the C allocator (glibc) has handed out and not had back."
        )
        in_use.add_metric([], heap.in_use)
        free = GaugeMetricFamily(
            "clarion_heap_free_bytes", "Free bytes the C allocator (glibc) holds inside its heaps."
        )
        free.add_metric([], heap.free)
        return [blocks, in_use, free]


def resident_bytes(pid: int) -> int | None:
    """Resident set size of another process (Linux /proc), or None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc; None elsewhere): start-up as the
    operator sees it, interpreter and imports included."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            started_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
