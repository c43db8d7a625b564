"""Time to first audio for a voice agent: HTTP against WS /v1/audio/speech/stream.

Starts `clarion serve` on loopback with the engines asked for, then for each engine measures
(median of --runs, the audio cache off):

- http_whole: POST /v1/audio/speech for a 6-sentence text, whole file: time to the full reply;
- first_sentence: the same for its first sentence alone: what the first audio of a stream
  cost when a stream's first segment was a whole sentence;
- http_stream: the 6-sentence text streamed (PCM): time to the first audio bytes (the
  first segment is now the first clause);
- ws_text: the text in one WebSocket message, then close: time to the first audio frame;
- ws_tokens: the text as an LLM writes it, a word a token at --token-rate tokens/s: time
  from the first token to the first audio frame (and, for reference, the time the text
  took to arrive).

Usage: python benchmarks/first_audio.py [--engines hibari,kokoro] [--runs 5] [--token-rate 30]
(Kokoro needs its files: `clarion pull kokoro`, or CLARION_MODELS_DIR pointing at them.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import connect

TEXT = (
    "Thanks for calling, I can help you with that booking today. Your flight leaves at nine in the "
    "morning. Please arrive at the airport two hours early. Bring your passport and your ticket. "
    "Seats are assigned at the gate. Have a pleasant trip."
)
FIRST_SENTENCE = "Thanks for calling, I can help you with that booking today."
VOICES = {"hibari": "heart", "kokoro": "af_heart", "piper": "joe"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_whole(url: str, engine: str, text: str) -> float:
    body = {"model": engine, "voice": VOICES[engine], "input": text, "response_format": "pcm", "cache": False}
    start = time.perf_counter()
    httpx.post(f"{url}/v1/audio/speech", json=body, timeout=300).raise_for_status()
    return time.perf_counter() - start


def http_stream(url: str, engine: str, text: str) -> float:
    body = {
        "model": engine,
        "voice": VOICES[engine],
        "input": text,
        "response_format": "pcm",
        "stream": True,
        "cache": False,
    }
    start = time.perf_counter()
    with httpx.stream("POST", f"{url}/v1/audio/speech", json=body, timeout=300) as resp:
        resp.raise_for_status()
        first: float | None = None
        for data in resp.iter_bytes():
            if data and first is None:
                first = time.perf_counter() - start
    assert first is not None
    return first


async def ws_session(url: str, engine: str, tokens: list[str], rate: float | None) -> tuple[float, float]:
    """(time to the first audio frame, time the text took to send), from the first text message."""
    first: float | None = None
    async with connect(url.replace("http://", "ws://") + "/v1/audio/speech/stream", max_size=None) as ws:
        await ws.send(json.dumps({"model": engine, "voice": VOICES[engine], "cache": False}))
        json.loads(await ws.recv())  # ready
        start = time.perf_counter()

        async def read() -> None:
            nonlocal first
            async for message in ws:
                if isinstance(message, bytes) and first is None:
                    first = time.perf_counter() - start

        reader = asyncio.create_task(read())
        for i, token in enumerate(tokens):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            await ws.send(json.dumps({"type": "text", "text": token}))
        sent = time.perf_counter() - start
        await ws.send(json.dumps({"type": "close"}))
        await reader
    assert first is not None
    return first, sent


def median(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def measure(url: str, engine: str, runs: int, rate: float) -> dict[str, Any]:
    words = TEXT.split(" ")
    tokens = [words[0]] + [" " + w for w in words[1:]]
    http_whole(url, engine, FIRST_SENTENCE)  # warm-up
    out: dict[str, Any] = {
        "http_whole": median(runs, lambda: http_whole(url, engine, TEXT)),
        "first_sentence": median(runs, lambda: http_whole(url, engine, FIRST_SENTENCE)),
        "http_stream": median(runs, lambda: http_stream(url, engine, TEXT)),
        "ws_text": median(runs, lambda: asyncio.run(ws_session(url, engine, [TEXT], None))[0]),
    }
    timed = [asyncio.run(ws_session(url, engine, tokens, rate)) for _ in range(runs)]
    out["ws_tokens"] = statistics.median(t[0] for t in timed)
    out["tokens_sent_in"] = statistics.median(t[1] for t in timed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="hibari,kokoro")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--token-rate", type=float, default=30.0)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    engines = args.engines.split(",")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clarion.cli", "serve", "--port", str(port), "--log-level", "warning"]
            + [a for e in engines for a in ("-e", e)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    sys.exit(f"the server did not start: {log.read().decode()[-2000:]}")
                time.sleep(0.2)
            results = {e: measure(url, e, args.runs, args.token_rate) for e in engines}
        finally:
            proc.terminate()
            proc.wait(60)
    cols = ["http_whole", "first_sentence", "http_stream", "ws_text", "ws_tokens", "tokens_sent_in"]
    print(f"median of {args.runs} runs, seconds; ws_tokens at {args.token_rate:g} tokens/s")
    print(f"{'engine':8} " + " ".join(f"{c:>15}" for c in cols))
    for engine, r in results.items():
        print(f"{engine:8} " + " ".join(f"{r[c]:15.3f}" for c in cols))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
