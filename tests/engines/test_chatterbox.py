"""Chatterbox through the package's own loader (``ChatterboxTTS.from_local``) on a random-weight
checkpoint the tests generate in the exact layout (tests/engines/chatterbox_ckpt.py): the model
directory check, loading, voices, seeds, the watermark, cloned voices' conditionals cache, and
batches of segments against the package's own one-segment path."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from clarion.engines.chatterbox import (
    BUILTIN_CONDS,
    MODEL_FILES,
    ChatterboxEngine,
    ChatterboxExtras,
    ChatterboxOptions,
    check_model_dir,
)
from clarion.engines.chatterbox_batch import Row, decode
from clarion.errors import EngineUnavailable, VoiceNotFound
from clarion.voices.store import VoiceStore
from tests.engines.chatterbox_ckpt import reference_clip, tiny_architecture, tiny_models_dir
from tests.mounts import can_mount, read_only_view
from tests.server import serve
from tests.signals import rms

if importlib.util.find_spec("chatterbox") is None:  # not importorskip: it needs the torchaudio shim
    pytest.skip("the chatterbox extra is not installed", allow_module_level=True)

# All slow: importing torch, librosa and chatterbox costs ~10 s per process, and every test here
# loads or checks the real modules.
pytestmark = pytest.mark.slow

RATE = 24_000
SAMPLES_PER_TOKEN = 960  # S3Gen: 25 speech tokens a second at 24 kHz
CAP = 12  # speech tokens per segment: random weights never emit the stop token


@pytest.fixture(scope="module")
def ckpt() -> Path:
    with tiny_architecture():
        return tiny_models_dir() / "chatterbox"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def make_engine(ckpt: Path, data_dir: Path, **options: object) -> ChatterboxEngine:
    eng = ChatterboxEngine(
        Settings(data_dir=data_dir),
        ChatterboxOptions(path=ckpt, max_new_tokens=CAP, **options),  # type: ignore[arg-type]
    )
    with tiny_architecture():  # the package builds the tests' sizes only while this is in force
        eng.load("cpu", 1)
    return eng


@pytest.fixture(scope="module")
def engine(ckpt: Path, data_dir: Path) -> Iterator[ChatterboxEngine]:
    eng = make_engine(ckpt, data_dir)
    yield eng
    eng.unload()


def linked_copy(src: Path, dest: Path, without: tuple[str, ...] = ()) -> Path:
    for name in (*MODEL_FILES, BUILTIN_CONDS):
        if name not in without:
            (dest / name).symlink_to(src / name)
    return dest


def speak(engine: ChatterboxEngine, text: str, voice: str = "default", **kw: object) -> np.ndarray:
    [audio] = engine.synthesize([Segment(text, voice, **kw)])  # type: ignore[arg-type]
    return audio


# -- the model directory -------------------------------------------------------------------------


def test_the_generated_checkpoint_passes_the_check(ckpt: Path) -> None:
    with tiny_architecture():
        assert check_model_dir(ckpt) == []
    assert isinstance(ChatterboxEngine, ChecksModelDir)
    assert sorted(p.name for p in ckpt.iterdir()) == sorted([*MODEL_FILES, BUILTIN_CONDS, "README.txt"])


def test_the_check_compares_shapes_with_the_installed_packages_model(ckpt: Path) -> None:
    """Outside the tests' shrinking, the package's models are the real 520M-parameter ones,
    and the check says the tiny checkpoint does not fit them, tensor by tensor."""
    problems = "\n".join(check_model_dir(ckpt))
    assert "ve.safetensors: lstm.bias_hh_l0 has shape (256,), expected (1024,)" in problems
    assert "t3_cfg.safetensors lacks 252 tensor(s): tfmr.layers.10." in problems
    assert "more tensor(s) have other shapes than this package's model" in problems


def test_check_names_missing_and_damaged_files(ckpt: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    bad = linked_copy(ckpt, tmp_path, without=("ve.safetensors", "tokenizer.json", "s3gen.safetensors"))
    (bad / "s3gen.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    (bad / BUILTIN_CONDS).unlink()
    torch.save({"t3": {"speaker_emb": torch.zeros(1, 7)}, "gen": {}}, bad / BUILTIN_CONDS)
    (bad / "t3_cfg.safetensors").unlink()
    save_file({"text_emb.weight": torch.zeros(704, 8)}, str(bad / "t3_cfg.safetensors"))
    with tiny_architecture():
        problems = check_model_dir(bad)
    text = "\n".join(problems)
    assert "ve.safetensors is missing" in problems
    assert "tokenizer.json is missing" in problems
    assert "s3gen.safetensors is not a readable safetensors file" in text
    assert "t3_cfg.safetensors: text_emb.weight has shape (704, 8), expected (704, 256)" in text
    assert "t3_cfg.safetensors lacks" in text
    assert "conds.pt: the speaker embedding should have 256 values" in text
    assert "conds.pt lacks S3Gen conditioning: embedding, prompt_feat, prompt_token" in text
    assert check_model_dir(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} is not a directory"]


def test_check_reads_the_tokenizer(ckpt: Path, tmp_path: Path) -> None:
    bad = linked_copy(ckpt, tmp_path, without=("tokenizer.json",))
    tokenizer = json.loads((ckpt / "tokenizer.json").read_text())
    tokenizer["added_tokens"] = [t for t in tokenizer["added_tokens"] if t["content"] != "[START]"]
    del tokenizer["model"]["vocab"]["[START]"]
    tokenizer["model"]["vocab"]["zz"] = 900
    (bad / "tokenizer.json").write_text(json.dumps(tokenizer))
    with tiny_architecture():
        problems = check_model_dir(bad)
    assert "tokenizer.json lacks the token [START]" in problems
    assert "tokenizer.json has ids beyond the model's 704 text tokens: zz" in problems


def test_the_cli_says_what_is_missing_and_exits_1(ckpt: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    with tiny_architecture():
        ok = runner.invoke(app, ["models", "check", "chatterbox", "--path", str(ckpt)])
        bad = linked_copy(ckpt, tmp_path, without=("t3_cfg.safetensors",))
        result = runner.invoke(app, ["models", "check", "chatterbox", "--path", str(bad)])
    assert ok.exit_code == 0, ok.output
    assert "chatterbox model directory is complete" in ok.output
    assert result.exit_code == 1, result.output
    assert f"{bad} is not a usable chatterbox model directory:" in result.output
    assert "  - t3_cfg.safetensors is missing" in result.output


def test_probe_explains_a_missing_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_CHATTERBOX_PATH", raising=False)
    monkeypatch.delenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH", raising=False)
    why = ChatterboxEngine.probe(Settings(models_dir=tmp_path))
    assert why is not None
    assert f"Chatterbox model files are missing from {tmp_path / 'chatterbox'}" in why
    assert "ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, tokenizer.json" in why
    assert "CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH" in why
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH", str(tmp_path))
    assert f"missing from {tmp_path} (" in (ChatterboxEngine.probe(Settings()) or "")


def test_a_damaged_file_is_refused_at_load(ckpt: Path, tmp_path: Path, data_dir: Path) -> None:
    bad = linked_copy(ckpt, tmp_path, without=("s3gen.safetensors",))
    (bad / "s3gen.safetensors").write_bytes((ckpt / "s3gen.safetensors").read_bytes()[:4096])
    eng = ChatterboxEngine(Settings(data_dir=data_dir), ChatterboxOptions(path=bad))
    with tiny_architecture(), pytest.raises(EngineUnavailable) as caught:
        eng.load("cpu", 1)
    assert f"Chatterbox could not load {bad}" in caught.value.message
    assert "clarion models check chatterbox" in caught.value.message
    assert not eng.loaded


def test_without_conds_pt_a_default_voice_must_be_named(ckpt: Path, tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "m").mkdir()
    bare = linked_copy(ckpt, tmp_path / "m", without=(BUILTIN_CONDS,))
    eng = ChatterboxEngine(Settings(data_dir=tmp_path / "data"), ChatterboxOptions(path=bare))
    assert eng.voices() == []
    with tiny_architecture(), pytest.raises(EngineUnavailable, match=r"has no conds\.pt"):
        eng.load("cpu", 1)
    VoiceStore(tmp_path / "data" / "voices").add("narrator", reference_clip(3.0, 16_000), 16_000)
    eng = ChatterboxEngine(
        Settings(data_dir=tmp_path / "data"),
        ChatterboxOptions(path=bare, default_voice="narrator", max_new_tokens=4),
    )
    with tiny_architecture():
        eng.load("cpu", 1)
    assert eng.default_voice() == "narrator" and eng.voices() == []
    assert len(speak(eng, "Hello.", "narrator")) == eng.stats.recent[-1].tokens * SAMPLES_PER_TOKEN
    with pytest.raises(VoiceNotFound, match="chatterbox has no voice 'default': use narrator"):
        speak(eng, "Hello.", "default")


@can_mount
def test_loads_and_speaks_from_a_read_only_model_directory(ckpt: Path, tmp_path: Path) -> None:
    """The checkpoint seen through a read-only bind mount: the real loader reads it and a
    segment renders."""
    with read_only_view(ckpt, tmp_path / "ro") as path:
        with pytest.raises(OSError):
            (path / "probe").write_text("x")
        engine = ChatterboxEngine(
            Settings(data_dir=tmp_path / "data"), ChatterboxOptions(path=path, max_new_tokens=4)
        )
        with tiny_architecture():
            engine.load("cpu", 1)
        try:
            [audio] = engine.synthesize([Segment("Read only.", engine.default_voice())])
        finally:
            engine.unload()
    assert len(audio) == engine.stats.tokens * SAMPLES_PER_TOKEN > 0
    assert not (ckpt / "probe").exists()


# -- the engine ----------------------------------------------------------------------------------


def test_is_a_cloning_engine_with_one_instance_per_worker(engine: ChatterboxEngine) -> None:
    assert isinstance(engine, Engine)
    caps = engine.capabilities
    assert caps.cloning and not caps.thread_safe and caps.streaming is Streaming.SENTENCE
    assert caps.batch_axis and caps.max_batch_size >= 4
    defaults = ChatterboxEngine.scheduling_defaults(2)
    assert 1 < defaults.max_batch_size <= caps.max_batch_size and defaults.max_wait_ms > 0
    assert caps.languages == ("en",) and engine.sample_rate == RATE
    assert [v.id for v in engine.voices()] == ["default"] and engine.default_voice() == "default"


def test_renders_the_tokens_it_generated(engine: ChatterboxEngine) -> None:
    audio = speak(engine, "The quick brown fox jumps over the lazy dog.")
    last = engine.stats.recent[-1]
    assert audio.dtype == np.float32 and audio.ndim == 1 and np.isfinite(audio).all()
    assert 0 < last.tokens <= CAP
    assert len(audio) == last.tokens * SAMPLES_PER_TOKEN
    assert rms(audio) > 1e-4
    assert last.text == "The quick brown fox jumps over the lazy dog."
    assert last.max_new_tokens == CAP and last.watermarked
    identity = engine.identity()
    assert (identity.package, identity.version, identity.variant) == ("chatterbox-tts", "0.1.7", "shipped")
    assert len(identity.checkpoint) == 16 and dict(identity.options)["watermark"] is True


def test_a_request_cap_cannot_exceed_the_servers(engine: ChatterboxEngine) -> None:
    speak(engine, "Short.", extras={"max_new_tokens": 3})
    assert engine.stats.recent[-1].max_new_tokens == 3 and engine.stats.recent[-1].tokens <= 3
    speak(engine, "Long.", extras={"max_new_tokens": 4000})
    assert engine.stats.recent[-1].max_new_tokens == CAP


def test_the_same_seed_gives_the_same_audio(engine: ChatterboxEngine) -> None:
    a = speak(engine, "Seeded speech.", seed=7)
    speak(engine, "Something else in between.")
    b = speak(engine, "Seeded speech.", seed=7)
    c = speak(engine, "Seeded speech.", seed=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_guidance_off_still_renders(engine: ChatterboxEngine) -> None:
    # T3's sampling loop always runs a guided pair of rows; cfg_weight 0 must not break it.
    audio = speak(engine, "No guidance.", extras={"cfg_weight": 0.0})
    assert engine.stats.recent[-1].cfg_weight == 0.0
    assert len(audio) == engine.stats.recent[-1].tokens * SAMPLES_PER_TOKEN


def test_the_output_carries_the_perth_watermark_unless_turned_off(
    engine: ChatterboxEngine, ckpt: Path, data_dir: Path
) -> None:
    detector = engine.model.watermarker
    marked = speak(engine, "Marked speech.", seed=3)
    plain_engine = make_engine(ckpt, data_dir, watermark=False)
    try:
        plain = speak(plain_engine, "Marked speech.", seed=3)
        assert not plain_engine.stats.recent[-1].watermarked
    finally:
        plain_engine.unload()
    assert len(marked) == len(plain) and not np.array_equal(marked, plain)
    assert detector.get_watermark(marked, RATE).mean() > 0.9
    assert detector.get_watermark(plain, RATE).mean() < 0.1


def test_cloned_conditionals_are_computed_once_per_clip(engine: ChatterboxEngine, data_dir: Path) -> None:
    store = VoiceStore(data_dir / "voices")
    card = store.add("clone-a", reference_clip(3.0, 16_000, seed=11), 16_000)
    computed = len(engine.stats.computed)
    audio = speak(engine, "A cloned voice.", "clone-a")
    assert len(audio) == engine.stats.recent[-1].tokens * SAMPLES_PER_TOKEN
    assert list(engine.stats.computed)[computed:] == [
        ("clone-a", str(data_dir / "voices" / "clone-a" / "reference.wav"), card.sha256)
    ]
    cache = data_dir / "voices" / "clone-a" / "cache" / "chatterbox" / f"conds-{card.sha256}.pt"
    assert cache.is_file()
    memory = engine.stats.from_memory
    speak(engine, "The same voice again.", "clone-a")
    assert len(engine.stats.computed) == computed + 1 and engine.stats.from_memory == memory + 1
    # Another worker (a second instance) reads them from the voice's cache directory.
    other = ChatterboxEngine(
        Settings(data_dir=data_dir), ChatterboxOptions(path=engine.model_dir, max_new_tokens=4)
    )
    with tiny_architecture():
        other.load("cpu", 1)
    speak(other, "From the cache.", "clone-a")
    assert not other.stats.computed and other.stats.from_disk == 1
    other.unload()
    # A new clip under the same name has a new hash: computed afresh.
    card2 = store.add("clone-a", reference_clip(3.0, 16_000, seed=12), 16_000, overwrite=True)
    speak(engine, "A new clip.", "clone-a")
    assert engine.stats.computed[-1] == ("clone-a", str(store.reference("clone-a")), card2.sha256)


def test_an_unknown_voice_names_the_valid_ones(engine: ChatterboxEngine) -> None:
    with pytest.raises(VoiceNotFound, match="chatterbox has no voice 'nobody': use default"):
        speak(engine, "Hello.", "nobody")


def test_an_unloaded_engine_refuses_clearly(ckpt: Path, data_dir: Path) -> None:
    eng = ChatterboxEngine(Settings(data_dir=data_dir), ChatterboxOptions(path=ckpt))
    with pytest.raises(EngineUnavailable, match="the chatterbox engine is not loaded"):
        eng.synthesize([Segment("Hello.", "default")])


# -- batches -------------------------------------------------------------------------------------

# Segments of different lengths and settings: guidance on and off, nucleus sampling, another
# exaggeration, temperature 1 (no scaling) and a cap that ends a row before the others.
BATCH = [
    ("Hi.", {"max_new_tokens": 10}),
    ("The quick brown fox jumps over the lazy dog.", {"cfg_weight": 0.0, "top_p": 0.9, "max_new_tokens": 40}),
    (
        "A medium one here, ok?",
        {
            "exaggeration": 0.3,
            "temperature": 1.0,
            "min_p": 0.0,
            "repetition_penalty": 1.0,
            "max_new_tokens": 40,
        },
    ),
    ("Four words in all.", {"temperature": 0.5, "max_new_tokens": 40}),
]


def alone(
    engine: ChatterboxEngine,
    text: str,
    voice: str,
    extras: dict[str, Any],
    seed: int,
    cap: int,
    render: bool = True,
) -> Any:
    """The package's own path for one segment, as ``ChatterboxTTS.generate`` runs it with the
    engine's conditionals and cap: T3's two guidance rows, ``T3.inference`` sampling from torch's
    generator seeded with ``seed``, then the speech tokens it emitted and ``S3Gen.inference``."""
    import torch
    from chatterbox.models.s3tokenizer import drop_invalid_tokens
    from chatterbox.models.t3.modules.cond_enc import T3Cond

    model = engine.model
    conds = engine._conditionals(voice)
    options = ChatterboxExtras.model_validate(extras)
    tokens = model.tokenizer.text_to_tokens(engine._tts.punc_norm(text))
    tokens = torch.nn.functional.pad(torch.cat([tokens, tokens]), (1, 0), value=model.t3.hp.start_text_token)
    tokens = torch.nn.functional.pad(tokens, (0, 1), value=model.t3.hp.stop_text_token)
    cond = T3Cond(
        speaker_emb=conds.t3.speaker_emb,
        cond_prompt_speech_tokens=conds.t3.cond_prompt_speech_tokens,
        emotion_adv=options.exaggeration * torch.ones(1, 1, 1),
    )
    with torch.inference_mode(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        speech = model.t3.inference(
            t3_cond=cond,
            text_tokens=tokens,
            max_new_tokens=cap,
            temperature=options.temperature,
            cfg_weight=options.cfg_weight,
            repetition_penalty=options.repetition_penalty,
            min_p=options.min_p,
            top_p=options.top_p,
        )
        if not render:  # S3Gen cannot render one or two tokens: only T3 is wanted
            return speech, cond, tokens, None
        valid = drop_invalid_tokens(speech[0])
        valid = valid[valid < 6561]
        wav, _ = model.s3gen.inference(speech_tokens=valid, ref_dict=dict(conds.gen))
    return speech, cond, tokens, wav[0].numpy()


@contextlib.contextmanager
def reachable_stop(engine: ChatterboxEngine, cond: Any, tokens: Any, scale: float) -> Iterator[None]:
    """T3 with the stop token's output row pointed along the backbone's mean output for a
    prompt (``cond``, ``tokens``), ``scale`` long: the random model, which otherwise never emits
    the stop token within a short cap, then does so when its state leans that way. Restored
    afterwards."""
    import torch

    t3 = engine.model.t3
    with torch.inference_mode():
        start = t3.hp.start_speech_token * torch.ones_like(tokens[:, :1])
        embeds, _ = t3.prepare_input_embeds(
            t3_cond=cond, text_tokens=tokens, speech_tokens=start, cfg_weight=0.5
        )
        mean = t3.tfmr(inputs_embeds=embeds).last_hidden_state.reshape(-1, embeds.size(-1)).mean(0)
    weight, stop = t3.speech_head.weight, t3.hp.stop_speech_token
    saved = weight[stop].clone()
    with torch.no_grad():
        weight[stop] = scale * mean / mean.norm()
    try:
        yield
    finally:
        with torch.no_grad():
            weight[stop] = saved


SHARPEN = 4.0  # attention logits x16


@contextlib.contextmanager
def sharp_attention(engine: ChatterboxEngine, factor: float) -> Iterator[None]:
    """T3's query and key projections scaled by ``factor``: random weights attend almost
    uniformly, so a wrong position or mask would barely change a token; sharper attention makes
    the tokens depend on them. Restored afterwards."""
    import torch

    projections = [
        proj.weight
        for layer in engine.model.t3.tfmr.layers
        for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj)
    ]
    saved = [w.clone() for w in projections]
    with torch.no_grad():
        for w in projections:
            w.mul_(factor)
    try:
        yield
    finally:
        with torch.no_grad():
            for w, old in zip(projections, saved, strict=True):
                w.copy_(old)


def test_each_row_of_a_batch_decodes_the_tokens_it_decodes_alone(engine: ChatterboxEngine) -> None:
    """The batched T3 loop against ``T3.inference``: same seed, same tokens, exactly, for rows
    of different text lengths and settings in one forward pass per step, one stopping on the
    stop token and one on its cap while the others go on."""
    import torch

    options = [ChatterboxExtras.model_validate(extras) for _, extras in BATCH]
    caps = [o.max_new_tokens or CAP for o in options]
    stop = engine.model.t3.hp.stop_speech_token
    _, cond, tokens, _ = alone(engine, BATCH[1][0], "default", BATCH[1][1], 99, 8)
    # The first scale that makes a row stop on its own while another goes on (1.2 here; the
    # others in case another CPU's rounding moves the threshold).
    for scale in (1.2, 1.1, 1.3, 1.0, 1.4, 1.6):
        with sharp_attention(engine, SHARPEN), reachable_stop(engine, cond, tokens, scale):
            singles, rows = [], []
            for seed, ((text, extras), opts, cap) in enumerate(
                zip(BATCH, options, caps, strict=True), start=100
            ):
                speech, row_cond, row_tokens, _ = alone(
                    engine, text, "default", extras, seed, cap, render=False
                )
                singles.append(speech)
                rows.append(
                    Row(
                        cond=row_cond,
                        text_tokens=row_tokens,
                        cfg_weight=opts.cfg_weight,
                        temperature=opts.temperature,
                        top_p=opts.top_p,
                        min_p=opts.min_p,
                        repetition_penalty=opts.repetition_penalty,
                        max_new_tokens=cap,
                        generator=torch.Generator().manual_seed(seed),
                    )
                )
            ends = [(single.shape[1], int(single[0, -1]) == stop) for single in singles]
            stopped = [n for n, on_stop in ends if on_stop]
            if not stopped or max(n for n, _ in ends) <= max(stopped):
                continue
            with torch.inference_mode():
                batched = decode(engine.model.t3, rows)
            break
    else:
        pytest.fail("no scale of the stop row made the random model stop within its cap")
    for single, row in zip(singles, batched, strict=True):
        assert torch.equal(single, row), (single, row)
    assert ends[0] == (caps[0], False)  # the capped row ended first, one on the stop token, ...
    assert max(n for n, _ in ends) > max(stopped)  # ... and another went on after both


def test_each_segment_of_a_batch_sounds_as_it_does_alone(engine: ChatterboxEngine, data_dir: Path) -> None:
    """A batch through ``synthesize`` (T3 batched, S3Gen's flow batched per voice, two voices)
    against the package's own path per segment: the same tokens and, within float rounding, the
    same audio, watermarked alike."""
    VoiceStore(data_dir / "voices").add(
        "batch-b", reference_clip(3.0, 16_000, seed=21), 16_000, overwrite=True
    )
    voices = ["default", "batch-b", "default", "default"]
    segments = [
        Segment(text, voice, extras=extras, seed=200 + i)
        for i, ((text, extras), voice) in enumerate(zip(BATCH, voices, strict=True))
    ]
    before = engine.stats.generations
    audios = engine.synthesize(segments)
    records = list(engine.stats.recent)[-len(segments) :]
    assert engine.stats.generations == before + len(segments)
    watermark = engine.model.watermarker
    for seg, audio, record in zip(segments, audios, records, strict=True):
        cap = min(seg.extras.get("max_new_tokens", CAP), CAP)
        speech, _, _, wav = alone(engine, seg.text, seg.voice, dict(seg.extras), seg.seed or 0, cap)
        expected = watermark.apply_watermark(wav, sample_rate=RATE)
        assert record.tokens == int((speech < 6561).sum()) == len(wav) // SAMPLES_PER_TOKEN
        assert record.seed == seg.seed
        assert audio.shape == expected.shape and rms(audio) > 1e-4
        np.testing.assert_allclose(audio, expected, atol=1e-5, rtol=0)
    assert len({len(a) for a in audios}) > 1


def test_concurrent_requests_share_batches_through_the_server(
    engine: ChatterboxEngine, data_dir: Path
) -> None:
    """Requests sent at once through the real server are rendered in shared batches (the
    server's batch-size histogram), and each answers with its own audio."""
    settings = Settings(
        engines=["chatterbox"],
        default_engine="chatterbox",
        data_dir=data_dir,
        cache_memory_mb=0,  # every request reaches the model
        warmup=False,
        engine_options={"chatterbox": EngineOptions(threads=1, max_batch_size=4, max_wait_ms=300)},
        request_timeout_s=300,
    )
    texts = [f"Request number {n} wants its own sentence." for n in range(6)]
    before = engine.stats.generations
    with serve(settings, {"chatterbox": engine}) as running:

        def speak_over_http(text: str) -> httpx.Response:
            body = {"model": "chatterbox", "voice": "default", "input": text, "response_format": "wav"}
            return httpx.post(f"{running.url}/v1/audio/speech", json=body, timeout=300)

        with ThreadPoolExecutor(len(texts)) as pool:
            responses = list(pool.map(speak_over_http, texts))
        metrics = httpx.get(f"{running.url}/metrics", timeout=30).text
    for response in responses:
        assert response.status_code == 200, response.text
        with wave.open(io.BytesIO(response.content)) as w:
            assert (w.getframerate(), w.getnchannels()) == (RATE, 1)
            frames = w.getnframes()
        assert 0 < frames <= CAP * SAMPLES_PER_TOKEN and frames % SAMPLES_PER_TOKEN == 0
    assert engine.stats.generations == before + len(texts)
    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "clarion_batch_size"
        for s in family.samples
        if s.labels.get("engine") == "chatterbox" and s.name.endswith(("_sum", "_count"))
    }
    assert samples["clarion_batch_size_sum"] == len(texts)
    assert samples["clarion_batch_size_count"] < len(texts)  # fewer batches than sentences
