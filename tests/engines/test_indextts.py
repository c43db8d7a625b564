"""IndexTTS-2 through the package's own loader (``indextts.infer_v2.IndexTTS2``) on a random-weight
checkpoint the tests generate in the exact layout, hub models included (tests/engines/indextts_ckpt.py),
served by a real Clarion server on loopback: audio, cloning, the emotion controls reaching the
model, extras validation, segment streaming, cross-request batching (each segment of a batch gets
the speech tokens of the package's own one-text path) and the model directory check.

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from clarion.cli import app
from clarion.config import EngineOptions, Settings
from clarion.engines.base import ChecksModelDir, Engine, Segment, Streaming
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
    decode: Spy  # BatchDecoder.generate(conds, texts, max_new_tokens, sampling): one per batch
    emo_text: Spy  # QwenEmotion.inference(text) -> emotion dict
    qwen_generate: Spy  # the Qwen model's generate, as QwenEmotion calls it (the engine caps it below)

    def clear(self) -> None:
        for spy in (
            self.speaker,
            self.emotion,
            self.merge,
            self.decode,
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
        # Concurrent requests arriving over a busy machine's scheduling hiccups still share a batch.
        engine_options={"indextts": EngineOptions(max_batch_size=4, max_wait_ms=300)},
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
            Spy(engine.renderer.decoder, "generate"),
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
    assert caps.cloning and not caps.thread_safe and caps.max_batch_size > 1 and caps.batch_axis
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
    # Clarion's front end wrote the number out; the package's normaliser runs without NeMo.
    assert last.text == "Room forty-two is open."
    assert type(engine.model.normalizer).__name__ == "ClarionTextNormalizer"
    [call] = harness.decode.calls
    assert call["max_new_tokens"] == CAP and call["sampling"].num_beams == 1
    assert len(last.codes) == 1 and 0 < len(last.codes[0]) <= CAP
    # No emotion control: the speaker's clip is the emotion reference too, at full strength.
    assert last.emotion_reference == last.prompt
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
    assert [c["emo_audio_prompt"] for c in harness.emotion.calls] == [str(angry)]  # once per clip
    assert [c["alpha"] for c in harness.merge.calls] == [0.6]
    last = harness.engine.stats.recent[-1]
    assert last.emotion_reference == last.emo_prompt == str(angry)
    assert last.prompt.endswith("voices/default.wav") and last.emo_weights is None


def test_emo_vector_reaches_the_model(harness: Harness) -> None:
    r = speak(
        harness, "What a surprise.", extras={"emo_vector": [0, 0, 0, 0, 0, 0, 0.9, 0.3], "emo_alpha": 0.5}
    )
    assert r.status_code == 200, r.text
    last = harness.engine.stats.recent[-1]
    # The package's normalize_emo_vec: surprised x0.6875, calm x0.5625, sum within 0.8.
    expected = harness.engine.model.normalize_emo_vec([0, 0, 0, 0, 0, 0, 0.9, 0.3])
    assert last.emo_vector == pytest.approx(expected)
    assert last.emo_vector[6] == pytest.approx(0.9 * 0.6875) and sum(last.emo_vector) <= 0.8
    # As infer(): alpha scales the weights; the speaker's clip is the emotion reference, at alpha 1.
    assert last.emo_alpha == 0.5 and last.emo_text is None
    assert last.emo_weights == pytest.approx([int(v * 0.5 * 10000) / 10000 for v in expected])
    assert last.emotion_reference == last.prompt and harness.merge.calls[0]["alpha"] == 1.0


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
    last = harness.engine.stats.recent[-1]
    assert last.emo_text == "overjoyed" and last.emo_weights == pytest.approx(list(emotions.values()))


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
    assert not harness.decode.calls


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
    first, second = list(harness.engine.stats.recent)[-2:]
    assert [first.text, second.text] == ["First part here.", "Second part follows."]
    assert len(deltas) >= 2
    assert len(deltas[0]) // 2 == first.samples  # the first segment arrives on its own, first
    assert sum(len(d) for d in deltas) // 2 >= first.samples + second.samples


# -- cross-request batching ----------------------------------------------------------------------

GREEDY = {"num_beams": 1, "top_k": 1}  # the likeliest token at every step: no draw depends on the batch


def package_codes(h: Harness, text: str, clip: Path, **kwargs: Any) -> tuple[list[list[int]], np.ndarray]:
    """The speech tokens per part of ``text`` (up to the stop token) and the audio of the package's
    own one-text path, ``IndexTTS2.infer``, with GREEDY's settings."""
    model = h.engine.model
    spy = Spy(model.gpt, "inference_speech")
    try:
        _, wav = model.infer(
            spk_audio_prompt=str(clip),
            text=text,
            output_path=None,
            do_sample=True,
            temperature=0.8,
            top_p=0.8,
            top_k=1,
            num_beams=1,
            repetition_penalty=10.0,
            length_penalty=0.0,
            max_mel_tokens=CAP,
            **kwargs,
        )
    finally:
        del model.gpt.inference_speech  # the spy, an attribute of the instance
    stop = model.stop_mel_token
    parts = [codes[0].tolist() for codes, _ in spy.results]
    return [p[: p.index(stop)] if stop in p else p for p in parts], wav.reshape(-1) / 32767


def test_each_segment_of_a_batch_gets_the_packages_own_tokens(harness: Harness) -> None:
    """Four segments of different lengths, voices and emotion controls, one with a lower cap, in
    one synthesize call: one generate() for all, and each gets the tokens the package's own
    one-text path gives it."""
    narrator = upload(harness, "batch-narrator", seed=7)
    angry = upload(harness, "batch-angry", seed=8)
    default = harness.engine.model_dir / "voices" / "default.wav"
    vector = [0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2]
    batch = [
        Segment("Hi.", "default", extras=GREEDY),
        Segment("The quick brown fox jumps over the lazy dog.", "batch-narrator", extras=GREEDY),
        Segment(
            "What a wonderful day.", "default", extras={**GREEDY, "emo_vector": vector, "emo_alpha": 0.7}
        ),
        Segment(
            "Pack my box with five dozen liquor jugs, then go for a walk.",
            "default",
            extras={**GREEDY, "emo_voice": "batch-angry", "emo_alpha": 0.6, "max_mel_tokens": CAP // 2},
        ),
    ]
    harness.clear()
    audio = harness.engine.synthesize(batch)
    [call] = harness.decode.calls
    assert len({t.numel() for t in call["texts"]}) == 4  # four text lengths, padded and masked
    records = list(harness.engine.stats.recent)[-4:]
    assert [r.text for r in records] == [s.text for s in batch] and {r.batch_size for r in records} == {4}
    model = harness.engine.model
    expected = [
        package_codes(harness, batch[0].text, default),
        package_codes(harness, batch[1].text, narrator),
        package_codes(
            harness, batch[2].text, default, emo_vector=model.normalize_emo_vec(vector), emo_alpha=0.7
        ),
        package_codes(harness, batch[3].text, default, emo_audio_prompt=str(angry), emo_alpha=0.6),
    ]
    expected[3] = ([p[: CAP // 2] for p in expected[3][0]], expected[3][1])  # its own, lower cap
    for record, (codes, _), wav in zip(records, expected, audio, strict=True):
        assert [list(c) for c in record.codes] == codes and codes[0]
        assert len(wav) == record.samples > 0 and np.isfinite(wav).all()
    assert len(records[3].codes[0]) == CAP // 2 < len(records[2].codes[0])


def test_the_latent_pass_of_a_batch_matches_the_packages_forward(harness: Harness) -> None:
    """Rows of different text and token lengths get their latents in one left-padded, masked pass:
    each row's are those of the package's UnifiedVoice.forward on that row alone."""
    import torch

    model, decoder = harness.engine.model, harness.engine.renderer.decoder
    spk, _, _, _ = model._get_speaker_conditioning(str(harness.engine.model_dir / "voices" / "default.wav"))
    emo = spk  # no emotion control: the speaker's clip
    lengths = torch.tensor([spk.shape[-1]])
    tokenizer = model.tokenizer
    texts = [
        torch.tensor(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(t)), dtype=torch.int32)
        for t in ("Hi.", "The quick brown fox jumps over the lazy dog.", "What a day.")
    ]
    random_codes = torch.Generator().manual_seed(0)
    codes = [torch.randint(0, 8192, (n,), generator=random_codes) for n in (5, 12, 9)]
    with torch.no_grad():
        emovec = model.gpt.merge_emovec(spk, emo, lengths, lengths, alpha=1.0)
        cond = decoder.conditioning(spk, emovec)
        batched = decoder.latents([cond] * 3, texts, codes)
        speaker = model.gpt.get_conditioning(spk.transpose(1, 2), lengths)
        for text, code, got in zip(texts, codes, batched, strict=True):
            want = model.gpt(
                speaker,
                text.unsqueeze(0),
                torch.tensor([text.numel()]),
                code.unsqueeze(0),
                torch.tensor([code.numel()]),
                emo,
                cond_mel_lengths=lengths,
                emo_cond_mel_lengths=lengths,
                emo_vec=emovec,
                use_speed=torch.zeros(1, dtype=torch.long),
            )
            assert got.shape == want.shape == (1, code.numel(), want.shape[-1])
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_a_seeded_segment_sounds_as_the_packages_own_path(harness: Harness) -> None:
    """Alone (as a seeded segment always runs), with the same seed: the same tokens, and the same
    random draws after them in s2mel's flow matching, so the same audio."""
    import random

    import torch

    text = "A seeded sentence."
    [audio] = harness.engine.synthesize([Segment(text, "default", seed=11, extras=GREEDY)])
    record = harness.engine.stats.recent[-1]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        random.seed(11)
        codes, wav = package_codes(harness, text, harness.engine.model_dir / "voices" / "default.wav")
    assert [list(c) for c in record.codes] == codes
    assert audio.shape == wav.shape
    np.testing.assert_allclose(audio, wav, atol=2e-3)  # the package's int16 rounding, and float noise


def test_concurrent_requests_share_a_batch(harness: Harness) -> None:
    """Requests sent together are decoded together (the server's batch-size histogram), and each
    answers with its own audio."""

    def batch_metrics() -> dict[str, float]:
        text = httpx.get(f"{harness.server.url}/metrics", timeout=30).text
        return {
            s.name: s.value
            for family in text_string_to_metric_families(text)
            if family.name == "clarion_batch_size"
            for s in family.samples
            if s.labels.get("engine") == "indextts" and s.name.endswith(("_sum", "_count"))
        }

    texts = ["One voice here.", "Another one speaks.", "A third joins in now.", "And the last."]
    before = batch_metrics()
    harness.clear()

    def post(text: str) -> httpx.Response:
        body = {"model": "indextts", "voice": "default", "input": text, "response_format": "wav"}
        return httpx.post(
            f"{harness.server.url}/v1/audio/speech",
            json={**body, "extras": FAST, "cache": False},
            timeout=300,
        )

    with ThreadPoolExecutor(len(texts)) as pool:
        responses = list(pool.map(post, texts))
    after = batch_metrics()
    for r in responses:
        assert r.status_code == 200, r.text
        samples, rate = wav_samples(r.content)
        assert rate == SAMPLE_RATE and len(samples) > 0
    segments = after["clarion_batch_size_sum"] - before.get("clarion_batch_size_sum", 0)
    batches = after["clarion_batch_size_count"] - before.get("clarion_batch_size_count", 0)
    assert segments == len(texts) and batches < len(texts)  # some batch held more than one
    assert len(harness.decode.calls) == batches
    assert max(r.batch_size for r in list(harness.engine.stats.recent)[-len(texts) :]) > 1
