"""Token streaming through the HTTP API: a streamed response carries each segment's audio
in the pieces the engine generates (not one chunk per segment), in order, in thread and
process isolation alike; a whole response is the same audio."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from clarion.config import Settings
from tests.server import RunningServer, serve
from tests.streaming_engine import TokenEngine, expected, pieces_for

SENTENCES = ["A sentence of some length.", "Short one."]
TEXT = " ".join(SENTENCES)


@pytest.fixture(scope="module", params=["thread", "process"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    settings = Settings(engines=["tokens"], default_engine="tokens", isolation=request.param)
    with serve(settings, {"tokens": TokenEngine(settings)}) as running:
        yield running


def body(**extra: object) -> dict[str, object]:
    return {"model": "tokens", "voice": "null", "input": TEXT, "response_format": "pcm"} | extra


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def test_sse_carries_each_generated_piece_in_order(server: RunningServer) -> None:
    events = []
    with httpx.stream(
        "POST", f"{server.url}/v1/audio/speech", json=body(stream=True, stream_format="sse"), timeout=60
    ) as r:
        assert r.status_code == 200
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    deltas = [pcm(base64.b64decode(e["audio"])) for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) == sum(pieces_for(s) for s in SENTENCES)  # 4 + 2, not 2
    firsts = [round(float(d[0]), 2) for d in deltas]
    assert firsts == [0.01, 0.02, 0.03, 0.04, 0.01, 0.02]
    want = np.concatenate([expected(s) for s in SENTENCES])
    np.testing.assert_allclose(np.concatenate(deltas), want, atol=1e-4)
    assert events[-1]["type"] == "speech.audio.done"


def test_whole_and_chunked_responses_are_the_same_audio(server: RunningServer) -> None:
    whole = httpx.post(f"{server.url}/v1/audio/speech", json=body(), timeout=60)
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=body(stream=True), timeout=60) as r:
        streamed = b"".join(r.iter_bytes())
    assert whole.status_code == 200
    assert streamed == whole.content
    want = np.concatenate([expected(s) for s in SENTENCES])
    np.testing.assert_allclose(pcm(whole.content), want, atol=1e-4)
