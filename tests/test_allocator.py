"""The allocator setting, checked on glibc itself in a fresh interpreter per case (the
setting lasts for the life of a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clarion.allocator import fix_mmap_threshold

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# In a fresh interpreter: sets the threshold as asked (or starts a real server on its
# defaults), leaves freed blocks on the heap as it would (tests.heap.litter), and prints how
# many of them had their own mapping and how much of the freed memory the process still holds
# (after a trim, if asked).
PROBE = """
import json, sys
from clarion.allocator import fix_mmap_threshold, trim
from tests.heap import BLOCK, litter
from tests.signals import rss_mb

if sys.argv[1] == "server":  # a real server on its default settings, started and stopped
    from clarion.config import Settings
    from tests.server import serve

    with serve(Settings(engines=["hibari"])):
        pass
    fixed = None
else:
    fixed = fix_mmap_threshold(int(sys.argv[1]) or None)
before = rss_mb()
mapped, _ = litter()
if sys.argv[2:] == ["trim"]:
    trim()
print(json.dumps({"fixed": fixed, "mapped": mapped, "kept_mb": rss_mb() - before - BLOCK / 1e6}))
"""


def probe(kb: int | str, *then: str) -> dict[str, float]:
    root = Path(__file__).parents[1]
    env = {k: v for k, v in os.environ.items() if k != "CLARION_MALLOC_MMAP_THRESHOLD_KB"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(kb), *then],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=env,
        timeout=300,
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_a_fixed_threshold_gives_freed_blocks_back_to_the_system() -> None:
    dynamic, fixed = probe(0), probe(1024)
    assert dynamic["fixed"] is False and fixed["fixed"] is True
    # glibc's own behaviour, which is why the setting exists: blocks under the raised
    # threshold come from the heap, and freeing them leaves the process as large as before.
    assert dynamic["mapped"] == 0
    assert dynamic["kept_mb"] > 50
    # Fixed at 1 MiB: every 4 MiB block has its own mapping, and freeing it unmaps it.
    assert fixed["mapped"] == 16
    assert fixed["kept_mb"] < 5


def test_no_threshold_leaves_the_allocator_alone() -> None:
    assert fix_mmap_threshold(None) is False
    assert fix_mmap_threshold(0) is False


def test_the_server_fixes_the_threshold_by_default() -> None:
    served = probe("server")
    assert served["mapped"] == 16
    assert served["kept_mb"] < 5


def test_a_trim_gives_back_freed_blocks_left_in_the_heap() -> None:
    assert probe(0)["kept_mb"] > 50
    assert probe(0, "trim")["kept_mb"] < 5
