"""Waiting for a condition that another thread or process brings about, with a bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


def wait_until(cond: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll ``cond`` until it is true; fail the test if it is not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


async def settled(cond: Callable[[], object], within: float = 30.0) -> None:
    """``wait_until`` for a condition that this event loop's own tasks bring about."""
    async with asyncio.timeout(within):
        while not cond():  # noqa: ASYNC110 - what is awaited has no event to wait on
            await asyncio.sleep(0.02)
