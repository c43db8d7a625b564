"""benchmarks/live_heap.py's premise, on real heaptrack recordings: a process killed with
SIGKILL leaves heaptrack counting what it held live at that moment, per call stack, and the
difference of two recordings names the stack that grew. The full measurement (two soaks of a
real server) is the script itself."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("heaptrack") is None or shutil.which("heaptrack_print") is None,
    reason="needs Debian's heaptrack (scripts/system-deps.sh)",
)
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
MIB = 1 << 20
# Holds N blocks of 1 MiB, then dies the way live_heap.py kills the server: after a burst of
# short-lived allocations, which pushes out what heaptrack still buffers (a page or so of
# events; without the burst the blocks are lost with the buffer).
HOLD = """
import ctypes, os, signal, sys
held = [ctypes.create_string_buffer(1 << 20) for _ in range(int(sys.argv[1]))]
for _ in range(1000):
    bytearray(1024)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def live_heap() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import live_heap

        yield live_heap
    finally:
        sys.path.remove(str(BENCHMARKS))


def record(live_heap: ModuleType, tmp_path: Path, blocks: int) -> Counter[str]:
    data = tmp_path / f"hold-{blocks}"
    script = tmp_path / "hold.py"  # a file: heaptrack's record breaks on a command line with newlines
    script.write_text(HOLD)
    done = subprocess.run(
        ["heaptrack", "-o", str(data), sys.executable, str(script), str(blocks)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Heaptrack finished" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    stacks: Counter[str] = live_heap.live_stacks(data.with_suffix(".zst"), [])
    return stacks


def test_what_a_killed_process_held_is_counted_live_per_stack(live_heap: ModuleType, tmp_path: Path) -> None:
    few, many = record(live_heap, tmp_path, 4), record(live_heap, tmp_path, 12)
    grown = sum(many.values()) - sum(few.values())
    # Eight more blocks of 1 MiB, and little else: the interpreter's own start-up is the same.
    assert 8 * MIB <= grown < 8.5 * MIB
    changes = live_heap.grown(few, many, depth=12)
    delta, stack = changes[0]
    assert 8 * MIB <= delta < 8.1 * MIB
    assert "PyCData_MallocBuffer" in stack, stack  # ctypes' buffer, named where it was allocated
    assert changes[1][0] < MIB // 10  # nothing else grew by much


def test_bare_addresses_are_named_by_library_and_offset(live_heap: ModuleType) -> None:
    maps = live_heap.mappings(os.getpid())
    malloc = ctypes.cast(ctypes.CDLL(None).malloc, ctypes.c_void_p).value
    assert malloc is not None
    named = live_heap.name_frame(f"{malloc:#x} (malloc.c)", maps)
    library, _, _ = named.partition("+0x")
    assert library.startswith("libc.so"), named
    # The same function has the same offset whatever the process's load address.
    again = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ctypes, os, sys; sys.path.insert(0, sys.argv[1]); import live_heap; "
            "m = ctypes.cast(ctypes.CDLL(None).malloc, ctypes.c_void_p).value; "
            "print(live_heap.name_frame(hex(m), live_heap.mappings(os.getpid())))",
            str(BENCHMARKS),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert again.stdout.strip() == named
    assert live_heap.name_frame("PyList_Append (listobject.c)", maps) == "PyList_Append (listobject.c)"
