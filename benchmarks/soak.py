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
import contextlib
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from clarion.bench.schedule import parse_duration, poisson_arrivals
from clarion.bench.stats import percentile
from clarion.bench.texts import builtin
from clarion.observability.metrics import resident_bytes
from clarion.scheduler.cost import weighted_chars
from serving_overhead import server_process  # same directory: `clarion serve` as a child process

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
