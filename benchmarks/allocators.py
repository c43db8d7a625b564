"""Allocators side by side under the soak's load: one server per allocator setting, all running
at once and each sent the same requests at the same moments (benchmarks/soak.py's open-loop mix,
one seed), so what differs between their memory is the allocator, not the load or the host's
mood. A soak of one setting after another cannot settle a difference of 1-2 MB per 1,000
requests: run-to-run spread is several MB per 1,000.

The settings must be in place when the process starts, so each is an environment:
  glibc            the server's defaults (clarion.allocator: two arenas, a fixed mmap
                   threshold, the heaps trimmed when idle)
  glibc-no-tcache  the same with glibc's per-thread caches off (GLIBC_TUNABLES); a chunk in a
                   thread's cache is freed but counts as in use and pins its page
  jemalloc         Debian's libjemalloc2 preloaded, its background thread purging unused pages

Capacity is measured with every server under load at once, so the rate is 70 % of what each
sustains while sharing the host. Prints, per setting: requests and errors, resident memory at the
floor (the lowest quiet sample in each tenth of the run, as the soak does) and its slope per
1,000 requests (target < 1 MB), the quiet slope, latency, and where the server's own memory lies at
the start and the end (heap, other anonymous, files) with its thread count.

Usage: python benchmarks/allocators.py [--duration 45m] [--load 0.7] [--seed 2]
    [--settings glibc,glibc-no-tcache,jemalloc]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from clarion.bench.schedule import parse_duration
from clarion.bench.stats import percentile
from harness import (  # same directory: shared by the benchmarks
    SETTLE_S,
    capacity,
    languages_served,
    mean_work,
    memory_by_kind,
    report,
    server_process,  # same directory: shared by the benchmarks
    soak,
)

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"  # Debian's libjemalloc2
SETTINGS: dict[str, dict[str, str]] = {
    "glibc": {},
    "glibc-no-tcache": {"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"},
    "jemalloc": {"LD_PRELOAD": JEMALLOC, "MALLOC_CONF": "background_thread:true"},
}


async def side_by_side(
    servers: dict[str, tuple[str, int]], languages: list[str], args: argparse.Namespace, duration: float
) -> dict[str, dict[str, Any]]:
    each = await asyncio.gather(
        *(capacity(url, languages, args.calibrate, args.users) for url, _ in servers.values())
    )
    # The slowest sets the pace: every server gets the same requests.
    rate = min(each) / mean_work(languages) * args.load
    print(
        f"capacity with all {len(servers)} under load: {', '.join(f'{c:.0f}' for c in each)} weighted chars/s"
    )
    print(f"soaking each at {rate:.3f} req/s for {duration / 60:.0f} min")
    await asyncio.sleep(SETTLE_S)
    start = {name: memory_by_kind(pid) for name, (_, pid) in servers.items()}
    runs = await asyncio.gather(
        *(soak(url, pid, rate, duration, languages, args.seed) for url, pid in servers.values())
    )
    await asyncio.sleep(SETTLE_S)
    out = {}
    for (name, (_, pid)), results in zip(servers.items(), runs, strict=True):
        latencies = [lat for _, lat, status, _ in results.done if status == 200]
        out[name] = report(results, rate, window=max(10.0, duration / 10)) | {
            "latency_ms": {f"p{q}": round((percentile(latencies, q) or 0) * 1000) for q in (50, 95, 99)},
            "start": start[name],
            "end": memory_by_kind(pid),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="45m")
    ap.add_argument("--load", type=float, default=0.7, help="fraction of measured capacity")
    ap.add_argument("--engines", default="hibari,kokoro")
    ap.add_argument("--settings", default=",".join(SETTINGS), help=f"of {', '.join(SETTINGS)}")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--calibrate", type=int, default=40, help="requests of the mix timed to measure capacity")
    ap.add_argument("--users", type=int, default=2, help="closed-loop clients per server while measuring")
    ap.add_argument("--out", default="allocators.json")
    args = ap.parse_args()
    names = args.settings.split(",")
    if "jemalloc" in names and not Path(JEMALLOC).exists():
        raise SystemExit(f"jemalloc: {JEMALLOC} is missing (Debian's libjemalloc2)")
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(server_process(args.engines, SETTINGS[name])) for name in names}
        languages = languages_served(next(iter(servers.values()))[0])  # all serve the same engines
        out = asyncio.run(side_by_side(servers, languages, args, parse_duration(args.duration)))
    Path(args.out).write_text(json.dumps(out, indent=1))
    base = out[names[0]]["floor_rss_mb"]
    print(f"{'setting':<16} {'requests':>8} {'errors':>6}  floor MB (first .. last)  per 1,000: floor, quiet")
    for name in names:
        r = out[name]
        floor = r["floor_rss_mb"]
        slopes = f"{r['floor_rss_slope_mb_per_1000_requests']}, {r['quiet_rss_slope_mb_per_1000_requests']}"
        print(
            f"{name:<16} {r['requests']:>8} {r['errors']:>6}  {floor[0]:>7.0f} .. {floor[-1]:<7.0f}"
            f"          {slopes:<16} last floor {floor[-1] - base[-1]:+.0f} MB against {names[0]}"
        )
    for name in names:
        s, e = out[name]["start"], out[name]["end"]
        moved = ", ".join(f"{k} {s[k]:.0f} -> {e[k]:.0f}" for k in ("heap", "anonymous", "files", "threads"))
        lat = "  ".join(f"{q} {ms} ms" for q, ms in out[name]["latency_ms"].items())
        print(f"{name:<16} latency {lat}; server process at start and end (MB): {moved}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
