"""ChatTTS throughput through the HTTP server with cross-request batching on and off.

Two `clarion serve` processes in turn, identical but for the batch size (1, then --batch),
on the tiny random-weight checkpoint the tests generate (2-layer GPT; decoder and vocoder at
their real size). Every request is one sentence, and the random model runs every sentence to
--tokens audio tokens, so each request is the same amount of work. --concurrency clients
keep requests in flight; the script prints requests and audio seconds per wall second for
both runs, and the ratio.

Usage: python benchmarks/chattts_batching.py [--requests 32] [--concurrency 8] [--batch 8] [--tokens 48]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx

from harness import server_process, tiny_chattts_checkpoint  # same directory: shared by the benchmarks

RATE = 24_000
READY_TIMEOUT_S = 900  # importing torch and ChatTTS and compiling its normaliser is slow on a busy CPU


async def run(url: str, requests: int, concurrency: int) -> tuple[float, list[float], float]:
    """Wall seconds for all requests, each request's latency, and the audio seconds returned."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=900) as client:

        async def one(i: int) -> tuple[float, float]:
            async with gate:
                body = {
                    "model": "chattts",
                    "voice": "seed_2222",
                    "input": f"Request number {i} asks for one short sentence.",
                    "response_format": "pcm",
                }
                t0 = time.perf_counter()
                r = await client.post(f"{url}/v1/audio/speech", json=body)
                r.raise_for_status()
                return time.perf_counter() - t0, len(r.content) / 2 / RATE

        await one(-1)  # one request first: first-call costs are not throughput
        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(requests)))
        wall = time.perf_counter() - t0
    return wall, [lat for lat, _ in results], sum(audio for _, audio in results)


def measure(ckpt: Path, batch: int, args: argparse.Namespace) -> dict[str, float]:
    env = {
        "CLARION_ENGINE_OPTIONS__CHATTTS__PATH": str(ckpt),
        "CLARION_ENGINE_OPTIONS__CHATTTS__MAX_NEW_TOKEN": str(args.tokens),
        "CLARION_ENGINE_OPTIONS__CHATTTS__MAX_BATCH_SIZE": str(batch),
        "CLARION_ENGINE_OPTIONS__CHATTTS__MAX_WAIT_MS": str(args.wait_ms),
        "CLARION_ENGINE_OPTIONS__CHATTTS__THREADS": str(os.cpu_count() or 1),
        "CLARION_REQUEST_TIMEOUT_S": "600",
        "CLARION_ADMISSION_CONTROL": "false",  # measure the engine, not the refusals
    }
    with server_process("chattts", env, READY_TIMEOUT_S) as (url, _):
        wall, latencies, audio = asyncio.run(run(url, args.requests, args.concurrency))
    return {
        "requests_per_s": args.requests / wall,
        "audio_s_per_s": audio / wall,
        "p50_latency_s": statistics.median(latencies),
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8, help="batch size of the batching run")
    parser.add_argument("--tokens", type=int, default=48, help="audio tokens per request (~21 ms each)")
    parser.add_argument("--wait-ms", type=float, default=20.0, help="batch fill wait")
    args = parser.parse_args()

    ckpt = tiny_chattts_checkpoint()
    print(
        f"checkpoint: {ckpt}  cores: {os.cpu_count()}  requests: {args.requests}  "
        f"concurrency: {args.concurrency}  tokens/request: {args.tokens}"
    )
    runs = {
        "off (batch 1)": measure(ckpt, 1, args),
        f"on (batch {args.batch})": measure(ckpt, args.batch, args),
    }
    print(f"{'batching':<16}{'req/s':>10}{'audio s/s':>12}{'p50 latency s':>16}{'wall s':>10}")
    for name, r in runs.items():
        print(
            f"{name:<16}{r['requests_per_s']:>10.2f}{r['audio_s_per_s']:>12.2f}"
            f"{r['p50_latency_s']:>16.2f}{r['wall_s']:>10.1f}"
        )
    off, on = runs.values()
    print(f"throughput ratio on/off: {on['requests_per_s'] / off['requests_per_s']:.2f}x")


if __name__ == "__main__":
    main()
