"""IndexTTS-2 through the package's own loader (``indextts.infer_v2.IndexTTS2``) on a random-weight
checkpoint the tests generate in the exact layout, hub models included (tests/engines/indextts_ckpt.py),
served by a real Clarion server on loopback: audio, cloning, the emotion controls reaching the
model, extras validation, segment streaming and the model directory check.

One server (one loaded model) serves the whole module; the model's own methods are wrapped by
spies that record their arguments and call the real method."""

from __future__ import annotations

import base64
import importlib.util
import inspect
import io
import json
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from clarion.cli import app
from clarion.config import Settings
from clarion.engines.base import ChecksModelDir, Engine, Streaming
from clarion.engines.indextts import (
    MODEL_FILES,
    SAMPLE_RATE,
    IndexTTSEngine,
    IndexTTSOptions,
    check_model_dir,
)
from tests.engines.indextts_ckpt import QWEN_DIR, reference_clip, tiny_models_dir
from tests.server import RunningServer, serve

if importlib.util.find_spec("indextts") is None:  # not importorskip: it needs the torchaudio shim
    pytest.skip("the indextts extra is not installed", allow_module_level=True)

pytestmark = pytest.mark.slow  # torch, transformers and the text normaliser; every test needs the model

CAP = 16  # speech tokens per segment: random weights rarely emit the stop token
FAST = {"num_beams": 1}  # one beam: the tests check plumbing, not search quality


@dataclass
class Spy:
    """Wraps ``owner.name`` (a bound method); records each call's arguments by name, and what it
    returned, and calls the real method."""

    owner: Any
    name: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        real: Callable[..., Any] = getattr(self.owner, self.name)
        signature = inspect.signature(real)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(dict(signature.bind(*args, **kwargs).arguments))
            result = real(*args, **kwargs)
            self.results.append(result)
            return result

        setattr(self.owner, self.name, spy)

    def clear(self) -> None:
        self.calls.clear()
        self.results.clear()


@dataclass
class Harness:
    server: RunningServer
    engine: IndexTTSEngine
    data_dir: Path
    speaker: Spy  # IndexTTS2._get_speaker_conditioning(spk_audio_prompt)
    emotion: Spy  # IndexTTS2._get_emotion_conditioning(emo_audio_prompt)
    merge: Spy  # UnifiedVoice.merge_emovec(..., alpha)
    generator: Spy  # IndexTTS2.infer_generator(every argument infer() got)
    emo_text: Spy  # QwenEmotion.inference(text) -> emotion dict
    qwen_generate: Spy  # the Qwen model's generate, as QwenEmotion calls it (the engine caps it below)

    def clear(self) -> None:
        for spy in (
            self.speaker,
            self.emotion,
            self.merge,
            self.generator,
            self.emo_text,
            self.qwen_generate,
        ):
            spy.clear()


@pytest.fixture(scope="module")
def ckpt() -> Path:
    return tiny_models_dir() / "indextts"


@pytest.fixture(scope="module")
def harness(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(
        engines=["indextts"],
        default_engine="indextts",
        data_dir=data_dir,
        warmup=False,  # the warm-up would synthesise English and Chinese: 2 segments nobody checks
        cache_memory_mb=0,
        request_timeout_s=600,  # admission control predicts from the first, slowest segments
    )
    engine = IndexTTSEngine(settings, IndexTTSOptions(path=ckpt, max_mel_tokens=CAP))
    with serve(settings, {"indextts": engine}, ready_timeout=600) as running:
        model = engine.model
        yield Harness(
            running,
            engine,
            data_dir,
            Spy(model, "_get_speaker_conditioning"),
            Spy(model, "_get_emotion_conditioning"),
            Spy(model.gpt, "merge_emovec"),
            Spy(model, "infer_generator"),
            Spy(model.qwen_emo, "inference"),
            Spy(model.qwen_emo.model, "generate"),
        )


def speak(h: Harness, text: str = "Hello there.", voice: str = "default", **body: Any) -> httpx.Response:
    h.clear()
    extras = {**FAST, **body.pop("extras", {})}
    payload = {
        "model": "indextts",
        "voice": voice,
        "input": text,
        "response_format": "wav",
        "extras": extras,
        "cache": False,
        **body,
    }
    return httpx.post(f"{h.server.url}/v1/audio/speech", json=payload, timeout=300)


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), np.int16), w.getframerate()


def upload(h: Harness, name: str, seed: int) -> Path:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((reference_clip(2.2, 16_000, seed=seed) * 32767).astype(np.int16).tobytes())
    r = httpx.post(
        f"{h.server.url}/v1/audio/voices",
        data={"name": name, "overwrite": "true"},
        files={"file": ("clip.wav", buf.getvalue(), "audio/wav")},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return h.data_dir / "voices" / name / "reference.wav"


def linked_copy(src: Path, dest: Path, without: tuple[str, ...] = ()) -> Path:
    for entry in src.iterdir():
        if entry.name not in without:
            (dest / entry.name).symlink_to(entry)
    return dest


# -- the model directory (no synthesis) ----------------------------------------------------------


def test_the_generated_checkpoint_passes_the_check(ckpt: Path) -> None:
    assert check_model_dir(ckpt) == []
    assert isinstance(IndexTTSEngine, ChecksModelDir)
    for name in MODEL_FILES:
        assert (ckpt / name).is_file()


def test_the_cli_names_missing_files_and_exits_1(ckpt: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["models", "check", "indextts", "--path", str(ckpt)])
    assert ok.exit_code == 0, ok.output
    assert "indextts model directory is complete" in ok.output
    bad = linked_copy(ckpt, tmp_path, without=("gpt.pth", "feat2.pt", "hf", QWEN_DIR))
    (bad / "hf").mkdir()
    linked_copy(ckpt / "hf", bad / "hf", without=("models--funasr--campplus",))
    result = runner.invoke(app, ["models", "check", "indextts", "--path", str(bad)])
    assert result.exit_code == 1, result.output
    assert f"{bad} is not a usable indextts model directory:" in result.output
    assert "  - gpt.pth is missing" in result.output
    assert "  - feat2.pt is missing" in result.output
    assert f"  - funasr/campplus: campplus_cn_common.bin (hub cache {bad / 'hf'}) is missing" in result.output
    assert f"  - {QWEN_DIR}/config.json is missing" in result.output
    assert "w2v-bert" not in result.output  # what is there is not reported


def test_the_check_compares_shapes_with_the_packages_model(ckpt: Path, tmp_path: Path) -> None:
    import torch

    bad = linked_copy(ckpt, tmp_path, without=("gpt.pth", "feat1.pt"))
    state = torch.load(ckpt / "gpt.pth", map_location="cpu", weights_only=True)
    state["text_embedding.weight"] = torch.zeros(10, 8)
    del state["mel_head.bias"]
    torch.save(state, bad / "gpt.pth")
    torch.save(torch.zeros(5, 192), bad / "feat1.pt")
    problems = check_model_dir(bad)
    assert "gpt.pth: text_embedding.weight has shape (10, 8), expected (257, 1280)" in problems
    assert "gpt.pth lacks 1 tensor(s): mel_head.bias" in problems
    assert "feat1.pt has shape (5, 192), expected (73, 192)" in problems
    assert check_model_dir(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} is not a directory"]


def test_probe_explains_a_missing_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_INDEXTTS_PATH", raising=False)
    monkeypatch.delenv("CLARION_ENGINE_OPTIONS__INDEXTTS__PATH", raising=False)
    why = IndexTTSEngine.probe(Settings(models_dir=tmp_path))
    assert why is not None
    assert f"IndexTTS-2 model files are missing from {tmp_path / 'indextts'}" in why
    assert "config.yaml; gpt.pth" in why and "CLARION_ENGINE_OPTIONS__INDEXTTS__PATH" in why


# -- served over HTTP ----------------------------------------------------------------------------


def test_serves_audio_at_the_models_rate(harness: Harness) -> None:
    engine = harness.engine
    assert isinstance(engine, Engine)
    caps = engine.capabilities
    assert caps.cloning and not caps.thread_safe and caps.max_batch_size == 1
    assert caps.streaming is Streaming.SENTENCE and engine.sample_rate == SAMPLE_RATE == 22_050
    r = speak(harness, "Room 42 is open.")
    assert r.status_code == 200, r.text
    assert r.headers["x-clarion-engine"] == "indextts" and r.headers["x-clarion-voice"] == "default"
    samples, rate = wav_samples(r.content)
    last = engine.stats.recent[-1]
    assert rate == SAMPLE_RATE
    assert len(samples) == last.samples > 0
    assert np.abs(samples).max() > 0
    assert last.prompt == str(engine.model_dir / "voices" / "default.wav")
    assert last.max_mel_tokens == CAP and last.emo_vector is None and last.emo_prompt is None
    [call] = harness.generator.calls
    # Clarion's front end wrote the number out; the package's normaliser runs without NeMo.
    assert call["text"] == "Room forty-two is open."
    assert type(engine.model.normalizer).__name__ == "ClarionTextNormalizer"
    assert call["generation_kwargs"]["max_mel_tokens"] == CAP
    assert call["generation_kwargs"]["num_beams"] == 1
    # No emotion control: the speaker's clip is the emotion reference too, at full strength.
    assert harness.emotion.calls[0]["emo_audio_prompt"] == last.prompt
    assert harness.merge.calls[0]["alpha"] == 1.0


def test_models_publish_the_extras_schema(harness: Harness) -> None:
    cards = {m["id"]: m for m in httpx.get(f"{harness.server.url}/v1/models").json()["data"]}
    schema = cards["indextts"]["engine"]["extras"]
    assert {"emo_vector", "emo_alpha", "emo_voice", "emo_text", "temperature", "max_mel_tokens"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False


def test_an_uploaded_clip_is_cloned(harness: Harness) -> None:
    clip = upload(harness, "narrator", seed=3)
    r = speak(harness, "A cloned voice.", voice="narrator")
    assert r.status_code == 200, r.text
    assert [c["spk_audio_prompt"] for c in harness.speaker.calls] == [str(clip)]
    assert harness.engine.stats.recent[-1].prompt == str(clip)
    # Re-uploaded under the same name (same path, new clip): the model's cached conditioning goes.
    resets = harness.engine.stats.cache_resets
    upload(harness, "narrator", seed=4)
    assert speak(harness, "Again.", voice="narrator").status_code == 200
    assert harness.engine.stats.cache_resets == resets + 1
    assert harness.engine.model.cache_spk_audio_prompt == str(clip)


def test_emo_voice_and_alpha_reach_the_model(harness: Harness) -> None:
    angry = upload(harness, "angry", seed=5)
    r = speak(harness, "How dare you.", extras={"emo_voice": "angry", "emo_alpha": 0.6})
    assert r.status_code == 200, r.text
    assert [c["emo_audio_prompt"] for c in harness.emotion.calls] == [str(angry)]
    assert [c["alpha"] for c in harness.merge.calls] == [0.6]
    assert harness.speaker.calls[0]["spk_audio_prompt"].endswith("voices/default.wav")


def test_emo_vector_reaches_the_model(harness: Harness) -> None:
    r = speak(
        harness, "What a surprise.", extras={"emo_vector": [0, 0, 0, 0, 0, 0, 0.9, 0.3], "emo_alpha": 0.5}
    )
    assert r.status_code == 200, r.text
    [call] = harness.generator.calls
    # The package's normalize_emo_vec: surprised x0.6875, calm x0.5625, sum within 0.8.
    expected = harness.engine.model.normalize_emo_vec([0, 0, 0, 0, 0, 0, 0.9, 0.3])
    assert call["emo_vector"] == pytest.approx(expected)
    assert call["emo_vector"][6] == pytest.approx(0.9 * 0.6875) and sum(call["emo_vector"]) <= 0.8
    assert call["emo_alpha"] == 0.5 and not call["use_emo_text"]
    assert harness.engine.stats.recent[-1].emo_vector == pytest.approx(expected)


def test_emo_text_runs_the_emotion_model_with_a_capped_length(harness: Harness) -> None:
    r = speak(harness, "I am so happy today.", extras={"emo_text": "overjoyed"})
    assert r.status_code == 200, r.text
    assert [c["text_input"] for c in harness.emo_text.calls] == ["overjoyed"]
    [emotions] = harness.emo_text.results
    assert list(emotions) == [
        "happy",
        "angry",
        "sad",
        "afraid",
        "disgusted",
        "melancholic",
        "surprised",
        "calm",
    ]
    # The package asks for 32768 new tokens; the engine's cap (128 by default) bounds the output.
    [asked] = harness.qwen_generate.calls
    [output] = harness.qwen_generate.results
    assert asked["kwargs"]["max_new_tokens"] == 32768
    assert 0 < output.shape[1] - asked["kwargs"]["input_ids"].shape[1] <= 128
    [call] = harness.generator.calls
    assert call["use_emo_text"] is True and call["emo_text"] == "overjoyed"


@pytest.mark.parametrize(
    ("extras", "needle"),
    [
        ({"emo_vector": [0.1] * 7}, "emo_vector: List should have at least 8 items"),
        ({"emo_vector": [0.1] * 7 + [1.5]}, "emo_vector values must be between 0 and 1: calm=1.5"),
        ({"emo_alpha": 1.5, "emo_text": "calm"}, "emo_alpha: Input should be less than or equal to 1"),
        (
            {"emo_vector": [0.1] * 8, "emo_voice": "default"},
            "use one emotion control at a time, not emo_voice",
        ),
        ({"emo_alpha": 0.5}, "emo_alpha needs emo_voice, emo_vector or emo_text"),
        ({"exaggeration": 0.5}, "exaggeration: Extra inputs are not permitted"),
    ],
)
def test_bad_extras_are_answered_400(harness: Harness, extras: dict[str, Any], needle: str) -> None:
    r = speak(harness, extras=extras)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == "extras" and needle in err["message"], err["message"]
    assert "Valid extras: emo_voice, emo_vector, emo_text, emo_alpha" in err["message"]
    assert not harness.generator.calls


def test_an_unknown_emotion_voice_names_the_valid_ones(harness: Harness) -> None:
    r = speak(harness, extras={"emo_voice": "nobody"})
    assert r.status_code == 400, r.text
    assert "indextts has no voice 'nobody': use default" in r.json()["error"]["message"]


def test_streams_segment_by_segment_in_order(harness: Harness) -> None:
    text = "First part here. Second part follows."
    body = {
        "model": "indextts",
        "voice": "default",
        "input": text,
        "response_format": "pcm",
        "stream_format": "sse",
        "extras": FAST,
        "cache": False,
    }
    harness.clear()
    events = []
    with httpx.stream("POST", f"{harness.server.url}/v1/audio/speech", json=body, timeout=300) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    deltas = [base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta"]
    assert events[-1]["type"] == "speech.audio.done"
    assert [c["text"] for c in harness.generator.calls] == ["First part here.", "Second part follows."]
    first, second = list(harness.engine.stats.recent)[-2:]
    assert len(deltas) >= 2
    assert len(deltas[0]) // 2 == first.samples  # the first segment arrives on its own, first
    assert sum(len(d) for d in deltas) // 2 >= first.samples + second.samples
