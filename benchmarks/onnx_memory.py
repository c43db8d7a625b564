"""ONNX Runtime's and glibc's memory settings under a TTS load, A/B in one run.

The CPU arena keeps every chunk it ever grew to, and memory patterns are planned per input
shape, so a server fed texts of every length grows in steps for a long time. An arena that
gives chunks back helps only if glibc then unmaps them (clarion.allocator). This sends the
soak's mix (English and Mandarin, short to long, on hibari and Kokoro) to a real server once
per setting, the same requests in the same order from the same number of clients, and prints
the server's RSS along the way and once idle, its growth over the second half per 1,000
requests, and the throughput relative to the first setting.

Usage: python benchmarks/onnx_memory.py [--requests 300] [--users 2] [--engines hibari,kokoro]
       [--last N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

import httpx
import numpy as np

from harness import (  # same directory: shared by the benchmarks
    NO_CACHE,
    languages_served,
    plan,
    rss_mb,
    server_process,  # same directory: shared by the benchmarks
)

# Each setting is the environment of one server (CLARION_ONNX__<FIELD>, see OnnxOptions, and
# CLARION_MALLOC_*, see clarion.allocator), each a step from the old default to the new one.
OWN_ARENAS = {"CLARION_ONNX__SHARED_CPU_ARENA": "false"}
OWN_HEAPS = {"CLARION_MALLOC_ARENA_MAX": "0", **OWN_ARENAS}
OFF = {"CLARION_MALLOC_MMAP_THRESHOLD_KB": "0", "CLARION_MALLOC_TRIM_IDLE_S": "0", **OWN_HEAPS}
SETTINGS: dict[str, dict[str, str]] = {
    "arena kept, memory patterns": {
        "CLARION_ONNX__MEM_PATTERN": "true",
        "CLARION_ONNX__ARENA_SHRINKAGE": "false",
        **OFF,
    },
    "arena kept, no patterns": {"CLARION_ONNX__ARENA_SHRINKAGE": "false", **OFF},
    "arena shrunk after each run, glibc's dynamic mmap threshold": OFF,
    "arena shrunk, mmap threshold fixed at 1 MiB": {"CLARION_MALLOC_TRIM_IDLE_S": "0", **OWN_HEAPS},
    "arena shrunk, threshold fixed, heaps trimmed when idle": OWN_HEAPS,
    "arena shrunk, threshold fixed, trimmed, threads share two heaps": OWN_ARENAS,
    "arena shrunk, threshold fixed, trimmed, two heaps, one shared arena": {
        "CLARION_MALLOC_MMAP_THRESHOLD_KB": "1024",
        "CLARION_MALLOC_TRIM_THRESHOLD_KB": "0",
    },
    "all that, threshold 32 MiB, heap tops kept until trimmed (default)": {},
}
IDLE_S = 5.0  # after the last request, before RSS is read once more: what the server keeps
EVERY = 25  # requests between RSS samples


async def drive(url: str, pid: int, bodies: list[dict[str, object]], users: int) -> tuple[float, list]:
    todo = list(reversed(bodies))
    samples: list[tuple[int, float]] = [(0, rss_mb(pid))]
    done = 0
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:

        async def user() -> None:
            nonlocal done
            while todo:
                r = await client.post("/v1/audio/speech", json=todo.pop(), headers=NO_CACHE)
                r.raise_for_status()
                done += 1
                if done % EVERY == 0:
                    samples.append((done, rss_mb(pid)))

        t0 = time.monotonic()
        await asyncio.gather(*(user() for _ in range(users)))
        return time.monotonic() - t0, samples


def second_half_slope(samples: list[tuple[int, float]]) -> float:
    """MB per 1,000 requests, fitted over the second half of the run (after warm-up)."""
    half = [(n, mb) for n, mb in samples if n >= samples[-1][0] / 2]
    n, mb = np.array(half, dtype=float).T
    return float(np.polyfit(n, mb, 1)[0] * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--users", type=int, default=2, help="closed-loop clients")
    ap.add_argument("--engines", default="hibari,kokoro")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--last", type=int, default=0, help="only the last N settings (0: all)")
    args = ap.parse_args()
    if args.requests < 2 * EVERY:  # the slope is fitted over the second half's samples: two at least
        ap.error(f"--requests must be at least {2 * EVERY} (RSS is read every {EVERY} requests)")
    bodies: list[dict[str, object]] = []  # planned once the first server says what it serves
    first: float | None = None
    for name, env in list(SETTINGS.items())[-args.last :]:
        with server_process(args.engines, env) as (url, pid):
            if not bodies:
                rng = random.Random(args.seed)
                bodies = [plan(rng, languages_served(url)) for _ in range(args.requests)]
                for body in bodies:
                    body.pop("_kind")
            seconds, samples = asyncio.run(drive(url, pid, [dict(b) for b in bodies], args.users))
            time.sleep(IDLE_S)
            idle = rss_mb(pid)
        rate = len(bodies) / seconds
        first = first or rate
        curve = " ".join(f"{mb:.0f}" for _, mb in samples)
        print(f"{name}:")
        print(f"  RSS every {EVERY} requests (MB): {curve}; {idle:.0f} idle {IDLE_S:.0f} s after the last")
        print(
            f"  growth over the second half: {second_half_slope(samples):.1f} MB per 1,000 requests; "
            f"{rate:.2f} req/s ({rate / first:.2f}x the first setting)"
        )


if __name__ == "__main__":
    main()
