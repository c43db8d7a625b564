"""The allocator settings, checked on glibc itself in a fresh interpreter per case (the
setting lasts for the life of a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clarion.allocator import cap_arenas, fix_mmap_threshold, keep_heap_tops

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# In a fresh interpreter: sets the allocator as asked (mmap threshold and trim threshold in KiB,
# most heaps; 0 for glibc's own) or starts a real server on its defaults. Then prints the page
# faults a run's worth of blocks costs each time it is taken again, and how much of it stays
# resident once freed (and after a trim, if asked). Then it leaves freed blocks on the heap as
# a run would (tests.heap.litter) and prints how many had their own mapping, how much of the
# freed memory the process still holds (after a trim, if asked), and how many heaps there are
# while eight threads each hold a block.
PROBE = """
import json, sys
from clarion.allocator import cap_arenas, fix_mmap_threshold, keep_heap_tops, trim
from tests.heap import BLOCK, faults_on_reuse, heaps_with_threads, litter
from tests.signals import rss_mb

mmap_kb, top_kb, arenas, *then = sys.argv[1:]
if mmap_kb == "server":  # a real server on its default settings, started and stopped
    from clarion.config import Settings
    from tests.server import serve

    with serve(Settings(engines=["hibari"])):
        pass
    fixed = kept = capped = None
elif mmap_kb == "configure":  # the server's settings, with malloc_trim_idle_s = the second argument
    from clarion.allocator import configure
    from clarion.config import Settings

    configure(Settings(malloc_trim_idle_s=float(top_kb)))
    fixed = kept = capped = None
else:
    fixed = fix_mmap_threshold(int(mmap_kb) or None)
    kept = keep_heap_tops(int(top_kb) or None)
    capped = cap_arenas(int(arenas) or None)
start = rss_mb()
faults = faults_on_reuse()
held_mb = rss_mb() - start
if then == ["trim"]:
    trim()
held_after_trim_mb = rss_mb() - start
before = rss_mb()
mapped, _ = litter()
if then == ["trim"]:
    trim()
kept_mb = rss_mb() - before - BLOCK / 1e6
print(json.dumps({"fixed": fixed, "kept": kept, "capped": capped, "faults": faults,
                  "held_mb": held_mb, "held_after_trim_mb": held_after_trim_mb,
                  "mapped": mapped, "kept_mb": kept_mb, "heaps": heaps_with_threads(8)}))
"""
PAGES_PER_RUN = 16 * (4 << 20) // 4096  # faults_on_reuse's blocks, in pages


def probe(mmap_kb: int | str, top_kb: int = 0, arenas: int = 0, *then: str) -> dict[str, float]:
    root = Path(__file__).parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARION_MALLOC_", "MALLOC_", "GLIBC_"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(mmap_kb), str(top_kb), str(arenas), *then],
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
    # glibc's own behaviour: blocks under the raised threshold come from the heap, and
    # freeing them leaves the process as large as before.
    assert dynamic["mapped"] == 0
    assert dynamic["kept_mb"] > 50
    # Fixed at 1 MiB: every 4 MiB block has its own mapping, and freeing it unmaps it; so
    # each later run faults every page in again.
    assert fixed["mapped"] == 16
    assert fixed["kept_mb"] < 5
    assert fixed["faults"] >= 0.9 * PAGES_PER_RUN


def test_kept_heap_tops_let_the_next_run_reuse_its_pages_until_a_trim() -> None:
    returned, kept = probe(32768), probe(32768, 1 << 20)
    trimmed = probe(32768, 1 << 20, 0, "trim")
    assert kept["kept"] is True and returned["kept"] is False
    # glibc's 128 KiB top: a run's blocks, freed at the heap's top, are returned at once and
    # faulted in again by the next run.
    assert returned["faults"] >= 0.9 * PAGES_PER_RUN
    assert returned["held_mb"] < 5
    # Kept: the next run writes to pages already there, and they stay until a trim.
    assert kept["faults"] < 0.05 * PAGES_PER_RUN
    assert kept["held_mb"] > 50
    assert trimmed["held_after_trim_mb"] < 5


def test_no_threshold_or_cap_leaves_the_allocator_alone() -> None:
    assert fix_mmap_threshold(None) is False
    assert fix_mmap_threshold(0) is False
    assert keep_heap_tops(None) is False
    assert keep_heap_tops(0) is False
    assert cap_arenas(None) is False
    assert cap_arenas(0) is False


def test_a_cap_on_arenas_makes_threads_share_heaps() -> None:
    own, capped = probe(0), probe(0, 0, 2)
    assert own["capped"] is False and capped["capped"] is True
    # glibc's own: each of the eight threads gets a heap of its own beside the main one.
    assert own["heaps"] == 9
    assert capped["heaps"] == 2


def test_the_server_keeps_run_sized_blocks_in_its_heaps_until_a_trim() -> None:
    served, trimmed = probe("server"), probe("server", 0, 0, "trim")
    # Blocks up to 32 MiB come from the heaps and their pages stay for the next run...
    assert served["mapped"] == 0
    assert served["faults"] < 0.05 * PAGES_PER_RUN
    # ...until the server trims (when synthesis goes idle): then they leave the process.
    assert trimmed["held_after_trim_mb"] < 5
    assert trimmed["kept_mb"] < 5
    # The server's own threads made a heap or so before the cap; the eight share those.
    assert served["heaps"] <= 3


def test_heap_tops_are_kept_only_where_the_server_trims() -> None:
    trimming, never = probe("configure", 1), probe("configure", 0)
    assert trimming["faults"] < 0.05 * PAGES_PER_RUN
    # No trims would ever give kept tops back: glibc's own threshold returns them at once.
    assert never["faults"] >= 0.9 * PAGES_PER_RUN
    assert never["held_mb"] < 5


def test_a_trim_gives_back_freed_blocks_left_in_the_heap() -> None:
    assert probe(0)["kept_mb"] > 50
    assert probe(0, 0, 0, "trim")["kept_mb"] < 5
