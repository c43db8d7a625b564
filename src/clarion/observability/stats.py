"""A rolling window of recent requests, for the JSON stats route (the web page's live
panel). Prometheus has the full histograms; this answers "how is it doing right now"
without a Prometheus server."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

import numpy as np


class RecentRequests:
    def __init__(
        self, window_s: float = 300.0, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        # (finished at, time to first audio, real-time factor)
        self._entries: collections.deque[tuple[float, float, float]] = collections.deque(maxlen=max_entries)

    def add(self, ttfa_s: float, latency_s: float, audio_s: float) -> None:
        if audio_s <= 0:
            return
        now = self._clock()
        with self._lock:
            self._entries.append((now, ttfa_s, latency_s / audio_s))
            # Pruned here too, so the window bounds memory even when nobody reads the stats.
            self._prune(now)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _prune(self, now: float) -> None:
        cutoff = now - self.window_s
        while self._entries and self._entries[0][0] < cutoff:
            self._entries.popleft()

    def summary(self) -> dict[str, float | int | None]:
        with self._lock:
            self._prune(self._clock())
            rows = list(self._entries)
        if not rows:
            return {"requests": 0, "ttfa_p50_s": None, "ttfa_p95_s": None, "rtf_p50": None}
        ttfa = np.array([r[1] for r in rows])
        rtf = np.array([r[2] for r in rows])
        return {
            "requests": len(rows),
            "ttfa_p50_s": round(float(np.percentile(ttfa, 50)), 4),
            "ttfa_p95_s": round(float(np.percentile(ttfa, 95)), 4),
            "rtf_p50": round(float(np.percentile(rtf, 50)), 4),
        }
