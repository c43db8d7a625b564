"""Cold start: process start to ready, and what the server says each part cost.

Starts `clarion serve` with the engines asked for (default hibari and Kokoro) --runs times,
polling /health/ready every 10 ms from the moment the process is spawned, and prints per run
the wall time to ready and the server's own ready log line (the time since its process
started, and per engine: load, warm-up, calibration); then how long a sentence sent the moment
the server is ready takes against the same once start-up's background work is done.
``--against SRC`` (another checkout's src folder, e.g. `git archive <commit> src | tar -x -C
/tmp/old`) runs that code the same way, alternating with this one, and prints the ratio of the
medians. The target (issue 29): at
most 3 s with hibari and Kokoro.

Usage: python benchmarks/cold_start.py [--engines hibari,kokoro] [--runs 5] [--against SRC]
(Kokoro needs its files: `clarion models pull kokoro`, or CLARION_MODELS_DIR pointing at them.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import httpx

from harness import free_port  # same directory

# Sent the moment the server is ready, then twice more: what a first user meets, against the
# same request once the server has settled (background loading done).
PROBE = "The quick brown fox jumps over the lazy dog near the river bank."
PROBE_VOICES = {"kokoro": "af_heart", "hibari": "heart", "piper": "joe"}


def speak(port: int, model: str, suffix: str) -> float:
    body = {
        "model": model,
        "voice": PROBE_VOICES.get(model, "default"),
        "input": PROBE + suffix,
        "response_format": "pcm",
        "cache": False,
    }
    t0 = time.monotonic()
    r = httpx.post(f"http://127.0.0.1:{port}/v1/audio/speech", json=body, timeout=120)
    r.raise_for_status()
    return time.monotonic() - t0


def once(engines: list[str], src: str | None) -> tuple[float, str, tuple[float, float] | None]:
    port = free_port()
    cmd = [sys.executable, "-m", "clarion.cli", "serve", "--port", str(port), "--log-level", "info"]
    cmd += [arg for e in engines for arg in ("-e", e)]
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() - start > 300:
                raise RuntimeError("server did not become ready")
            time.sleep(0.01)
        elapsed = time.monotonic() - start
        model = engines[-1]
        at_ready = speak(port, model, "") if model in PROBE_VOICES else None
        if at_ready is not None:
            time.sleep(3)  # let start-up's background work finish
            settled = min(speak(port, model, f" Take {i}.") for i in range(2))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    said = ""
    for line in err.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if str(record.get("message", "")).startswith("ready"):
            said = record["message"]
    return elapsed, said, (at_ready, settled) if at_ready is not None else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="hibari,kokoro")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--against", help="another checkout's src folder, run alternately with this one")
    args = ap.parse_args()
    engines = args.engines.split(",")
    sides: dict[str, str | None] = {"this": None}
    if args.against:
        sides["against"] = args.against
    times: dict[str, list[float]] = {side: [] for side in sides}
    answered: dict[str, list[float]] = {side: [] for side in sides}
    once(engines, None)  # the first start after a while reads files from disk: not a cold start of ours
    for run in range(args.runs):
        for side in list(sides) if run % 2 == 0 else list(sides)[::-1]:
            elapsed, said, first = once(engines, sides[side])
            times[side].append(elapsed)
            print(f"{side:8} run {run + 1}: ready after {elapsed:.2f} s   {said}")
            if first is not None:
                answered[side].append(elapsed + first[0])
                print(
                    f"{'':8}        a {engines[-1]} sentence sent at ready: {first[0]:.2f} s "
                    f"(settled: {first[1]:.2f} s), answered {elapsed + first[0]:.2f} s after start"
                )
    print(f"\nprocess start to ready, {', '.join(engines)}, median of {args.runs}:")
    for side, values in times.items():
        print(f"  {side:8} {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")
    if args.against:
        ratio = statistics.median(times["this"]) / statistics.median(times["against"])
        print(f"  this / against: {ratio:.2f}x")
    if all(answered.values()):
        print(f"process start to the answer of a {engines[-1]} sentence sent at ready, median:")
        for side, values in answered.items():
            print(f"  {side:8} {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
