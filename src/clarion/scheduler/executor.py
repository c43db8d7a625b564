"""Where batches run. The batcher only sees the Executor protocol: batches run on threads
here, or in watched worker processes (``workers.ProcessExecutor``)."""

from __future__ import annotations

import asyncio
import contextvars
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from clarion.engines.base import Audio, Engine, Segment, Streaming, StreamsBatches, TimedAudio, TimesWords

# Receives, from the thread that runs the batch, each piece of a streamed batch: one array
# per segment with the samples new since the last piece (see StreamsBatches).
PartSink = Callable[[list[Audio]], None]


def streams_parts(engine: Engine) -> bool:
    """True when the engine can hand out a batch's audio while generating it."""
    return engine.capabilities.streaming is Streaming.TOKEN and isinstance(engine, StreamsBatches)


def run_streamed(engine: Engine, batch: Sequence[Segment], on_part: PartSink) -> list[Audio]:
    """Synthesise through the engine's stream, passing each piece on; return each
    segment's whole audio (the pieces joined), as ``synthesize`` would."""
    assert isinstance(engine, StreamsBatches)
    pieces: list[list[Audio]] = [[] for _ in batch]
    for part in engine.synthesize_stream(batch):
        for mine, piece in zip(pieces, part, strict=True):
            mine.append(piece)
        on_part(part)
    return [np.concatenate(p) if p else np.zeros(0, np.float32) for p in pieces]


class Executor(Protocol):
    @property
    def workers(self) -> int: ...

    @property
    def available(self) -> bool:
        """False while no worker can take work (e.g. all being restarted after a crash)."""
        ...

    def instances(self) -> list[Engine]: ...

    def describe(self) -> dict[str, Any]: ...

    async def run(self, batch: Sequence[Segment], on_part: PartSink | None = None) -> list[Audio]:
        """The batch's audio, one array per segment. With ``on_part``, an engine that
        streams (``streams_parts``) also hands out pieces while it works; others ignore it."""
        ...

    async def run_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        """The batch's audio with its word timings (``TimesWords`` engines only)."""
        ...

    def close(self) -> None: ...


def synthesize_timed(engine: Engine, batch: Sequence[Segment]) -> list[TimedAudio]:
    if not isinstance(engine, TimesWords):
        raise TypeError(f"engine {engine.name!r} gives no word timings")  # callers check first
    return engine.synthesize_timed(batch)


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

    def _call(self, batch: Sequence[Segment], on_part: PartSink | None) -> list[Audio]:
        engine = self._shared if self._shared is not None else self._instances.get()
        try:
            if on_part is not None and streams_parts(engine):
                return run_streamed(engine, batch, on_part)
            return engine.synthesize(batch)
        finally:
            if self._shared is None:
                self._instances.put(engine)

    async def run(self, batch: Sequence[Segment], on_part: PartSink | None = None) -> list[Audio]:
        loop = asyncio.get_running_loop()
        # In the caller's context, as asyncio.to_thread does: the batcher's company_expected.
        ctx = contextvars.copy_context()
        return await loop.run_in_executor(self._pool, ctx.run, self._call, list(batch), on_part)

    def _call_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        engine = self._shared if self._shared is not None else self._instances.get()
        try:
            return synthesize_timed(engine, batch)
        finally:
            if self._shared is None:
                self._instances.put(engine)

    async def run_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        return await loop.run_in_executor(self._pool, ctx.run, self._call_timed, list(batch))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
