"""What does serving cost? Prints, in one run:

1. raw engine throughput (audio seconds per wall second, engine called directly with
   the same workers and threads the server uses) against the server's throughput over
   HTTP at concurrency 1, 4 and 16, and the ratio server/raw (target >= 0.95 at saturation);
2. streaming time to first audio for a 5-sentence text against the time to synthesise
   its first sentence alone (target <= 1.2x);
3. the pure serving overhead per request with the zero-cost "null" engine (target p50 < 2 ms).

Usage: python benchmarks/serving_overhead.py [--engine hibari] [--seconds 15] [--against SRC]
The server runs as a separate process on 127.0.0.1, as in production. ``--against SRC`` (the
``src`` folder of another checkout, e.g. a git worktree of an earlier commit) also serves from
that code, alternating with this one, and prints this/that for the null-engine overhead and the
throughput at the highest level: a refactoring must not slow serving down.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from clarion.config import Settings
from clarion.engines.base import Segment
from clarion.engines.registry import create_engine
from clarion.text.lang import detect_language
from clarion.text.normalize import normalize
from clarion.text.split import split_sentences
from harness import TEXTS, Window, http_throughput, server  # same directory: shared by the benchmarks

FIVE = (
    "Welcome to the morning briefing. Markets opened higher today. "
    "Technology shares led the gains. Oil prices were flat. More details follow after the break."
)


def segments_of(text: str, voice: str) -> list[Segment]:
    return [
        Segment(s.strip(), voice, detect_language(s)) for s in split_sentences(normalize(text)) if s.strip()
    ]


def raw_throughput(engine_name: str, seconds: float) -> tuple[float, int]:
    """Audio seconds per wall second with the engine called directly, server's scheduling."""
    settings = Settings()
    engine = create_engine(engine_name, settings)
    defaults = type(engine).scheduling_defaults(os.cpu_count() or 1)
    engine.load("cpu", defaults.threads)
    voice = engine.default_voice()
    work = [seg for t in TEXTS for seg in segments_of(t, voice)]
    engine.synthesize(work[:1])
    window = Window(seconds)

    def worker(offset: int) -> float:
        done = 0.0
        i = offset
        while not window.over():
            out = engine.synthesize([work[i % len(work)]])
            done += window.count(len(out[0]) / engine.sample_rate)
            i += 1
        return done

    with ThreadPoolExecutor(defaults.workers) as pool:
        audio = sum(pool.map(worker, range(defaults.workers)))
    return audio / window.length, defaults.workers


def ttfa(url: str, model: str, voice: str, repeats: int) -> tuple[float, float]:
    """Median time to first audio byte of a streamed 5-sentence text, and median time to
    synthesise its first sentence alone (whole response)."""
    first_sentence = split_sentences(FIVE)[0].strip()
    streamed, single = [], []
    with httpx.Client(base_url=url, timeout=120) as c:
        for _ in range(repeats):
            body = {"model": model, "voice": voice, "input": FIVE, "response_format": "pcm", "stream": True}
            t0 = time.perf_counter()
            with c.stream("POST", "/v1/audio/speech", json=body) as r:
                chunks = r.iter_raw()
                next(chunks)
                streamed.append(time.perf_counter() - t0)
                for _ in chunks:
                    pass
            body = {"model": model, "voice": voice, "input": first_sentence, "response_format": "pcm"}
            t0 = time.perf_counter()
            c.post("/v1/audio/speech", json=body).raise_for_status()
            single.append(time.perf_counter() - t0)
    return statistics.median(streamed), statistics.median(single)


def null_overhead(requests: int, extra_env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    """Sequential request latencies with the zero-cost engine, and those of /health/live as
    the floor (HTTP round trip with no work). http.client keeps the client's own cost small."""

    def timed(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None) -> float:
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        return time.perf_counter() - t0

    body = json.dumps({"model": "null", "voice": "null", "input": "Hi.", "response_format": "pcm"}).encode()
    with server("null", extra_env) as url:
        conn = http.client.HTTPConnection(url.removeprefix("http://"))
        for _ in range(50):
            timed(conn, "POST", "/v1/audio/speech", body)
        speech = sorted(timed(conn, "POST", "/v1/audio/speech", body) for _ in range(requests))
        floor = sorted(timed(conn, "GET", "/health/live", None) for _ in range(requests))
        conn.close()
    return speech, floor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="hibari")
    ap.add_argument("--seconds", type=float, default=15.0, help="Duration of each throughput run.")
    ap.add_argument("--levels", default="1,4,16")
    ap.add_argument("--against", help="Another checkout's src folder to compare with, in the same run.")
    args = ap.parse_args()
    if args.against:
        compare(args.engine, args.against, args.seconds, max(int(x) for x in args.levels.split(",")))
        return

    raw, workers = raw_throughput(args.engine, args.seconds)
    print(f"engine {args.engine}: raw throughput {raw:.2f} audio s/s ({workers} workers, called directly)")
    engine = create_engine(args.engine, Settings())
    voice = engine.default_voice()
    with server(args.engine) as url:
        print(
            f"{'concurrency':>11} {'audio s/s':>10} {'ratio':>6} {'req':>5} {'err':>4} "
            f"{'p50 s':>7} {'p99 s':>7}"
        )
        best = 0.0
        for level in (int(x) for x in args.levels.split(",")):
            r = asyncio.run(http_throughput(url, args.engine, voice, level, args.seconds))
            best = max(best, r["throughput"])
            print(
                f"{level:>11} {r['throughput']:>10.2f} {r['throughput'] / raw:>6.3f} {r['requests']:>5.0f} "
                f"{r['errors']:>4.0f} {r['p50']:>7.3f} {r['p99']:>7.3f}"
            )
        print(f"server/raw at saturation: {best / raw:.3f} (target >= 0.95)")
        streamed, single = ttfa(url, args.engine, voice, 15)
        print(
            f"streaming TTFA, 5 sentences: {streamed * 1000:.1f} ms; "
            f"first sentence alone: {single * 1000:.1f} ms; "
            f"ratio {streamed / single:.2f} (target <= 1.2)"
        )
    lat, floor = null_overhead(1000)
    print(
        f"null engine, 1000 sequential requests: p50 {lat[len(lat) // 2] * 1000:.2f} ms, "
        f"p99 {lat[int(len(lat) * 0.99)] * 1000:.2f} ms (target p50 < 2 ms); "
        f"/health/live round trip p50 {floor[len(floor) // 2] * 1000:.2f} ms"
    )


def compare(engine_name: str, other_src: str, seconds: float, level: int, rounds: int = 3) -> None:
    """This code against ``other_src``, alternating so that drift in the machine hits both."""
    voice = create_engine(engine_name, Settings()).default_voice()
    trees = {"this": None, "that": {"PYTHONPATH": other_src}}
    p50: dict[str, list[float]] = {name: [] for name in trees}
    rate: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, env in trees.items():
            lat, _ = null_overhead(500, env)
            p50[name].append(lat[len(lat) // 2])
            with server(engine_name, env) as url:
                r = asyncio.run(http_throughput(url, engine_name, voice, level, seconds))
            rate[name].append(r["throughput"])
    for name in trees:
        print(
            f"{name} ({other_src if name == 'that' else 'this checkout'}): null p50 "
            f"{statistics.median(p50[name]) * 1000:.2f} ms, {engine_name} at concurrency {level} "
            f"{statistics.median(rate[name]):.2f} audio s/s (medians of {rounds})"
        )
    overhead = statistics.median(p50["this"]) / statistics.median(p50["that"])
    throughput = statistics.median(rate["this"]) / statistics.median(rate["that"])
    print(f"this/that: null p50 {overhead:.3f} (lower is faster), throughput {throughput:.3f}")


if __name__ == "__main__":
    main()
