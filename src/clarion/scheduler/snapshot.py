"""One read of a batcher's state, for every view of it: the Prometheus collector behind
``/metrics`` and the JSON of ``/v1/stats`` both take a ``BatcherSnapshot``, so they cannot
disagree on what "queue depth" or "in flight" means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clarion.scheduler.batcher import Batcher


@dataclass(frozen=True, slots=True)
class WorkerProcess:
    """One worker process of an engine under process isolation."""

    index: int
    pid: int | None
    up: bool


@dataclass(frozen=True, slots=True)
class BatcherSnapshot:
    queue_depth: int  # segments waiting
    in_flight: int  # batches running
    workers: int  # executor workers
    processes: tuple[WorkerProcess, ...] = ()  # process isolation only

    def load(self) -> dict[str, int]:
        """The load figures, as ``/v1/stats`` shows them per engine."""
        return {"queue_depth": self.queue_depth, "in_flight": self.in_flight, "workers": self.workers}


def snapshot(batcher: Batcher) -> BatcherSnapshot:
    executor = batcher.executor
    procs: list[dict[str, Any]] = executor.describe().get("processes", [])
    return BatcherSnapshot(
        queue_depth=batcher.queue_depth,
        in_flight=batcher.in_flight,
        workers=executor.workers,
        processes=tuple(WorkerProcess(i, p.get("pid"), bool(p.get("up"))) for i, p in enumerate(procs)),
    )
