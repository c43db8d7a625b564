"""Soak: a steady mixed load at about 70 % of measured capacity against a real server
process, for a long time. Prints errors (target 0), latency percentiles over time, the
server's resident memory (with the processes it started) over time and its slope per 1,000
requests (target < 1 MB): of all samples, of those taken at quiet moments (no request for
2 s: what the server keeps, without the work in hand), and of the floor (the lowest quiet
sample in each tenth of the run: what the server comes back to, which is what a leak raises).
At quiet moments it also reads the server's own accounting from /metrics: the C heap's bytes in
use (a leak raises them) and free bytes (fragmentation raises them), and Python's block count;
and, from /proc, the server process's own memory by kind (main heap, other anonymous memory,
mapped files) and its threads, whose lowest per tenth shows which kind grows.

Every 2 minutes of load (--checkpoint-every), and at the end, a checkpoint: the arrivals pause
(those after it are shifted by the pause), the server drains, the same short probe goes to each
voice of the mix, and RSS and the memory by kind are read once the server has trimmed. Quiet
moments come when the Poisson arrivals leave them, fewer in busy spans, and after whichever
request came last; checkpoints come at a steady pace and after the same work each time. Their
slope is the figure that can resolve the target. Slopes start after the first fifth of the run,
but the allocator warms up over the first few hundred requests (a few MB), so judge the target
on a run that passes that well (README: --duration 80m). Writes a PNG plot and a JSON report.

The mix: short and long texts, English and Mandarin (Kokoro, when its files are there),
streamed and whole responses, wav / mp3 / opus / flac / pcm. Every request asks the server
to bypass its audio cache, so all of it is synthesised.

Usage: python benchmarks/soak.py [--duration 20m] [--load 0.7] [--out soak] [--seed 1]
       [--checkpoint-every 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path

from clarion.bench.schedule import parse_duration
from harness import (  # same directory: shared by the benchmarks
    CHECKPOINT_EVERY_S,
    QUIET_S,
    SETTLE_S,
    Results,
    capacity,
    floors,
    languages_served,
    mean_work,
    report,
    server_process,  # same directory: shared by the benchmarks
    soak,
)


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    t, _, mb = zip(*results.rss, strict=True)
    top.plot(t, mb, label="every 2 s")
    if results.quiet_rss:
        it, _, imb = zip(*results.quiet_rss, strict=True)
        top.scatter(it, imb, s=4, color="tab:orange", label=f"no request for {QUIET_S:g} s", zorder=3)
        floor = floors(results.quiet_rss, max(t for t, *_ in results.rss))
        if floor:
            ft, _, fmb = zip(*floor, strict=True)
            top.plot(ft, fmb, color="tab:green", marker="o", ms=3, label="floor (lowest quiet, per tenth)")
    if results.checkpoints:
        ct, _, cmb, _ = zip(*results.checkpoints, strict=True)
        top.scatter(ct, cmb, s=12, color="tab:red", marker="D", label="checkpoint", zorder=4)
    top.legend(loc="upper left", fontsize="small")
    top.set_ylabel("server RSS, with its child processes (MB)")
    done = [(t, lat) for t, lat, s, _ in results.done if s == 200]
    if done:
        xs, ys = zip(*done, strict=True)
        bottom.scatter(xs, [y * 1000 for y in ys], s=3, alpha=0.4)
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("seconds into the soak")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="20m")
    ap.add_argument("--load", type=float, default=0.7, help="fraction of measured capacity")
    ap.add_argument("--engines", default="hibari,kokoro")
    ap.add_argument("--out", default="soak", help="prefix for the .json and .png written")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--calibrate", type=int, default=40, help="requests of the mix timed to measure capacity")
    ap.add_argument("--users", type=int, default=4, help="closed-loop clients while measuring capacity")
    ap.add_argument(
        "--checkpoint-every",
        type=float,
        default=CHECKPOINT_EVERY_S,
        help="seconds of load between checkpoints (0: none)",
    )
    args = ap.parse_args()
    duration = parse_duration(args.duration)
    engines = args.engines.split(",")
    with server_process(",".join(engines)) as (url, pid):
        languages = languages_served(url)
        chars_per_s = asyncio.run(capacity(url, languages, args.calibrate, args.users))
        cap = chars_per_s / mean_work(languages)
        rate = cap * args.load
        print(
            f"capacity {chars_per_s:.0f} weighted chars/s, {cap:.2f} req/s of the mix "
            f"({', '.join(languages)}); soaking at {rate:.2f} req/s"
        )
        results = asyncio.run(
            soak(url, pid, rate, duration, languages, args.seed, args.checkpoint_every or None)
        )
    out = report(results, rate, window=max(10.0, duration / 10))
    Path(f"{args.out}.json").write_text(json.dumps(out, indent=1))
    plot(results, Path(f"{args.out}.png"))
    print(f"requests {out['requests']}, errors {out['errors']} (statuses {out['statuses']})")
    print("latency over time (ms):")
    for w in out["latency_over_time"]:
        cells = "  ".join(f"p{q} {w[f'p{q}_ms']:>6}" for q in (50, 95, 99))
        print(f"  {w['from_s']:>6}s  n={w['requests']:<5} {cells}")
    r = out["rss_mb"]
    print(
        f"server RSS (with its child processes): {r['start']:.0f} MB at start, "
        f"{r['end']:.0f} MB at end, {r['max']:.0f} MB peak"
    )
    print(
        f"RSS slope: {out['rss_slope_mb_per_1000_requests']} MB per 1,000 requests (target < 1); "
        f"at quiet moments (no request for {QUIET_S:g} s; {out['quiet_rss_samples']} samples): "
        f"{out['quiet_rss_slope_mb_per_1000_requests']}; floor (lowest quiet sample per tenth of the "
        f"run: {', '.join(f'{mb:.0f}' for mb in out['floor_rss_mb'])} MB): "
        f"{out['floor_rss_slope_mb_per_1000_requests']}"
    )
    if out["quiet_heap_samples"]:
        print(
            f"server's heap at quiet moments ({out['quiet_heap_samples']} samples), per 1,000 requests "
            f"after the first fifth: C heap in use (what a leak raises) "
            f"{out['heap_in_use_slope_mb_per_1000_requests']} MB, free in the heaps (what fragmentation "
            f"raises) {out['heap_free_slope_mb_per_1000_requests']} MB; Python blocks per request: "
            f"{out['python_blocks_per_request']}"
        )
    if out["checkpoints"]:
        by_kind = ", ".join(
            f"{k} {v}" for k, v in out["checkpoint_slope_by_kind_mb_per_1000_requests"].items()
        )
        print(
            f"at {out['checkpoints']} checkpoints (every {args.checkpoint_every:g} s of load: drained, "
            f"the same probe to each voice, {SETTLE_S:g} s to trim; MB: "
            f"{' '.join(f'{mb:.0f}' for mb in out['checkpoint_rss_mb'])}): RSS slope "
            f"{out['checkpoint_rss_slope_mb_per_1000_requests']} MB per 1,000 requests after the first "
            f"fifth (target < 1); the server process by kind: {by_kind}"
        )
    kinds = out["floor_by_kind_mb"]
    if kinds["threads"]:
        shown = ", ".join(f"{k} {' '.join(f'{v:g}' for v in kinds[k])}" for k in kinds)
        print(f"server process at quiet moments, lowest per tenth of the run (MB; threads): {shown}")
    median = statistics.median([d[1] for d in results.done]) if results.done else float("nan")
    print(f"wrote {args.out}.json and {args.out}.png; median latency {median:.3f} s")


if __name__ == "__main__":
    main()
