"""glibc heap states made on purpose, for the allocator tests (clarion.allocator)."""

from __future__ import annotations

import ctypes
import resource
import threading

from clarion.allocator import MallInfo2

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]


libc.mallinfo2.restype = MallInfo2

BLOCKS, BLOCK = 16, 4 << 20
FREED_MB = (BLOCKS - 1) * BLOCK / 1e6  # what litter() frees: 60 MiB


def litter() -> tuple[int, int]:
    """Free a block of 8 MiB (glibc's dynamic mmap threshold rises to 8 MiB), then take
    sixteen blocks of 4 MiB, write to them and free all but the last, which stays taken so
    the freed ones are not at the heap's top. Returns how many of the sixteen had their own
    mapping, and the address of the one kept."""
    libc.free(libc.malloc(8 << 20))
    mapped = libc.mallinfo2().hblks
    blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
    for b in blocks:
        libc.memset(b, 1, BLOCK)
    mapped = libc.mallinfo2().hblks - mapped
    for b in blocks[:-1]:
        libc.free(b)
    return mapped, blocks[-1]


def faults_on_reuse(rounds: int = 3) -> int:
    """Page faults while a run's worth of blocks (sixteen of 4 MiB) is taken, written and
    freed again, after a first such round: what each later run pays when the memory it
    freed left the process."""

    def one_round() -> None:
        blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
        for b in blocks:
            libc.memset(b, 1, BLOCK)
        for b in reversed(blocks):
            libc.free(b)

    one_round()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        one_round()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // rounds


def heaps() -> int:
    """How many heaps (arenas) glibc's allocator has, as its malloc_info report lists them."""
    libc.open_memstream.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    report = ctypes.string_at(buf, size.value).decode()
    libc.free(ctypes.cast(buf, ctypes.c_void_p))
    return report.count("<heap nr=")


def heaps_with_threads(n: int) -> int:
    """How many heaps there are while ``n`` threads each hold a block they allocated."""
    ready = threading.Barrier(n + 1)
    done = threading.Event()

    def hold() -> None:
        block = libc.malloc(4096)
        ready.wait()
        done.wait()
        libc.free(block)

    threads = [threading.Thread(target=hold) for _ in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    try:
        return heaps()
    finally:
        done.set()
        for t in threads:
            t.join()
