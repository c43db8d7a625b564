"""What does process isolation cost? Prints, in one run, for each engine:

- the latency of one short request (median over sequential requests) with the engine
  in-process (threads) and in worker processes, and the difference: the IPC cost per
  request (pickling segments in, audio out, over a pipe);
- the throughput (audio seconds per wall second) at concurrency 4 in both modes, and
  the ratio process/thread.

The null engine isolates the pure IPC cost (its synthesis is free); a real engine shows
what it means in practice. Process mode also frees the engine from the server's GIL,
which can make it faster than threads for engines that hold the GIL.

Usage: python benchmarks/isolation_overhead.py [--engines null,hibari] [--seconds 10] [--requests 200]
Each server runs as a separate `clarion serve` process on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from harness import TEXTS, http_throughput, server  # same directory: shared by the benchmarks


def sequential_latency(url: str, model: str, voice: str, n: int) -> float:
    body = {"model": model, "voice": voice, "input": TEXTS[0], "response_format": "pcm"}
    times = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for _ in range(5):
            c.post("/v1/audio/speech", json=body).raise_for_status()
        for _ in range(n):
            t0 = time.perf_counter()
            c.post("/v1/audio/speech", json=body).raise_for_status()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="null,hibari")
    ap.add_argument("--seconds", type=float, default=10.0, help="throughput window per mode")
    ap.add_argument("--requests", type=int, default=200, help="sequential requests for latency")
    args = ap.parse_args()
    rows = []
    for engine in args.engines.split(","):
        figures: dict[str, dict[str, float]] = {}
        for mode in ("thread", "process"):
            env = {"CLARION_ISOLATION": mode, "CLARION_WARMUP": "true"}
            with server(engine, env) as url:
                voice = httpx.get(f"{url}/v1/audio/voices", params={"engine": engine}).json()["voices"][0][
                    "id"
                ]
                n = args.requests if engine == "null" else max(20, args.requests // 10)
                lat = sequential_latency(url, engine, voice, n)
                thr = asyncio.run(http_throughput(url, engine, voice, 4, args.seconds))
                figures[mode] = {"latency": lat, "throughput": thr["throughput"], "errors": thr["errors"]}
        rows.append((engine, figures))

    print(f"\n{'engine':<8} {'mode':<8} {'p50 latency':>12} {'audio s/s @4':>13} {'errors':>7}")
    for engine, f in rows:
        for mode in ("thread", "process"):
            m = f[mode]
            lat_ms = m["latency"] * 1000
            print(f"{engine:<8} {mode:<8} {lat_ms:>10.2f}ms {m['throughput']:>13.1f} {m['errors']:>7.0f}")
    print()
    for engine, f in rows:
        extra = (f["process"]["latency"] - f["thread"]["latency"]) * 1000
        ratio = f["process"]["throughput"] / max(f["thread"]["throughput"], 1e-9)
        print(
            f"{engine}: IPC cost per request {extra:+.2f} ms (median latency), "
            f"throughput process/thread = {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
