"""The C allocator's settings for a long-running server process (glibc only).

A run's tensors are blocks of up to some megabytes, freed when the run ends (ONNX Runtime's
arena gives its chunks back, ``OnnxOptions.arena_shrinkage``). What glibc does with them
decides both the next run's speed and the memory the process keeps:

- a block above the mmap threshold gets its own mapping, unmapped on free, and the next
  run faults every page of it in again (about a tenth of a Piper sentence's time);
- a block from a heap stays resident when freed and the next run reuses its pages, except
  that glibc returns the free space at a heap's top beyond the trim threshold at once.

glibc's defaults move the mmap threshold up as large blocks are freed and return heap tops
above 128 KiB, so runs keep faulting. The server fixes the mmap threshold at 32 MiB and keeps
heap tops up to 1 GiB (``fix_mmap_threshold``, ``keep_heap_tops``): while synthesis is busy,
its pages stay for the next run. ``trim`` hands every free page back, the top and the
middle; the server calls it when synthesis goes idle and every so often under load, so what
a burst held does not stay (benchmarks/onnx_memory.py shows the difference).

What a trim cannot return is a page with one live block on it, and each heap has its share of
those. glibc gives threads heaps of their own, up to eight per core, and the server's threads
come and go (encoders, thread pools, ONNX Runtime's own), so the number of heaps, and the
memory they keep, creeps up for a long time. ``cap_arenas`` bounds it.
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

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3  # setting it also turns the dynamic threshold off
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


def keep_heap_tops(kb: int | None) -> bool:
    """Leave up to ``kb`` KiB free at a heap's top instead of returning it at each free, for
    the life of this process (None: glibc's 128 KiB, which rises with the dynamic mmap
    threshold). Whether it was set."""
    if not kb:
        return False
    return _mallopt(M_TRIM_THRESHOLD, min(kb * 1024, 2**31 - 1), "trim threshold (bytes)")


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
    # Kept tops go back only through the trims: without them, glibc's own threshold.
    keep_heap_tops(settings.malloc_trim_threshold_kb if settings.malloc_trim_idle_s else None)
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
