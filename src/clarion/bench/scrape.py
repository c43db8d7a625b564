"""The server's own view: ``/metrics`` read before, during and after each level.

Clarion exports Prometheus text; any server that does is read the same way, and one that
does not (piper's) simply gets no server columns."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
MB = 1024 * 1024


async def scrape(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Samples | None:
    """Every sample of ``url``/metrics, or ``None`` if the server has no readable metrics."""
    try:
        r = await client.get(f"{url}/metrics", headers=headers, timeout=10)
    except httpx.HTTPError:
        return None
    if r.status_code != 200:
        return None
    out: Samples = {}
    try:
        for family in text_string_to_metric_families(r.text):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = float(s.value)
    except (ValueError, TypeError, IndexError):
        return None  # not Prometheus text (an HTML page, say)
    return out or None


def total(samples: Samples | None, name: str, **labels: str) -> float | None:
    """Sum of the samples called ``name`` whose labels include ``labels``; ``None`` if none."""
    if not samples:
        return None
    want = set(labels.items())
    hits = [v for (n, lab), v in samples.items() if n == name and want <= lab]
    return sum(hits) if hits else None


def _delta(before: Samples | None, after: Samples | None, name: str, **labels: str) -> float | None:
    a, b = total(after, name, **labels), total(before, name, **labels)
    return None if a is None else a - (b or 0.0)


class Sampler:
    """Scrapes in the background while a level runs, for the peaks a before/after pair misses
    (queue depth is back to 0 by the end)."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str], every_s: float) -> None:
        self._client, self._url, self._headers, self._every = client, url, headers, every_s
        self.rss_peak: float | None = None
        self.queue_peak: float | None = None
        self.in_flight_peak: float | None = None
        self._task: asyncio.Task[None] | None = None

    def observe(self, samples: Samples | None) -> None:
        for attr, name in (
            ("rss_peak", "process_resident_memory_bytes"),
            ("queue_peak", "clarion_queue_depth"),
            ("in_flight_peak", "clarion_in_flight_batches"),
        ):
            value = total(samples, name)
            if value is not None:
                old = getattr(self, attr)
                setattr(self, attr, value if old is None else max(old, value))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            self.observe(await scrape(self._client, self._url, self._headers))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def server_summary(before: Samples | None, after: Samples | None, sampler: Sampler) -> dict[str, Any] | None:
    """What the server says happened during one level; ``None`` without metrics."""
    if before is None or after is None:
        return None
    sampler.observe(before)
    sampler.observe(after)

    def mb(value: float | None) -> float | None:
        return None if value is None else round(value / MB, 1)

    batches = _delta(before, after, "clarion_batch_size_count")
    segments = _delta(before, after, "clarion_batch_size_sum")
    waits = _delta(before, after, "clarion_queue_wait_seconds_count")
    waited = _delta(before, after, "clarion_queue_wait_seconds_sum")
    return {
        "rss_mb_before": mb(total(before, "process_resident_memory_bytes")),
        "rss_mb_after": mb(total(after, "process_resident_memory_bytes")),
        "rss_mb_peak": mb(sampler.rss_peak),
        "queue_depth_peak": sampler.queue_peak,
        "in_flight_batches_peak": sampler.in_flight_peak,
        "cpu_s": _delta(before, after, "process_cpu_seconds_total"),
        "requests": _delta(before, after, "clarion_requests_total", route="/v1/audio/speech"),
        "audio_s": _delta(before, after, "clarion_audio_seconds_total"),
        "cache_hits": _delta(before, after, "clarion_cache_events_total", result="hit"),
        "batch_size_mean": segments / batches if batches and segments is not None else None,
        "queue_wait_mean_s": waited / waits if waits and waited is not None else None,
    }
