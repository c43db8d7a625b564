"""Memory probe: one part of the soak's mix at a time, as fast as the server goes, to find
what raises memory. A closed loop of clients sends requests in blocks against a real server
process; after each block, once the server has been quiet long enough to trim its heaps, it
reads the server's resident memory (with its child processes) and the server's own accounting
from /metrics: the C heap's bytes in use (a leak raises them) and free (fragmentation does),
and Python's block count. Prints one line per block, then the slopes per 1,000 requests after
the warm-up blocks.

The soak (benchmarks/soak.py) holds the target; this finds the part to blame in minutes where
a soak takes an hour. Every request bypasses the audio cache.

Usage: python benchmarks/memory_probe.py [--engines hibari] [--languages en] [--sizes short,medium]
    [--formats wav,mp3,opus,flac,pcm] [--stream mix|on|off] [--clients 4] [--block 300] [--blocks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from typing import Any

import httpx

from clarion.bench.texts import builtin
from harness import (  # same directory: shared by the benchmarks
    FORMATS,
    NO_CACHE,
    heap_figures,
    rss_mb,
    server_process,  # same directory: shared by the benchmarks
    slope,
)

# Longer than the server's idle trim (CLARION_MALLOC_TRIM_IDLE_S, 1 s, checked every 0.5 s).
QUIET_S = 2.5

Reading = tuple[int, float, float, float, int]  # requests done, RSS MB, heap in use MB, free MB, blocks


def voices_for(engines: list[str], language: str) -> list[str]:
    if language == "zh":
        return ["zf_xiaoxiao"]  # Kokoro's
    return [v for e, v in (("hibari", "heart"), ("kokoro", "af_heart")) if e in engines]


def request(rng: random.Random, args: argparse.Namespace) -> dict[str, Any]:
    language = rng.choice(args.languages)
    stream = {"mix": rng.random() < 0.5, "on": True, "off": False}[args.stream]
    return {
        "model": "tts-1",
        "voice": rng.choice(voices_for(args.engines, language)),
        "input": rng.choice(builtin(rng.choice(args.sizes), language)),
        "response_format": rng.choice(args.formats),
        "stream": stream,
    }


async def probe(url: str, pid: int, args: argparse.Namespace) -> list[Reading]:
    rng = random.Random(args.seed)
    readings: list[Reading] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def read(done: int) -> None:
            await asyncio.sleep(QUIET_S)
            heap = await heap_figures(client)
            used, free, blocks = heap if heap is not None else (float("nan"), float("nan"), 0)
            readings.append((done, rss_mb(pid), used, free, blocks))
            print(
                f"{done:6d} requests  RSS {readings[-1][1]:7.1f} MB  heap in use {used:7.2f} MB  "
                f"free {free:6.2f} MB  Python blocks {blocks:9d}  errors {errors}",
                flush=True,
            )

        async def user(left: list[int]) -> None:
            nonlocal errors
            while left[0] > 0:
                left[0] -= 1
                body = request(rng, args)
                try:
                    async with client.stream("POST", "/v1/audio/speech", json=body, headers=NO_CACHE) as r:
                        async for _ in r.aiter_raw():
                            pass
                        errors += r.status_code != 200
                except httpx.HTTPError:
                    errors += 1

        await read(0)
        for b in range(args.blocks):
            started = time.monotonic()
            left = [args.block]
            await asyncio.gather(*(user(left) for _ in range(args.clients)))
            rate = args.block / (time.monotonic() - started)
            print(f"  block {b + 1}: {rate:.2f} requests a second", flush=True)
            await read((b + 1) * args.block)
    if errors:
        print(f"{errors} requests failed", file=sys.stderr)
    return readings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="hibari", help="engines to serve, the first the default")
    ap.add_argument("--languages", default="en", help="en, zh or both (zh needs kokoro)")
    ap.add_argument("--sizes", default="short,medium", help="built-in text sizes: short, medium, long")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--stream", choices=("mix", "on", "off"), default="mix")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--block", type=int, default=300, help="requests between readings")
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--warmup-blocks", type=int, default=2, help="blocks left out of the slopes")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    for name in ("engines", "languages", "sizes", "formats"):
        setattr(args, name, getattr(args, name).split(","))
    with server_process(",".join(args.engines)) as (url, pid):
        readings = asyncio.run(probe(url, pid, args))
    steady = [r for r in readings if r[0] >= args.warmup_blocks * args.block]
    print(
        f"per 1,000 requests after {args.warmup_blocks} warm-up blocks: "
        f"RSS {slope([(n, rss) for n, rss, *_ in steady])} MB, "
        f"heap in use {slope([(n, used) for n, _, used, _, _ in steady])} MB, "
        f"heap free {slope([(n, free) for n, _, _, free, _ in steady])} MB; "
        f"Python blocks per request {slope([(n, blocks / 1000) for n, *_, blocks in steady])}"
    )


if __name__ == "__main__":
    main()
