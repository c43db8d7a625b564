"""Work that can wait for the work that cannot: a daemon thread at the lowest CPU priority.

Used for what a server loads once it is ready (other languages' front ends, libraries that
only some requests need). At normal priority that work took the cores from the first
requests: one sent at ready took 2.5 s instead of 1.5 s. Linux gives every thread its own
nice value, so lowering this thread's leaves the rest of the process alone; a child process
started from it would inherit it, so nothing here should start one."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

LOWEST = 19


def start(work: Callable[[], T], name: str) -> concurrent.futures.Future[T]:
    """Run ``work`` in a new daemon thread at the lowest priority; its result or error."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if sys.platform.startswith("linux"):
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)
            except OSError as e:  # a sandbox may forbid it; the work still runs
                log.debug("could not lower the priority of %s: %s", name, e)
        try:
            future.set_result(work())
        except BaseException as e:  # handed to whoever waits for the result
            future.set_exception(e)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def priority() -> int:
    """The calling thread's nice value (tests, logs)."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
