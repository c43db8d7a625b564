"""Chatterbox behind the HTTP API, on a real server on loopback, loaded through the package's
real loader (``ChatterboxTTS.from_local``) from a random-weight checkpoint
(tests/engines/chatterbox_ckpt.py): 24 kHz audio of the generated length, voices cloned from
clips uploaded through /v1/audio/voices, request extras reaching the model, bad extras refused,
one model instance per worker, and no memory growth per request.

What the model received is read off the model itself: the tests wrap the package's
``T3.inference`` and ``ChatterboxTTS.prepare_conditionals`` with recorders that pass every call
through unchanged. The random model never emits its stop token, so every request is capped."""

from __future__ import annotations

import concurrent.futures
import importlib.util
import io
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import clarion.engines.chatterbox as chatterbox_engine_module
from clarion.config import EngineOptions, Settings
from clarion.engines.chatterbox import ChatterboxEngine, ChatterboxOptions
from tests.engines.chatterbox_ckpt import tiny_architecture, tiny_models_dir
from tests.server import RunningServer, serve
from tests.signals import rss_mb
from tests.voices.corpus import good_wav

if importlib.util.find_spec("chatterbox") is None:  # not importorskip: it needs the torchaudio shim
    pytest.skip("the chatterbox extra is not installed", allow_module_level=True)

# All slow: importing torch, librosa and chatterbox costs ~10 s per process, and every test
# here runs the real model.
pytestmark = pytest.mark.slow

CAP = 10  # speech tokens per segment
SAMPLES_PER_TOKEN = 960  # 25 speech tokens a second at 24 kHz
VALID = (
    "Valid extras: exaggeration, cfg_weight, temperature, top_p, min_p, repetition_penalty, max_new_tokens"
)


@pytest.fixture(scope="module")
def models_dir() -> Path:
    with tiny_architecture():
        return tiny_models_dir()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def engine(models_dir: Path, data_dir: Path) -> Iterator[ChatterboxEngine]:
    eng = ChatterboxEngine(
        Settings(data_dir=data_dir), ChatterboxOptions(path=models_dir / "chatterbox", max_new_tokens=CAP)
    )
    with tiny_architecture():
        eng.load("cpu", 1)
    yield eng
    eng.unload()


@pytest.fixture(scope="module")
def server(engine: ChatterboxEngine, data_dir: Path) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["chatterbox"],
        default_engine="chatterbox",
        data_dir=data_dir,
        cache_memory_mb=0,  # every request reaches the model
        engine_options={"chatterbox": EngineOptions(threads=1)},
        request_timeout_s=300,  # a loaded CI machine must not turn slow into refused
        upload_decode_timeout_s=30,  # nor cut a good clip's decoding (1.5 s by default)
    )
    with serve(settings, {"chatterbox": engine}, ready_timeout=600) as running:  # loads on a busy machine
        yield running


class Recorder:
    """Wraps one of the model's methods: records each call's arguments, then makes the call."""

    def __init__(self, target: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[dict[str, Any]] = []
        original: Callable[..., Any] = getattr(target, name)

        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append({"args": args, **kwargs})
            return original(*args, **kwargs)

        monkeypatch.setattr(target, name, record)


def speak(server: RunningServer, text: str, voice: str = "default", **body: Any) -> httpx.Response:
    payload = {"model": "chatterbox", "voice": voice, "input": text, "response_format": "wav", **body}
    return httpx.post(f"{server.url}/v1/audio/speech", json=payload, timeout=300)


def wav_of(response: httpx.Response) -> tuple[int, int, int]:
    """(sample rate, channels, frames) of a WAV response."""
    assert response.status_code == 200, response.text
    with wave.open(io.BytesIO(response.content)) as w:
        return w.getframerate(), w.getnchannels(), w.getnframes()


def upload(server: RunningServer, name: str, data: bytes, **fields: str) -> dict[str, Any]:
    r = httpx.post(
        f"{server.url}/v1/audio/voices",
        data={"name": name, **fields},
        files={"file": ("clip.wav", data, "audio/wav")},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    card: dict[str, Any] = r.json()
    return card


def test_speech_is_24khz_mono_of_the_generated_length(
    server: RunningServer, engine: ChatterboxEngine
) -> None:
    before = engine.stats.generations
    rate, channels, frames = wav_of(speak(server, "The quick brown fox jumps over the lazy dog."))
    assert engine.stats.generations == before + 1
    tokens = engine.stats.recent[-1].tokens
    assert (rate, channels) == (24_000, 1)
    assert 0 < tokens <= CAP and frames == tokens * SAMPLES_PER_TOKEN
    assert engine.stats.recent[-1].watermarked


def test_the_models_card_offers_cloning_and_the_extras(server: RunningServer) -> None:
    cards = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models").json()["data"]}
    card = cards["chatterbox"]["engine"]
    assert card["cloning"] is True and card["sample_rate"] == 24_000
    assert set(card["extras"]["properties"]) == {
        "exaggeration",
        "cfg_weight",
        "temperature",
        "top_p",
        "min_p",
        "repetition_penalty",
        "max_new_tokens",
    }
    assert card["extras"]["additionalProperties"] is False


def test_extras_reach_the_model(
    server: RunningServer, engine: ChatterboxEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The batched T3 loop (clarion.engines.chatterbox_batch.decode) gets one Row per segment.
    t3 = Recorder(chatterbox_engine_module, "decode", monkeypatch)
    extras = {"exaggeration": 1.25, "cfg_weight": 0.0, "temperature": 0.4, "top_p": 0.9, "max_new_tokens": 4}
    wav_of(speak(server, "Feel it.", extras=extras))
    wav_of(speak(server, "Plain."))
    [given], [plain] = (call["args"][1] for call in t3.calls)
    assert given.cfg_weight == 0.0 and given.temperature == 0.4 and given.top_p == 0.9
    assert given.max_new_tokens == 4 and given.min_p == 0.05 and given.repetition_penalty == 1.2
    assert given.cond.emotion_adv.flatten().tolist() == [1.25]
    # Unset extras are the package's own defaults, and the server's cap.
    assert (plain.cfg_weight, plain.temperature, plain.top_p) == (0.5, 0.8, 1.0)
    assert plain.max_new_tokens == CAP
    assert plain.cond.emotion_adv.flatten().tolist() == [0.5]
    # Both rows of the guided pair carry the text, framed by T3's start and stop tokens.
    tokens = given.text_tokens
    assert tokens.shape[0] == 2 and tokens[0, 0] == 255 and tokens[0, -1] == 0


@pytest.mark.parametrize(
    ("extras", "needle"),
    [
        ({"exaggeration": 3}, "exaggeration: Input should be less than or equal to 2"),
        ({"cfg_weight": -0.1}, "cfg_weight: Input should be greater than or equal to 0"),
        ({"temperature": "hot"}, "temperature: Input should be a valid number"),
        ({"speed_factor": 2}, "speed_factor: Extra inputs are not permitted"),
        ({"max_new_tokens": 0}, "max_new_tokens: Input should be greater than or equal to 1"),
    ],
)
def test_bad_extras_are_refused_naming_the_valid_ones(
    server: RunningServer, engine: ChatterboxEngine, extras: dict[str, Any], needle: str
) -> None:
    before = engine.stats.generations
    r = speak(server, "Never spoken.", extras=extras)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "extras" and err["type"] == "invalid_request_error"
    assert needle in err["message"] and VALID in err["message"]
    assert engine.stats.generations == before


def test_a_voice_cloned_from_an_uploaded_clip(
    server: RunningServer, engine: ChatterboxEngine, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare = Recorder(engine.model, "prepare_conditionals", monkeypatch)
    t3 = Recorder(chatterbox_engine_module, "decode", monkeypatch)
    card = upload(server, "narrator", good_wav(4.0))
    reference = data_dir / "voices" / "narrator" / "reference.wav"

    rate, _, frames = wav_of(speak(server, "Spoken in the uploaded voice.", "narrator"))
    assert rate == 24_000 and frames == engine.stats.recent[-1].tokens * SAMPLES_PER_TOKEN
    # The package computed the conditionals from that clip, once.
    assert [c["args"][0] for c in prepare.calls] == [str(reference)]
    assert engine.stats.computed[-1] == ("narrator", str(reference), card["sha256"])
    cache = data_dir / "voices" / "narrator" / "cache" / "chatterbox" / f"conds-{card['sha256']}.pt"
    assert cache.is_file()
    # ... and T3 was conditioned on them, not on the built-in voice.
    cloned = t3.calls[-1]["args"][1][0].cond.speaker_emb
    _, conds = engine._conds["narrator"]
    assert np.array_equal(cloned.cpu().numpy(), conds.t3.speaker_emb.cpu().numpy())
    assert not np.array_equal(cloned.cpu().numpy(), engine.model.conds.t3.speaker_emb.cpu().numpy())

    # A second request reuses them.
    memory = engine.stats.from_memory
    wav_of(speak(server, "And once more.", "narrator"))
    assert len(prepare.calls) == 1 and engine.stats.from_memory == memory + 1
    assert np.array_equal(t3.calls[-1]["args"][1][0].cond.speaker_emb.cpu().numpy(), cloned.cpu().numpy())

    # A new clip under the same name is a new voice: computed afresh from the new file.
    card2 = upload(server, "narrator", good_wav(5.0), overwrite="true")
    assert card2["sha256"] != card["sha256"]
    wav_of(speak(server, "A new clip.", "narrator"))
    assert len(prepare.calls) == 2 and engine.stats.computed[-1][2] == card2["sha256"]


def test_an_unknown_voice_is_a_clear_400(server: RunningServer) -> None:
    r = speak(server, "Hello.", "nobody-here")
    assert r.status_code == 400
    assert "has no voice 'nobody-here'" in r.json()["error"]["message"]


def test_each_worker_has_its_own_model(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLARION_ENGINE_OPTIONS__CHATTERBOX__WORKERS=2: the service builds a second instance (the
    model is not thread-safe) and two requests at once run on both."""
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WORKERS", "2")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__THREADS", "1")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__MAX_NEW_TOKENS", "6")
    # One segment per batch: batched, the four requests could all go to one worker together.
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__MAX_BATCH_SIZE", "1")
    monkeypatch.delenv("CLARION_CHATTERBOX_PATH", raising=False)
    monkeypatch.delenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH", raising=False)
    settings = Settings(
        engines=["chatterbox"],
        default_engine="chatterbox",
        models_dir=models_dir,
        data_dir=tmp_path,
        cache_memory_mb=0,
        warmup=False,
        request_timeout_s=300,
    )
    assert settings.options_for("chatterbox").workers == 2
    with tiny_architecture(), serve(settings) as running:
        runtime = running.service.runtimes["chatterbox"]
        instances = runtime.batcher.executor.instances()
        assert len(instances) == 2 and all(isinstance(e, ChatterboxEngine) for e in instances)
        models = [e.model for e in instances]  # type: ignore[attr-defined]
        assert models[0] is not models[1]
        cards = {m["id"]: m for m in httpx.get(f"{running.url}/v1/models").json()["data"]}
        assert cards["chatterbox"]["engine"]["scheduling"]["workers"] == 2
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            texts = [f"Request number {n}." for n in ("one", "two", "three", "four")]
            for response in pool.map(lambda t: speak(running, t), texts):
                assert wav_of(response)[0] == 24_000
        assert sum(e.stats.generations for e in instances) == 4  # type: ignore[attr-defined]
        assert all(e.stats.generations > 0 for e in instances)  # type: ignore[attr-defined]
        # The cap set in the engine's own namespace reached both instances (the random model
        # never stops on its own).
        assert {g.max_new_tokens for e in instances for g in e.stats.recent} == {6}  # type: ignore[attr-defined]


def test_memory_does_not_grow_per_request(server: RunningServer, engine: ChatterboxEngine) -> None:
    """Twenty requests through the server (the default voice and a cloned one) leave the
    process's resident memory where it was after warming up: no autograd graph, no
    per-request conditionals or records kept beyond their bounded caches."""
    upload(server, "memory-voice", good_wav(3.0))
    extras = {"max_new_tokens": 3}
    for n in range(2):
        wav_of(speak(server, f"Warm up {n}.", extras=extras))
        wav_of(speak(server, f"Warm up {n}.", "memory-voice", extras=extras))
    before = rss_mb()
    start = engine.stats.generations
    for n in range(20):
        wav_of(speak(server, f"Sentence number {n}.", "memory-voice" if n % 2 else "default", extras=extras))
    assert engine.stats.generations == start + 20
    grown = rss_mb() - before
    # Bounded at 1 MB a request: a kept autograd graph or per-request conditionals cost far more.
    assert grown < 20, f"resident memory grew {grown:.1f} MB over 20 requests"
