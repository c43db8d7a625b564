"""ChatTTS behind the HTTP API, on a real server on loopback, loaded through the package's real
loader from a random-weight checkpoint (tests/engines/chattts_ckpt.py): 24 kHz audio of the
expected length, cross-request batching into one ``infer`` call, streamed sentences in order,
seeds, voices, and the text that reaches the model.

The random model never ends a segment itself: each runs to CAP tokens, HOP * (2 * CAP - 1)
samples."""

from __future__ import annotations

import base64
import concurrent.futures
import importlib.util
import json
import re
import threading
from collections.abc import Iterator

import httpx
import numpy as np
import openai
import pytest

from clarion.audio.decode import decode
from clarion.config import EngineOptions, Settings
from clarion.engines.chattts import ChatTTSEngine, ChatTTSOptions
from tests.engines.chattts_ckpt import tiny_checkpoint
from tests.server import RunningServer, serve
from tests.signals import rms

if importlib.util.find_spec("ChatTTS") is None:  # not importorskip: importing it needs the torchaudio shim
    pytest.skip("the chattts extra is not installed", allow_module_level=True)

# All slow: importing torch and ChatTTS costs ~15 s per process (far more on a slow CPU),
# and every test here loads or checks the real modules.
pytestmark = pytest.mark.slow

CAP = 24
STREAM_BATCH = 4  # audio tokens per streamed piece
SEGMENT = 256 * (2 * CAP - 1)  # samples of one segment at 24 kHz


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> ChatTTSEngine:
    settings = Settings()
    options = ChatTTSOptions(
        path=tiny_checkpoint(),
        max_new_token=CAP,
        stream_batch=STREAM_BATCH,
        voices_dir=tmp_path_factory.mktemp("voices"),
    )
    eng = ChatTTSEngine(settings, options)
    eng.save_voice("narrator", seed=42)  # saved before the server starts: offered as a voice
    return eng


@pytest.fixture(scope="module")
def server(engine: ChatTTSEngine) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["chattts"],
        default_engine="chattts",
        # A batch waits up to 400 ms to fill, so four requests sent together form one.
        engine_options={"chattts": EngineOptions(max_batch_size=4, max_wait_ms=400, threads=1)},
        request_timeout_s=300,  # a loaded CI machine must not turn slow into refused
        admission_control=False,  # nor refuse by costs learned while it was loaded: not under test here
    )
    with serve(settings, {"chattts": engine}, ready_timeout=600) as running:  # loads on a busy machine
        yield running


@pytest.fixture(scope="module")
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-needed", max_retries=0, timeout=300)


def speak(server: RunningServer, text: str, **body: object) -> httpx.Response:
    payload = {"model": "chattts", "voice": "seed_2222", "input": text, "response_format": "pcm", **body}
    return httpx.post(f"{server.url}/v1/audio/speech", json=payload, timeout=300)


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def test_speech_is_24khz_audio_of_the_generated_length(client: openai.OpenAI) -> None:
    resp = client.audio.speech.create(
        model="chattts", voice="seed_2222", input="Hello there.", response_format="wav"
    )
    samples, rate = decode(resp.content, "wav")
    assert rate == 24_000
    # infer() drops near-silent samples, a few of the noise's zero crossings among them.
    assert SEGMENT - 64 <= len(samples) <= SEGMENT
    assert rms(samples) > 0.01


def test_four_concurrent_requests_are_one_infer_call(server: RunningServer, engine: ChatTTSEngine) -> None:
    calls = engine.stats.infer_calls
    start = threading.Barrier(4)

    def one(i: int) -> httpx.Response:
        start.wait()
        return speak(server, f"Request number {i} is here.")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(one, range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert engine.stats.infer_calls == calls + 1
    assert engine.stats.batch_sizes[-1] == 4
    for r in responses:
        assert SEGMENT - 64 <= len(pcm(r.content)) <= SEGMENT
    texts = list(engine.stats.texts)[-4:]
    assert sorted(texts) == [f"Request number {w} is here." for w in ("one", "three", "two", "zero")]


def sse_deltas(server: RunningServer, text: str, **body: object) -> list[bytes]:
    """The audio of each ``speech.audio.delta`` event of a streamed (SSE) request."""
    payload = {"model": "chattts", "voice": "seed_2222", "input": text, "response_format": "pcm"}
    payload |= {"stream": True, "stream_format": "sse", **body}
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=payload, timeout=300) as r:
        assert r.status_code == 200
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1]["type"] == "speech.audio.done"
    return [base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta"]


def test_a_streamed_sentence_arrives_in_token_chunks_and_in_order(server: RunningServer) -> None:
    """A sentence's audio goes out every STREAM_BATCH tokens while ChatTTS generates it, not
    once it is done; seeded segments stream alike alone or together, so each sentence of a
    streamed text must equal the same sentence streamed on its own, in the order written."""
    sentences = ["The first sentence.", "Then a second one."]
    together = sse_deltas(server, " ".join(sentences), seed=5)
    alone = [sse_deltas(server, s, seed=5) for s in sentences]
    # Pieces cut at 12, 16, 20 and 24 tokens (the package holds back two batches first).
    assert [len(a) for a in alone] == [4, 4]
    assert sum(len(pcm(d)) for d in alone[0]) == SEGMENT
    assert together == alone[0] + alone[1]


def test_the_request_seed_reproduces_the_audio(server: RunningServer) -> None:
    first = speak(server, "Seeded speech.", seed=123)
    again = speak(server, "Seeded speech.", seed=123)
    other = speak(server, "Seeded speech.", seed=124)
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.content == again.content
    assert first.content != other.content


def test_digits_reach_the_model_as_words(server: RunningServer, engine: ChatTTSEngine) -> None:
    r = speak(server, "Room 42 opens at 9.")
    assert r.status_code == 200
    said = engine.stats.texts[-1]
    assert said.startswith("Room forty two opens at nine"), said
    assert not re.search(r"\d", said)


def test_voices_models_and_errors(server: RunningServer) -> None:
    voices = httpx.get(f"{server.url}/v1/audio/voices", params={"engine": "chattts"}).json()["voices"]
    ids = {v["id"] for v in voices}
    assert {"seed_2222", "seed_7869", "narrator"} <= ids
    assert all(v["sample_rate"] == 24_000 and "AGPL-3.0" in v["licence"] for v in voices)
    assert speak(server, "The saved voice speaks.", voice="narrator").status_code == 200

    card = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models").json()["data"]}["chattts"]["engine"]
    assert card["streaming"] == "token" and card["sample_rate"] == 24_000
    assert card["scheduling"]["max_batch_size"] == 4

    missing = speak(server, "Nobody speaks.", voice="nobody")
    assert missing.status_code == 400
    assert "seed_2222" in missing.json()["error"]["message"]


def test_sampling_extras_reach_the_model_and_split_batches(
    server: RunningServer, engine: ChatTTSEngine
) -> None:
    def speak(extras: dict[str, object]) -> httpx.Response:
        body = {"model": "chattts", "voice": "seed_2222", "input": "Extras here.", "response_format": "pcm"}
        return httpx.post(f"{server.url}/v1/audio/speech", json=body | {"extras": extras}, timeout=300)

    # The random model never stops, so the token cap alone sets the length.
    short = speak({"max_new_token": 8, "temperature": 0.5, "top_k": 10})
    assert short.status_code == 200, short.text
    assert len(short.content) // 2 == 256 * (2 * 8 - 1)
    calls = engine.stats.infer_calls
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a, b = pool.map(speak, [{"top_p": 0.5}, {"top_p": 0.9}])
    assert a.status_code == b.status_code == 200
    assert engine.stats.infer_calls == calls + 2  # different sampling: not one call
    bad = speak({"top_p": 3, "beam": 4})
    assert bad.status_code == 400
    message = bad.json()["error"]["message"]
    assert "top_p" in message and "beam" in message
    assert "Valid extras: temperature, top_p, top_k, repetition_penalty, max_new_token" in message
