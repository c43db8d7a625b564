"""The C allocator's settings for a long-running server process (glibc only).

glibc serves a block larger than its mmap threshold from its own mapping, returned to the
system on free. But the threshold is dynamic: each time such a block is freed, the threshold
rises to its size (up to 32 MB). After ONNX Runtime's arena has given back a few chunks of
some megabytes, blocks of that size come from the heap instead, where a freed block in the
middle stays resident for good. Fixing the threshold keeps large blocks in mappings, so memory
given back is really gone from the process (benchmarks/onnx_memory.py shows the difference).

Smaller blocks still come from the heaps (one per thread that allocates), and glibc returns
only the free space at a heap's top. ``trim`` returns the free pages in the middle too; the
server calls it when synthesis goes idle, so what a burst left behind does not stay.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>; setting it also turns the dynamic threshold off


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


def fix_mmap_threshold(kb: int | None) -> bool:
    """Serve blocks of ``kb`` KiB and more from their own mappings, for the life of this
    process (None: leave glibc's dynamic threshold). Whether it was set."""
    if not kb:
        return False
    libc = _glibc()
    if libc is None:
        log.info("not glibc: the allocator's mmap threshold is left as it is")
        return False
    if libc.mallopt(M_MMAP_THRESHOLD, ctypes.c_int(kb * 1024)) != 1:
        log.warning("mallopt refused an mmap threshold of %d KiB", kb)
        return False
    return True


def trim() -> bool:
    """Hand the heaps' free pages back to the system (glibc's malloc_trim). A few ms at
    most; other threads' allocations wait on each heap while it is walked. Whether any
    memory was released."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(ctypes.c_size_t(0)))
