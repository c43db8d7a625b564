"""The allocator settings, checked on glibc itself in a fresh interpreter per case (the
setting lasts for the life of a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clarion.allocator import cap_arenas, fix_mmap_threshold

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# In a fresh interpreter: sets the allocator as asked (mmap threshold in KiB and most heaps,
# 0 for glibc's own) or starts a real server on its defaults, leaves freed blocks on the heap
# as it would (tests.heap.litter), and prints how many of them had their own mapping, how much
# of the freed memory the process still holds (after a trim, if asked), and how many heaps
# there are while eight threads each hold a block. After a server, the heap's free chunks of
# the block size are taken first: glibc reuses those whatever the threshold.
PROBE = """
import json, sys
from clarion.allocator import cap_arenas, fix_mmap_threshold, trim
from tests.heap import BLOCK, heaps_with_threads, litter, take_free_chunks
from tests.signals import rss_mb

if sys.argv[1] == "server":  # a real server on its default settings, started and stopped
    from clarion.config import Settings
    from tests.server import serve

    with serve(Settings(engines=["hibari"])):
        pass
    fixed = capped = None
    take_free_chunks()  # what the server freed may be reused whatever the threshold
else:
    fixed = fix_mmap_threshold(int(sys.argv[1]) or None)
    capped = cap_arenas(int(sys.argv[2]) or None)
before = rss_mb()
mapped, _ = litter()
if sys.argv[3:] == ["trim"]:
    trim()
kept_mb = rss_mb() - before - BLOCK / 1e6
print(json.dumps({"fixed": fixed, "capped": capped, "mapped": mapped, "kept_mb": kept_mb,
                  "heaps": heaps_with_threads(8)}))
"""


def probe(kb: int | str, arenas: int = 0, *then: str) -> dict[str, float]:
    root = Path(__file__).parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARION_MALLOC_", "MALLOC_"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(kb), str(arenas), *then],
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


def test_no_threshold_or_cap_leaves_the_allocator_alone() -> None:
    assert fix_mmap_threshold(None) is False
    assert fix_mmap_threshold(0) is False
    assert cap_arenas(None) is False
    assert cap_arenas(0) is False


def test_a_cap_on_arenas_makes_threads_share_heaps() -> None:
    own, capped = probe(0), probe(0, 2)
    assert own["capped"] is False and capped["capped"] is True
    # glibc's own: each of the eight threads gets a heap of its own beside the main one.
    assert own["heaps"] == 9
    assert capped["heaps"] == 2


def test_the_server_fixes_the_threshold_by_default() -> None:
    served = probe("server")
    assert served["mapped"] == 16
    assert served["kept_mb"] < 5
    # The server's own threads made a heap or so before the cap; the eight share those.
    assert served["heaps"] <= 3


def test_a_trim_gives_back_freed_blocks_left_in_the_heap() -> None:
    assert probe(0)["kept_mb"] > 50
    assert probe(0, 0, "trim")["kept_mb"] < 5
