"""Background work: its own thread, at the lowest priority, without touching the caller's."""

from __future__ import annotations

import sys
import threading

import pytest

from clarion import background


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_runs_in_a_thread_of_its_own_at_the_lowest_priority() -> None:
    mine = background.priority()
    seen = background.start(lambda: (threading.current_thread().name, background.priority()), "bg-test")
    assert seen.result(timeout=10) == ("bg-test", background.LOWEST)
    assert background.priority() == mine  # the caller's thread is left as it was


def test_an_error_reaches_whoever_waits() -> None:
    def fails() -> None:
        raise ValueError("deliberately")

    with pytest.raises(ValueError, match="deliberately"):
        background.start(fails, "bg-fails").result(timeout=10)
