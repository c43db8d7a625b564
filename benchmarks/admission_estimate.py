"""How well admission control prices a long whole reply on a fresh server, and once it has
served one: the figure it refuses by against the time the reply takes.

A fresh server knows only its warm-up sentence. The script asks for the text with a 1 s
timeout, which any long text misses, and reads the figure from the 413's message ("would take
at least N s ... with nothing else queued"); then it sends the text with a long timeout and
times it. Twice: the first reply teaches the cost model sentences of other lengths.

Prints, per round: the figure, the time taken, and their ratio (1.0: exact; above 1: the
server would refuse texts that fit their deadline; below: it admits texts that will not).

Usage: python benchmarks/admission_estimate.py [--engine kokoro] [--sentences 38] [--rounds 2]
"""

from __future__ import annotations

import argparse
import re
import time

import httpx

from harness import SENTENCES, server  # same directory: shared by the benchmarks

VOICES = {"kokoro": "af_heart", "hibari": "heart", "piper": "en_US-joe-medium"}


def long_text(count: int) -> str:
    """``count`` long sentences, two of the harness's joined by "and" in each: a reply of the
    length people send to be read whole."""
    n = len(SENTENCES)
    return " ".join(f"{SENTENCES[i % n][:-1]}, and {SENTENCES[(i + 7) % n].lower()}" for i in range(count))


def figure(client: httpx.Client, body: dict[str, object]) -> float:
    r = client.post("/v1/audio/speech", json={**body, "timeout": 1})
    match = re.search(r"would take at least (\d+(?:\.\d+)?) s", r.text)
    if r.status_code != 413 or match is None:
        raise SystemExit(f"expected a 413 with the figure, got {r.status_code}: {r.text[:300]}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="kokoro", choices=sorted(VOICES))
    parser.add_argument("--sentences", type=int, default=38)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    text = long_text(args.sentences)
    body = {"model": args.engine, "voice": VOICES[args.engine], "input": text, "response_format": "pcm"}
    print(f"{args.engine}: {len(text)} characters in {args.sentences} sentences, whole reply")
    print(f"{'round':<8}{'figure (s)':>12}{'taken (s)':>12}{'figure / taken':>16}")
    with server(args.engine) as url, httpx.Client(base_url=url, timeout=900) as client:
        for n in range(args.rounds):
            estimate = figure(client, body)
            t0 = time.perf_counter()
            r = client.post("/v1/audio/speech", json={**body, "timeout": 600, "cache": False})
            taken = time.perf_counter() - t0
            r.raise_for_status()
            label = "fresh" if n == 0 else f"after {n}"
            print(f"{label:<8}{estimate:>12.0f}{taken:>12.1f}{estimate / taken:>16.2f}")


if __name__ == "__main__":
    main()
