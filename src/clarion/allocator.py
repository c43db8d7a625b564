"""The C allocator's settings for a long-running server process (glibc only).

glibc serves a block larger than its mmap threshold from its own mapping, returned to the
system on free. But the threshold is dynamic: each time such a block is freed, the threshold
rises to its size (up to 32 MB). After ONNX Runtime's arena has given back a few chunks of
some megabytes, blocks of that size come from the heap instead, where a freed block in the
middle stays resident for good. Fixing the threshold keeps large blocks in mappings, so memory
given back is really gone from the process (benchmarks/onnx_memory.py shows the difference).

Smaller blocks still come from the heaps, and glibc returns only the free space at a heap's
top. ``trim`` returns the free pages in the middle too; the server calls it when synthesis
goes idle, so what a burst left behind does not stay. What a trim cannot return is a page
with one live block on it, and each heap has its share of those. glibc gives threads heaps of
their own, up to eight per core, and the server's threads come and go (encoders, thread
pools, ONNX Runtime's own), so the number of heaps, and the memory they keep, creeps up for
a long time. ``cap_arenas`` bounds it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>; setting it also turns the dynamic threshold off
M_ARENA_MAX = -8


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        # Only glibc has gnu_get_libc_version; musl's mallopt does nothing useful.
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
    except (OSError, AttributeError):
        return None
    return libc


def _mallopt(param: int, value: int, what: str) -> bool:
    """Set one of glibc's malloc parameters; ``what`` names it in the log. Whether it was set."""
    libc = _glibc()
    if libc is None:
        log.info("not glibc: the allocator's %s is left as it is", what)
        return False
    if libc.mallopt(param, ctypes.c_int(value)) != 1:
        log.warning("mallopt refused %s = %d", what, value)
        return False
    return True


def fix_mmap_threshold(kb: int | None) -> bool:
    """Serve blocks of ``kb`` KiB and more from their own mappings, for the life of this
    process (None: leave glibc's dynamic threshold). Whether it was set."""
    if not kb:
        return False
    return _mallopt(M_MMAP_THRESHOLD, kb * 1024, "mmap threshold (bytes)")


def cap_arenas(n: int | None) -> bool:
    """Let threads share at most ``n`` heaps (glibc's arenas), for the life of this process
    (None: glibc's eight per core). Heaps made before stay; glibc settles its limit when the
    ninth is made, so call this early. Whether it was set."""
    if not n:
        return False
    return _mallopt(M_ARENA_MAX, n, "arena limit")


def configure(settings: Settings) -> None:
    """The server's allocator settings, in this process; before the models load."""
    fix_mmap_threshold(settings.malloc_mmap_threshold_kb)
    cap_arenas(settings.malloc_arena_max)


def trim() -> bool:
    """Hand the heaps' free pages back to the system (glibc's malloc_trim). A few ms at
    most; other threads' allocations wait on each heap while it is walked. Whether any
    memory was released."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(ctypes.c_size_t(0)))


class MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2 (2.33+): every field a size_t, in <malloc.h>'s order."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


@dataclass(frozen=True)
class HeapStats:
    """What glibc's allocator holds for this process, all heaps together, in bytes."""

    in_use: int  # handed out and not yet freed, from the heaps and from blocks' own mappings
    free: int  # free inside the heaps: held, but resident only where its pages were touched


def heap_stats() -> HeapStats | None:
    """glibc's own accounting (mallinfo2), or None where there is none (not glibc, or older
    than 2.33). It tells a leak, which raises ``in_use``, from fragmentation, which raises
    ``free``; RSS shows only their sum. Locks each heap while its free lists are counted."""
    libc = _glibc()
    if libc is None:
        return None
    try:
        mallinfo2 = libc.mallinfo2
    except AttributeError:
        return None
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return HeapStats(in_use=info.uordblks + info.hblkhd, free=info.fordblks)
