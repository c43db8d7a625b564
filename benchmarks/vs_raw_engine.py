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
with clarion bench's closed loop (whole WAV replies) in two configurations in the same run:
``clarion`` (its defaults) and ``clarion 1t`` (CLARION_ENGINE_OPTIONS__KOKORO__THREADS=1: the
configuration before issue 29, one single-threaded worker per core). Every request is one
English sentence with the same voice (af_heart), so sentence splitting gives Clarion no
parallelism the raw caller lacks.

Configurations alternate within each concurrency level (the order turns each level), so drifts
in the machine's other load hit all alike. Printed per level: requests/s, p50 and p99 latency,
and the 1-minute load average; then the ratios

- Clarion p50 at concurrency 1 / raw all-threads p50 at concurrency 1 (target <= 1.05),
- Clarion throughput at concurrency 8 / the best raw throughput at concurrency 8 (target >= 0.95).

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
from harness import TEXTS, Server, clarion_server, run_level  # same directory

VOICE = "af_heart"
# One sentence per request: the harness's texts cut at their full stops.
SENTENCES = [s.strip() + "." for text in TEXTS for s in text.split(".") if s.strip()]


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
    lock = threading.Lock()
    start = time.perf_counter()
    end = start + seconds

    def caller(k: int) -> None:
        i = k
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            kokoro.create(SENTENCES[i % len(SENTENCES)], voice=style, lang="en-us")
            with lock:
                latencies.append(time.perf_counter() - t0)
            i += concurrency

    load = os.getloadavg()[0]
    threads = [threading.Thread(target=caller, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
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
    configs = {"clarion": {}, "clarion 1t": {"CLARION_ENGINE_OPTIONS__KOKORO__THREADS": "1"}}
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
                print(
                    f"c={n:<2} {name:<15} {got['rps']:6.2f} req/s  p50 {1000 * got['p50']:6.0f} ms  "
                    f"p99 {1000 * got['p99']:6.0f} ms  load {got['load'][0]:.2f}->{got['load'][1]:.2f}",
                    flush=True,
                )

    print(f"\ncores {cores}; ratios (targets: p50 c=1 <= 1.05, throughput c=8 >= 0.95)")
    for name in ("clarion", "clarion 1t"):
        for n in levels:
            best = max(results[r][n]["rps"] for r in raws)
            p50 = results[name][n]["p50"] / results["raw all"][n]["p50"]
            rps = results[name][n]["rps"] / best
            print(f"{name:<11} c={n:<2} p50 / raw-all p50 {p50:5.2f}   req/s / best raw req/s {rps:5.2f}")
    if args.json:
        out = {
            k: {str(n): {f: v for f, v in r.items() if f != "level"} for n, r in d.items()}
            for k, d in results.items()
        }
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
