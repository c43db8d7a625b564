"""Where batches run. The batcher only sees the Executor protocol: batches run on threads
here, or in watched worker processes (``workers.ProcessExecutor``)."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from clarion.engines.base import Audio, Engine, Segment


class Executor(Protocol):
    @property
    def workers(self) -> int: ...

    @property
    def available(self) -> bool:
        """False while no worker can take work (e.g. all being restarted after a crash)."""
        ...

    def instances(self) -> list[Engine]: ...

    def describe(self) -> dict[str, Any]: ...

    async def run(self, batch: Sequence[Segment]) -> list[Audio]: ...

    def close(self) -> None: ...


class ThreadExecutor:
    """Runs ``engine.synthesize`` on a pool of threads.

    Thread-safe engines share one loaded instance; others get one instance per worker
    (made by ``make_engine``), handed out so no two threads use the same one."""

    def __init__(self, engine: Engine, workers: int, make_engine: Callable[[], Engine] | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"clarion-{engine.name}")
        self._instances: queue.SimpleQueue[Engine] = queue.SimpleQueue()
        if engine.capabilities.thread_safe or workers == 1:
            self._shared: Engine | None = engine
            self._all = [engine]
        else:
            if make_engine is None:
                raise ValueError(
                    f"engine {engine.name!r} is not thread-safe: give make_engine for {workers} workers"
                )
            self._shared = None
            self._instances.put(engine)
            self._all = [engine, *(make_engine() for _ in range(workers - 1))]
            for extra in self._all[1:]:
                self._instances.put(extra)

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def available(self) -> bool:
        return True

    def describe(self) -> dict[str, Any]:
        return {"mode": "thread"}

    def instances(self) -> list[Engine]:
        """Every engine instance this executor runs, for unloading and reloading them."""
        return list(self._all)

    def _call(self, batch: Sequence[Segment]) -> list[Audio]:
        if self._shared is not None:
            return self._shared.synthesize(batch)
        engine = self._instances.get()
        try:
            return engine.synthesize(batch)
        finally:
            self._instances.put(engine)

    async def run(self, batch: Sequence[Segment]) -> list[Audio]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, list(batch))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
