"""What cross-request batching buys one engine here: the same closed-loop load against
`clarion serve -e ENGINE` twice, with batching off (CLARION_ENGINE_OPTIONS__<ENGINE>__MAX_BATCH_SIZE=1)
and on (MAX_BATCH_SIZE=--batch, default the engine's largest), everything else at the engine's
defaults (workers, threads, and MAX_WAIT_MS unless --wait-ms is given). Prints both bench
tables and the on/off ratios of throughput and latency, and the mean batch size the server
reported (from its /metrics), which shows whether batches really formed.

Only engines whose model call has a batch axis can batch: Piper, ChatTTS and Chatterbox (and the
test engine null). Hibari and Kokoro run a graph fixed at batch 1, so there is nothing to
compare for them. Expect > 1 only where a batched model call costs less than the same items one
by one: on a GPU, or where the model is an autoregressive decoder whose steps cost about the same
for one row as for several (ChatTTS's GPT, Chatterbox's T3). On a 2-core CPU with one
single-threaded worker per core, Piper's padding to the longest item in a batch usually makes
batching a loss, which is why its default batch size is 1.

--tiny runs the engine on the tests' tiny random-weight checkpoint (chattts, chatterbox), built
by the tests' own builder as a program (benchmarks never import the tests); Chatterbox's server
then runs through `python -m tests.engines.chatterbox_ckpt serve`, which puts the tests' model
sizes in force, and its random model, which never stops on its own, is capped at
--tiny-tokens speech tokens a sentence. Admission control is off with --tiny (see below).

Both servers are pinned to the same cores (taskset). The machine may be shared: compare the
ratios of one run, not absolute figures across runs.

Both servers stay up and are measured in turn (off, on, on, off; --seconds split in halves),
and besides wall-clock throughput each server's CPU seconds per audio second is read from
/proc, which other tenants of the machine disturb far less.

Usage: python benchmarks/batching_gain.py [--engine piper] [--batch 8] [--concurrency 8]
       [--seconds 30] [--texts medium] [--wait-ms 5] [--tiny [--tiny-tokens 50]]
e.g.   python benchmarks/batching_gain.py --engine chatterbox --tiny --batch 4 --concurrency 4 --seconds 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from clarion.bench import report
from clarion.bench.client import OpenAITarget
from clarion.bench.texts import load_texts
from clarion.config import Settings
from clarion.engines.registry import discover
from harness import (  # same directory: shared by the benchmarks
    Server,
    clarion_server,
    free_port,
    pinned,
    process,
    run_level,
)

console = Console() if Console().is_terminal else Console(width=200)  # a pipe gets whole tables

ROOT = Path(__file__).resolve().parents[1]
# The tests' checkpoint builders, run as programs; Chatterbox's also serves with its sizes in force.
TINY_BUILDERS = {"chattts": "tests.engines.chattts_ckpt", "chatterbox": "tests.engines.chatterbox_ckpt"}
TINY_SERVES = {"chatterbox"}


def tiny_checkpoint(engine: str) -> Path:
    """The tests' tiny checkpoint for ``engine`` (cached by the builder, built once)."""
    if engine not in TINY_BUILDERS:
        raise SystemExit(f"--tiny knows {', '.join(sorted(TINY_BUILDERS))}, not {engine}")
    out = subprocess.run(
        [sys.executable, "-m", TINY_BUILDERS[engine]], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return Path(out.strip().splitlines()[-1])


@contextmanager
def engine_server(
    engine: str, cores: str, env: Mapping[str, str], voice: str | None, tiny: bool
) -> Iterator[Server]:
    """``clarion serve`` for ``engine`` (through the tests' checkpoint module where the tiny
    checkpoint needs the tests' model sizes)."""
    if not (tiny and engine in TINY_SERVES):
        with clarion_server(engine, cores, env, voice) as server:
            yield server
        return
    port = free_port()
    cmd = [sys.executable, "-m", TINY_BUILDERS[engine], "serve", "--port", str(port), "-e", engine]
    cmd += ["--default-engine", engine, "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    with process(pinned(cmd, cores), f"{url}/health/ready", {**env, "PYTHONPATH": path}) as pid:
        yield Server("clarion", OpenAITarget(url, model=engine, voice=voice), pid)


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
    ap.add_argument("--tiny", action="store_true", help="The tests' tiny random-weight checkpoint.")
    ap.add_argument("--tiny-tokens", type=int, default=50, help="Chatterbox's cap per sentence with --tiny.")
    args = ap.parse_args()

    prefix = f"CLARION_ENGINE_OPTIONS__{args.engine.upper()}__"
    if args.tiny:  # before discovery, whose probe looks for the model files
        os.environ[f"{prefix}PATH"] = str(tiny_checkpoint(args.engine))
        if args.engine == "chatterbox":
            os.environ[f"{prefix}MAX_NEW_TOKENS"] = str(args.tiny_tokens)

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
    console.print(
        f"engine {args.engine}, voice {voice}, cores {cores}, closed loop at concurrency "
        f"{args.concurrency}, {args.seconds:g} s each (two halves), texts {args.texts}; "
        f"batching on = batch {batch}" + (f", wait {args.wait_ms:g} ms" if args.wait_ms is not None else "")
    )
    off_env = {f"{prefix}MAX_BATCH_SIZE": "1"}
    on_env = {f"{prefix}MAX_BATCH_SIZE": str(batch)}
    if args.tiny:
        # Admission control learns a cost per character of text, but a random model's sentence
        # costs the same whatever its text (it runs to the cap), and the cold warm-up it starts
        # from refuses (429) much of the first seconds' load: both servers admit everything.
        for env in (off_env, on_env):
            env["CLARION_ADMISSION_CONTROL"] = "false"
    if args.wait_ms is not None:
        on_env[f"{prefix}MAX_WAIT_MS"] = str(args.wait_ms)
    for name, env in (("off", off_env), ("on", on_env)):
        console.print(f"batching {name}: {' '.join(f'{k}={v}' for k, v in env.items())}")
    half = args.seconds / 2
    with (
        engine_server(args.engine, cores, off_env, voice, args.tiny) as off,
        engine_server(args.engine, cores, on_env, voice, args.tiny) as on,
    ):
        off.name, on.name = "batching off", "batching on"
        # off, on, on, off: a drift in the machine's other load hits both alike.
        for server in (off, on, on, off):
            run_level(server, texts, args.concurrency, half)
        batches = {server.name: mean_batch(server, args.engine) for server in (off, on)}
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
    p50_off, p50_on = (statistics.median(lv["latency_s"]["p50"] for lv in s.levels) for s in (off, on))
    console.print(
        f"throughput ratio on/off: {gain:.2f}x; p50 latency ratio on/off: {p50_on / p50_off:.2f}x; "
        f"CPU per audio second ratio off/on: {cpu_off / cpu_on:.2f}x (> 1: batching saves CPU); "
        f"machine load average {min(loads):.1f}-{max(loads):.1f}"
    )
    console.print(
        "mean batch size (server's clarion_batch_size): "
        + ", ".join(f"{name} {size:.2f}" if size else f"{name} -" for name, size in batches.items())
    )


def mean_batch(server: Server, engine: str) -> float | None:
    """Segments per engine call over the server's life, from its /metrics."""
    if not isinstance(server.target, OpenAITarget):
        return None
    text = httpx.get(f"{server.target.url}/metrics", timeout=30).text
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "clarion_batch_size"
        for sample in family.samples
        if sample.labels.get("engine") == engine
    }
    count = values.get("clarion_batch_size_count")
    return values["clarion_batch_size_sum"] / count if count else None


if __name__ == "__main__":
    main()
