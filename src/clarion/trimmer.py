"""Hands freed heap memory back to the system (``allocator.trim``) when synthesis is quiet,
so that after a burst the process shrinks instead of keeping its high-water mark."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from clarion import allocator


class MemoryTrimmer:
    """``batches_run``: how many batches have run so far; ``busy``: whether any is queued or
    running now."""

    def __init__(self, batches_run: Callable[[], int], busy: Callable[[], bool]) -> None:
        self._batches_run = batches_run
        self._busy = busy
        self._task: asyncio.Task[None] | None = None
        self.trims = 0  # times freed heap memory was handed back

    def start(self, idle_s: float, busy_s: float) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(idle_s, busy_s))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self, idle_s: float, busy_s: float) -> None:
        """Once synthesis has been idle ``idle_s``, trim once per quiet spell; under a load
        with no such spell, every ``busy_s`` (0: never) instead."""
        seen = trimmed = self._batches_run()
        quiet_since = last_trim = time.monotonic()
        while True:
            await asyncio.sleep(max(0.05, idle_s / 2))
            now, ran = time.monotonic(), self._batches_run()
            busy = self._busy()
            if busy or ran != seen:
                seen, quiet_since = ran, now
            idle = now - quiet_since >= idle_s
            if ran != trimmed and (idle or (busy_s and now - last_trim >= busy_s)):
                trimmed, last_trim = ran, now
                await asyncio.to_thread(allocator.trim)
                self.trims += 1
