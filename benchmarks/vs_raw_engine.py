"""Clarion's Kokoro against kokoro_onnx called directly in-process: what the serving stack costs.

The raw side builds ``kokoro_onnx.Kokoro`` from the model files Clarion serves
(CLARION_MODELS_DIR/kokoro: the int8 graph and voices-v1.0.npz) and calls ``create`` from N
Python threads at once, closed loop, sharing one session (kokoro_onnx's own way; Run is
thread-safe), in three configurations of that session:

- ``raw 1t``: one intra-op thread;
- ``raw all``: every core, ONNX Runtime's default thread spinning (kokoro_onnx's own default,
  as speaches runs it);
- ``raw all nospin``: every core, spinning off.

The Clarion side is ``clarion serve -e kokoro`` on loopback, pinned to the same cores, measured
with clarion bench's closed loop (whole WAV replies) in three configurations in the same run:
``clarion`` (its defaults: every core for a lone run, a single-threaded session for runs that
overlap), ``clarion wide`` (CLARION_ONNX__NARROW_SESSION=false: the all-core session only) and
``clarion 1t`` (CLARION_ENGINE_OPTIONS__KOKORO__THREADS=1: the configuration before issue 29,
one single-threaded worker per core). Every request is one English sentence with the same
voice (af_heart), so sentence splitting gives Clarion no parallelism the raw caller lacks.

Then, at concurrency 1, a 6-sentence text: Clarion (whole WAV, its sentences in parallel)
against one sequential loop of the raw all-core session over the same sentences.

CPU seconds per audio second: the raw side's from this process's CPU time, Clarion's from
/proc (the server process tree).

Configurations alternate within each concurrency level (the order turns each level), so drifts
in the machine's other load hit all alike. Printed per level: requests/s, p50 and p99 latency,
and the 1-minute load average; then the ratios

- Clarion p50 at concurrency 1 / raw all-threads p50 at concurrency 1 (target <= 1.05),
- Clarion throughput at concurrency 8 / the best raw throughput at concurrency 8 (target >= 0.95),
- Clarion p99 at concurrency 8 / ``clarion 1t``'s (the layout before; target <= 1.0),
- the 6-sentence text: Clarion / the sequential all-core loop (target <= 0.6), and the floor
  no schedule can beat: the one-thread loop's time shared evenly over the cores, over the same,
- CPU seconds per audio second, Clarion / ``clarion 1t`` (target <= 1.0).

Usage: python benchmarks/vs_raw_engine.py [--seconds 4] [--levels 1,4,8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from clarion.config import Settings
from clarion.models import KOKORO_MODEL_FILE, KOKORO_VOICES_FILE, kokoro_dir
from harness import SENTENCES, Server, clarion_server, run_level  # same directory

VOICE = "af_heart"


def raw_kokoro(threads: int, spinning: bool) -> Any:
    import onnxruntime as ort
    from kokoro_onnx import Kokoro

    folder = kokoro_dir(Settings())
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    sess = ort.InferenceSession(str(folder / KOKORO_MODEL_FILE), so, providers=["CPUExecutionProvider"])
    return Kokoro.from_session(sess, str(folder / KOKORO_VOICES_FILE))


def run_raw(kokoro: Any, style: Any, concurrency: int, seconds: float) -> dict[str, Any]:
    """Closed loop as clarion bench runs it: ``concurrency`` threads call create() back to back,
    starting calls for ``seconds``; every call counts, over the time until the last ends."""
    latencies: list[float] = []
    audio: list[float] = []  # seconds of each reply
    lock = threading.Lock()
    start = time.perf_counter()
    end = start + seconds

    def caller(k: int) -> None:
        i = k
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            samples, rate = kokoro.create(SENTENCES[i % len(SENTENCES)], voice=style, lang="en-us")
            with lock:
                latencies.append(time.perf_counter() - t0)
                audio.append(len(samples) / rate)
            i += concurrency

    load = os.getloadavg()[0]
    cpu = time.process_time()
    threads = [threading.Thread(target=caller, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "cpu_per_audio": (time.process_time() - cpu) / sum(audio) if audio else None,
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": sorted(latencies)[int(0.99 * (len(latencies) - 1))],
        "load": [load, os.getloadavg()[0]],
    }


def run_clarion(server: Server, concurrency: int, seconds: float) -> dict[str, Any]:
    run_level(server, SENTENCES, concurrency, seconds)
    level = server.levels[-1]
    lat = level["latency_s"]
    return {
        "cpu_per_audio": level.get("cpu_s_per_audio_s"),
        "rps": level["requests_per_s"],
        "p50": lat.get("p50"),
        "p99": lat.get("p99"),
        "load": level["loadavg_1m"],
        "level": level,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=4.0, help="per configuration and level")
    ap.add_argument("--levels", default="1,4,8")
    ap.add_argument("--paragraph-runs", type=int, default=5, help="runs of the 6-sentence text")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    cores = os.cpu_count() or 1
    mask = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))

    import numpy as np

    with np.load(kokoro_dir(Settings()) / KOKORO_VOICES_FILE) as npz:
        style = np.asarray(npz[VOICE], np.float32)
    raws = {
        "raw 1t": raw_kokoro(1, spinning=True),
        "raw all": raw_kokoro(cores, spinning=True),
        "raw all nospin": raw_kokoro(cores, spinning=False),
    }
    for kokoro in raws.values():  # first runs allocate and pick kernels
        kokoro.create(SENTENCES[0], voice=style, lang="en-us")

    env = {"CLARION_CACHE_MEMORY_MB": "0", "CLARION_WORKER_NICE": "0"}
    configs = {
        "clarion": {},
        "clarion wide": {"CLARION_ONNX__NARROW_SESSION": "false"},
        "clarion 1t": {"CLARION_ENGINE_OPTIONS__KOKORO__THREADS": "1"},
    }
    results: dict[str, dict[int, dict[str, Any]]] = {}
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for name, extra in configs.items():
            data = stack.enter_context(tempfile.TemporaryDirectory())  # each server its own
            env_one = {**env, **extra, "CLARION_DATA_DIR": data}
            servers[name] = stack.enter_context(clarion_server("kokoro", mask, env_one, VOICE))
            models = httpx.get(f"{servers[name].target.url}/v1/models").json()["data"]
            print(f"{name}: {models[0]['engine']['scheduling']['thread_policy']}", flush=True)
        names = [*raws, *servers]
        for turn, n in enumerate(levels):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for name in order:
                if name in raws:
                    got = run_raw(raws[name], style, n, args.seconds)
                else:
                    got = run_clarion(servers[name], n, args.seconds)
                results.setdefault(name, {})[n] = got
                cpu = got["cpu_per_audio"]
                print(
                    f"c={n:<2} {name:<15} {got['rps']:6.2f} req/s  p50 {1000 * got['p50']:6.0f} ms  "
                    f"p99 {1000 * got['p99']:6.0f} ms  cpu/audio {cpu if cpu is None else round(cpu, 3)}  "
                    f"load {got['load'][0]:.2f}->{got['load'][1]:.2f}",
                    flush=True,
                )
        # The 6-sentence text, alone: Clarion's sentences in parallel against one raw loop.
        paragraph = " ".join(SENTENCES[:6])
        loops = {"raw all loop": "raw all", "raw 1t loop": "raw 1t"}
        texts: dict[str, list[float]] = {name: [] for name in [*loops, *servers]}
        for _ in range(args.paragraph_runs):
            for loop, raw in loops.items():
                t0 = time.perf_counter()
                for sentence in SENTENCES[:6]:
                    raws[raw].create(sentence, voice=style, lang="en-us")
                texts[loop].append(time.perf_counter() - t0)
            for name, srv in servers.items():
                body = {"model": "kokoro", "voice": VOICE, "input": paragraph, "response_format": "wav"}
                t0 = time.perf_counter()
                httpx.post(f"{srv.target.url}/v1/audio/speech", json=body, timeout=300).raise_for_status()
                texts[name].append(time.perf_counter() - t0)
        paragraph_s = {name: statistics.median(values) for name, values in texts.items()}
        for name, seconds in paragraph_s.items():
            print(f"6 sentences, c=1, {name:<15} {1000 * seconds:6.0f} ms (median of {args.paragraph_runs})")

    print(f"\ncores {cores}; ratios (targets: p50 c=1 <= 1.05, throughput c=8 >= 0.95)")
    for name in servers:
        for n in levels:
            best = max(results[r][n]["rps"] for r in raws)
            p50 = results[name][n]["p50"] / results["raw all"][n]["p50"]
            rps = results[name][n]["rps"] / best
            p99 = results[name][n]["p99"] / results["clarion 1t"][n]["p99"]
            cpu_now, cpu_before = results[name][n]["cpu_per_audio"], results["clarion 1t"][n]["cpu_per_audio"]
            cpu = f"{cpu_now / cpu_before:5.2f}" if cpu_now and cpu_before else "    -"
            print(
                f"{name:<12} c={n:<2} p50 / raw-all p50 {p50:5.2f}   req/s / best raw req/s {rps:5.2f}   "
                f"p99 / 1t p99 {p99:5.2f}   cpu per audio s / 1t {cpu}"
            )
    for name in servers:
        share = paragraph_s[name] / paragraph_s["raw all loop"]
        print(f"{name:<12} 6 sentences at c=1 / sequential raw all-core loop {share:5.2f} (target <= 0.6)")
    # No schedule of these sentences over the cores beats each on one thread, the cores kept
    # evenly busy: a run on k threads is less than k times faster, so it costs more core time.
    floor = paragraph_s["raw 1t loop"] / len(os.sched_getaffinity(0)) / paragraph_s["raw all loop"]
    print(f"{'floor':<12} 6 sentences, the one-thread loop shared by the cores / the same {floor:5.2f}")
    if args.json:
        out = {
            k: {str(n): {f: v for f, v in r.items() if f != "level"} for n, r in d.items()}
            for k, d in results.items()
        }
        out["paragraph_s"] = paragraph_s
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
