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

# Frees a block of 8 MiB (glibc raises its dynamic threshold to 8 MiB), then takes sixteen
# blocks of 4 MiB, writes to them and frees all but the last. Prints how many of the sixteen
# had their own mapping, and how much of the freed 60 MiB the process still holds.
PROBE = """
import ctypes, json, sys
from clarion.allocator import fix_mmap_threshold

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc.mallinfo2.restype = Mallinfo2

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

if sys.argv[1] == "server":  # a real server on its default settings, started and stopped
    from clarion.config import Settings
    from tests.server import serve

    with serve(Settings(engines=["hibari"])):
        pass
    fixed = None
else:
    fixed = fix_mmap_threshold(int(sys.argv[1]) or None)
libc.free(libc.malloc(8 << 20))
mapped = libc.mallinfo2().hblks
blocks = [libc.malloc(4 << 20) for _ in range(16)]
for b in blocks:
    libc.memset(b, 1, 4 << 20)
mapped = libc.mallinfo2().hblks - mapped
before = rss_mib()
for b in blocks[:-1]:
    libc.free(b)
print(json.dumps({"fixed": fixed, "mapped": mapped, "kept_mib": rss_mib() - before + 60}))
"""


def probe(kb: int | str) -> dict[str, float]:
    root = Path(__file__).parents[1]
    env = {k: v for k, v in os.environ.items() if k != "CLARION_MALLOC_MMAP_THRESHOLD_KB"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(kb)],
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
    assert dynamic["kept_mib"] > 50
    # Fixed at 1 MiB: every 4 MiB block has its own mapping, and freeing it unmaps it.
    assert fixed["mapped"] == 16
    assert fixed["kept_mib"] < 5


def test_no_threshold_leaves_the_allocator_alone() -> None:
    assert fix_mmap_threshold(None) is False
    assert fix_mmap_threshold(0) is False


def test_the_server_fixes_the_threshold_by_default() -> None:
    served = probe("server")
    assert served["mapped"] == 16
    assert served["kept_mib"] < 5
