"""What cross-request batching buys one engine here: the same closed-loop load against
`clarion serve -e ENGINE` twice, with batching off (CLARION_ENGINE_OPTIONS__<ENGINE>__MAX_BATCH_SIZE=1)
and on (MAX_BATCH_SIZE=--batch, default the engine's largest), everything else at the engine's
defaults (workers, threads, and MAX_WAIT_MS unless --wait-ms is given). Prints both bench
tables and the on/off ratios of throughput and latency, and the mean batch size the server
reported (from its /metrics), which shows whether batches really formed.

Only engines whose graph has a batch axis can batch: Piper (and the test engine null).
Hibari and Kokoro run a graph fixed at batch 1, so there is nothing to compare for them.
Expect > 1 only where a batched model call costs less than the same items one by one: on
a GPU, or a CPU with cores to spare per call. On a 2-core CPU with one single-threaded
worker per core, Piper's padding to the longest item in a batch usually makes batching a
loss, which is why its default batch size is 1.

Both servers are pinned to the same cores (taskset). The machine may be shared: compare the
ratios of one run, not absolute figures across runs.

Both servers stay up and are measured in turn (off, on, on, off; --seconds split in halves),
and besides wall-clock throughput each server's CPU seconds per audio second is read from
/proc, which other tenants of the machine disturb far less.

Usage: python benchmarks/batching_gain.py [--engine piper] [--batch 8] [--concurrency 8]
       [--seconds 30] [--texts medium] [--wait-ms 5]
"""

from __future__ import annotations

import argparse
import os

from rich.console import Console

from clarion.bench import report
from clarion.bench.texts import load_texts
from clarion.config import Settings
from clarion.engines.registry import discover
from harness import Server, clarion_server, run_level  # same directory: shared by the benchmarks

console = Console() if Console().is_terminal else Console(width=200)  # a pipe gets whole tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="piper")
    ap.add_argument("--voice", default=None, help="Default: the engine's own default voice.")
    ap.add_argument("--batch", type=int, default=None, help="Batch size when on; default: engine's max.")
    ap.add_argument("--wait-ms", type=float, default=None, help="Batch fill wait when on.")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--texts", default="medium")
    ap.add_argument("--cores", default=None, help="CPU list for taskset; default: all usable cores.")
    args = ap.parse_args()

    entry = discover(Settings()).get(args.engine)
    if entry is None or entry.cls is None or entry.problem:
        raise SystemExit(
            f"engine {args.engine!r} is not usable here: {entry.problem if entry else 'unknown'}"
        )
    caps = entry.cls.capabilities
    if caps.max_batch_size < 2 or not caps.batch_axis:
        raise SystemExit(
            f"{args.engine} cannot batch (graph fixed at batch {caps.max_batch_size}, no batch axis): "
            "nothing to compare"
        )
    batch = args.batch or caps.max_batch_size
    voice = args.voice or entry.cls(Settings()).default_voice("en")  # type: ignore[call-arg]
    cores = args.cores or ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    texts = load_texts(args.texts, "en")
    prefix = f"CLARION_ENGINE_OPTIONS__{args.engine.upper()}__"
    console.print(
        f"engine {args.engine}, voice {voice}, cores {cores}, closed loop at concurrency "
        f"{args.concurrency}, {args.seconds:g} s each (two halves), texts {args.texts}; "
        f"batching on = batch {batch}" + (f", wait {args.wait_ms:g} ms" if args.wait_ms is not None else "")
    )
    off_env = {f"{prefix}MAX_BATCH_SIZE": "1"}
    on_env = {f"{prefix}MAX_BATCH_SIZE": str(batch)}
    if args.wait_ms is not None:
        on_env[f"{prefix}MAX_WAIT_MS"] = str(args.wait_ms)
    for name, env in (("off", off_env), ("on", on_env)):
        console.print(f"batching {name}: {' '.join(f'{k}={v}' for k, v in env.items())}")
    half = args.seconds / 2
    with (
        clarion_server(args.engine, cores, off_env, voice) as off,
        clarion_server(args.engine, cores, on_env, voice) as on,
    ):
        off.name, on.name = "batching off", "batching on"
        # off, on, on, off: a drift in the machine's other load hits both alike.
        for server in (off, on, on, off):
            run_level(server, texts, args.concurrency, half)
    for server in (off, on):
        console.print(report.table(server.report(), title=server.name))

    def total(server: Server, key: str) -> float:
        return float(sum(lv[key] for lv in server.levels))

    def describe(server: Server) -> str:
        audio = total(server, "audio_s")
        rate = audio / total(server, "duration_s")
        cpu = total(server, "server_cpu_s") / audio if audio else float("nan")
        p50 = "/".join(f"{lv['latency_s']['p50']:.2f}" for lv in server.levels)
        p99 = "/".join(f"{lv['latency_s']['p99']:.2f}" for lv in server.levels)
        return f"{rate:.2f} audio s/s, {cpu:.3f} CPU s per audio s, latency p50 {p50} s, p99 {p99} s"

    console.print(f"batching off: {describe(off)}")
    console.print(f"batching on:  {describe(on)}")
    gain = (total(on, "audio_s") / total(on, "duration_s")) / (
        total(off, "audio_s") / total(off, "duration_s")
    )
    cpu_off = total(off, "server_cpu_s") / total(off, "audio_s")
    cpu_on = total(on, "server_cpu_s") / total(on, "audio_s")
    loads = [x for server in (off, on) for lv in server.levels for x in lv["loadavg_1m"]]
    console.print(
        f"throughput ratio on/off: {gain:.2f}x; CPU per audio second ratio off/on: {cpu_off / cpu_on:.2f}x "
        f"(> 1: batching saves CPU); machine load average {min(loads):.1f}-{max(loads):.1f}"
    )


if __name__ == "__main__":
    main()
