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
  took to arrive); ws_from_clause: the same, from the token that ended the first clause.

What the first-clause cut costs: stream_total (the streamed reply, cut, to its last byte)
against http_whole (the same text whole, not cut), and, for English voices with the
quality extra installed, the word error rate of Whisper tiny.en on both replies
(wer_stream, wer_whole).

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
import numpy as np
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


def http_stream(url: str, engine: str, text: str) -> tuple[float, float, bytes]:
    """(time to the first audio bytes, time to the last, the PCM)."""
    body = {
        "model": engine,
        "voice": VOICES[engine],
        "input": text,
        "response_format": "pcm",
        "stream": True,
        "cache": False,
    }
    start = time.perf_counter()
    pcm = bytearray()
    with httpx.stream("POST", f"{url}/v1/audio/speech", json=body, timeout=300) as resp:
        resp.raise_for_status()
        first: float | None = None
        for data in resp.iter_bytes():
            if data and first is None:
                first = time.perf_counter() - start
            pcm += data
    assert first is not None
    return first, time.perf_counter() - start, bytes(pcm)


def whole_pcm(url: str, engine: str, text: str) -> bytes:
    body = {"model": engine, "voice": VOICES[engine], "input": text, "response_format": "pcm", "cache": False}
    resp = httpx.post(f"{url}/v1/audio/speech", json=body, timeout=300)
    resp.raise_for_status()
    return resp.content


def word_error(pcm: bytes, rate: int) -> float | None:
    """Whisper tiny.en's word error rate on ``pcm`` against TEXT; None without the quality extra."""
    try:
        from clarion.optimize.asr import transcribe, wer
    except ImportError:
        return None
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    try:
        return float(wer(TEXT, transcribe(audio, rate)))
    except ImportError:
        return None


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
    streams = [http_stream(url, engine, TEXT) for _ in range(runs)]
    out: dict[str, Any] = {
        "http_whole": median(runs, lambda: http_whole(url, engine, TEXT)),
        "first_sentence": median(runs, lambda: http_whole(url, engine, FIRST_SENTENCE)),
        "http_stream": statistics.median(s[0] for s in streams),
        "stream_total": statistics.median(s[1] for s in streams),
        "ws_text": median(runs, lambda: asyncio.run(ws_session(url, engine, [TEXT], None))[0]),
    }
    timed = [asyncio.run(ws_session(url, engine, tokens, rate)) for _ in range(runs)]
    out["ws_tokens"] = statistics.median(t[0] for t in timed)
    # The token that ends the first clause ("calling,") left this long after the first one.
    clause_end = next(i for i, t in enumerate(tokens) if t.rstrip().endswith((",", ".")))
    out["ws_from_clause"] = out["ws_tokens"] - clause_end / rate
    out["tokens_sent_in"] = statistics.median(t[1] for t in timed)
    sample_rate = httpx.get(f"{url}/v1/models").json()
    rate_hz = next(m["engine"]["sample_rate"] for m in sample_rate["data"] if m["id"] == engine)
    out["wer_stream"] = word_error(streams[0][2], rate_hz)
    out["wer_whole"] = word_error(whole_pcm(url, engine, TEXT), rate_hz)
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
    cols = ["http_whole", "first_sentence", "http_stream", "stream_total", "ws_text", "ws_tokens"]
    cols += ["ws_from_clause", "tokens_sent_in"]
    print(f"median of {args.runs} runs, seconds; ws_tokens at {args.token_rate:g} tokens/s")
    print(f"{'engine':8} " + " ".join(f"{c:>15}" for c in cols))
    for engine, r in results.items():
        print(f"{engine:8} " + " ".join(f"{r[c]:15.3f}" for c in cols))
    print("\nratios (target: http_stream <= 0.5x first_sentence) and the cut's cost")
    for engine, r in results.items():
        wer = (
            f"WER stream {r['wer_stream']:.3f} / whole {r['wer_whole']:.3f}"
            if r["wer_stream"] is not None and r["wer_whole"] is not None
            else "WER: needs the quality extra"
        )
        print(
            f"{engine:8} first audio / first sentence {r['http_stream'] / r['first_sentence']:.2f}x   "
            f"stream total / whole {r['stream_total'] / r['http_whole']:.2f}x   {wer}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
