"""Time to first audio of streamed paragraphs under load, and playback underruns: the queue
orders (CLARION_QUEUE_ORDER) against first come, first served, in one run.

`clarion serve -e ENGINE` servers run side by side, pinned to the same cores, one per queue
order compared (--orders, default all three: first, playback, arrival). Each level is clarion
bench's closed loop of streamed requests (``stream: true``, PCM, so playback underruns are
counted) over the built-in long texts (paragraphs of several sentences); the servers take
turns within each level (the order turns each level), so drifts in the machine's other load
hit all alike.

Printed per server and level: TTFA p50/p99, latency p50/p99, TTFA / latency p50, underruns
(streams with one / all), audio s/s; then per level each order's ratios to arrival of TTFA
p50 and p99, latency p50 and throughput. The target (issue 29): at concurrency 4, TTFA p50 at
most 0.3x latency p50 with the default order (first), and no more underruns than arrival order.

Usage: python benchmarks/stream_ttfa.py [--engine kokoro] [--levels 4,8] [--seconds 40]
       [--cores 0-1] [--orders first,playback,arrival] [--json out.json]
(Kokoro needs its files: `clarion models pull kokoro`, or CLARION_MODELS_DIR pointing at them.)
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from clarion.bench.client import OpenAITarget
from clarion.bench.texts import load_texts
from harness import Server, clarion_server, run_level  # same directory

VOICES = {"kokoro": "af_heart", "hibari": "heart", "piper": "joe"}
ORDERS = ("first", "playback", "arrival")


@contextmanager
def server(engine: str, order: str, cores: str) -> Iterator[Server]:
    # Admission would refuse some of a closed loop's requests at the higher levels; both
    # orders are compared on the same work, all of it served.
    env = {"CLARION_QUEUE_ORDER": order, "CLARION_CACHE_MEMORY_MB": "0", "CLARION_ADMISSION_CONTROL": "false"}
    with clarion_server(engine, cores, env) as plain:
        url = plain.target.describe()["url"]
        target = OpenAITarget(url, model=engine, voice=VOICES.get(engine), fmt="pcm", stream=True)
        yield Server(order, target, plain.pid)


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.0f}"


def row(name: str, lv: dict[str, Any]) -> str:
    pb = lv.get("playback") or {}
    share = lv.get("ttfa_share_p50")
    return (
        f"  {name:9} ttfa p50/p99 {_ms(lv['ttfa_s']['p50']):>6}/{_ms(lv['ttfa_s']['p99']):>6} ms  "
        f"latency p50/p99 {_ms(lv['latency_s']['p50']):>6}/{_ms(lv['latency_s']['p99']):>6} ms  "
        f"ttfa/latency {share if share is None else round(share, 2)}  "
        f"underruns {pb.get('requests_with_underrun', '-')}/{pb.get('underruns', '-')}  "
        f"audio s/s {lv['audio_s_per_s']:.2f}  ok {lv['ok']}/{lv['requests']}"
    )


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="kokoro")
    ap.add_argument("--levels", default="4,8")
    ap.add_argument("--seconds", type=float, default=40.0, help="per server and level")
    ap.add_argument("--cores", default=f"0-{(os.cpu_count() or 1) - 1}")
    ap.add_argument("--json", help="write every level's figures here")
    ap.add_argument(
        "--orders", default="first,playback,arrival", help=f"queue orders to compare, of {ORDERS}"
    )
    args = ap.parse_args()
    texts = load_texts("long")
    levels = [int(c) for c in args.levels.split(",")]
    orders = tuple(args.orders.split(","))
    if "arrival" not in orders or not set(orders) <= set(ORDERS):
        ap.error(f"--orders: some of {ORDERS}, with arrival (the baseline)")
    with ExitStack() as stack:
        servers = {o: stack.enter_context(server(args.engine, o, args.cores)) for o in orders}
        for turn, concurrency in enumerate(levels):
            order = orders if turn % 2 == 0 else orders[::-1]
            for name in order:
                # Two halves each, interleaved, like the other side-by-side benchmarks.
                run_level(servers[name], texts, concurrency, args.seconds / 2)
            for name in order[::-1]:
                run_level(servers[name], texts, concurrency, args.seconds / 2)
    print(f"\nstreamed paragraphs on {args.engine}, cores {args.cores}, {args.seconds:g} s a server a level")
    results: dict[str, Any] = {"engine": args.engine, "levels": {}}
    for i, concurrency in enumerate(levels):
        print(f"concurrency {concurrency}:")
        halves = {o: servers[o].levels[2 * i : 2 * i + 2] for o in orders}
        merged = {o: merge(h) for o, h in halves.items()}
        for o in orders:
            print(row(o, merged[o]))
        a = merged["arrival"]
        for o in orders:
            if o == "arrival":
                continue
            p = merged[o]
            print(
                f"  {o} / arrival: ttfa p50 {ratio(p['ttfa_s']['p50'], a['ttfa_s']['p50'])}, "
                f"ttfa p99 {ratio(p['ttfa_s']['p99'], a['ttfa_s']['p99'])}, "
                f"latency p50 {ratio(p['latency_s']['p50'], a['latency_s']['p50'])}, "
                f"throughput {ratio(p['audio_s_per_s'], a['audio_s_per_s'])}"
            )
        results["levels"][concurrency] = merged
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


def merge(halves: list[dict[str, Any]]) -> dict[str, Any]:
    """Two halves of one level as one: percentiles of the halves' percentiles would be wrong,
    so the level is re-summarised from its halves' weighted figures where they add up, and
    percentiles are the request-weighted mean of the halves' (close for equal halves)."""
    ok = sum(h["ok"] for h in halves)
    out: dict[str, Any] = {"ok": ok, "requests": sum(h["requests"] for h in halves)}
    out["audio_s_per_s"] = sum(h["audio_s"] for h in halves) / sum(h["duration_s"] for h in halves)
    for key in ("ttfa_s", "latency_s"):
        out[key] = {
            q: (sum(h[key][q] * h["ok"] for h in halves if h[key][q] is not None) / ok if ok else None)
            for q in ("p50", "p99")
        }
    t, lat = out["ttfa_s"]["p50"], out["latency_s"]["p50"]
    out["ttfa_share_p50"] = t / lat if t is not None and lat else None
    pbs = [h["playback"] for h in halves if h.get("playback")]
    out["playback"] = {
        "requests_with_underrun": sum(p["requests_with_underrun"] for p in pbs),
        "underruns": sum(p["underruns"] for p in pbs),
    }
    return out


if __name__ == "__main__":
    main()
