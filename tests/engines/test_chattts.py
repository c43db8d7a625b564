"""ChatTTS through the package's real loader and ``Chat.infer``, on a checkpoint with random
weights in the official layout (tests/engines/chattts_ckpt.py): loading and integrity, the
model-directory check, batching, token streaming, seeds, voices and the text that reaches
the model. The random model never ends a segment by itself, so every segment runs to the
token cap and its length is known: hop * (2 * tokens - 1) samples at 24 kHz."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clarion.cli import app
from clarion.config import Settings
from clarion.engines.base import ChecksModelDir, Engine, Segment, Streaming, StreamsBatches
from clarion.engines.chattts import (
    ASSET_FILES,
    MANIFEST_FILE,
    ChatTTSEngine,
    ChatTTSOptions,
    TextPrep,
    check_model_dir,
    speaker_from_seed,
)
from clarion.errors import EngineError, EngineUnavailable, InvalidRequest, VoiceNotFound
from tests.engines.chattts_ckpt import tiny_checkpoint
from tests.mounts import can_mount, read_only_view
from tests.signals import rms

if importlib.util.find_spec("ChatTTS") is None:  # not importorskip: importing it needs the torchaudio shim
    pytest.skip("the chattts extra is not installed", allow_module_level=True)

# All slow: importing torch and ChatTTS costs ~15 s per process (far more on a slow CPU),
# and every test here loads or checks the real modules.
pytestmark = pytest.mark.slow

RATE = 24_000
HOP = 256  # vocoder hop; each audio token is two frames
CAP = 32  # tokens per segment in these tests
STREAM_BATCH = 8


def samples_for(tokens: int) -> int:
    return HOP * (2 * tokens - 1)


@pytest.fixture(scope="module")
def ckpt() -> Path:
    return tiny_checkpoint()


@pytest.fixture(scope="module")
def engine(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatTTSEngine]:
    options = ChatTTSOptions(
        path=ckpt, max_new_token=CAP, stream_batch=STREAM_BATCH, voices_dir=tmp_path_factory.mktemp("voices")
    )
    eng = ChatTTSEngine(Settings(), options)
    eng.load("cpu", 1)
    yield eng
    eng.unload()


def linked_copy(src: Path, dest: Path, without: tuple[str, ...] = ()) -> Path:
    """The checkpoint's files as symlinks in a directory of our own (no 380 MB copy)."""
    for rel in (*ASSET_FILES, MANIFEST_FILE):
        if rel in without or not (src / rel).exists():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).symlink_to(src / rel)
    return dest


def replace_file(path: Path, content: bytes) -> None:
    path.unlink()
    path.write_bytes(content)


# -- the model directory -------------------------------------------------------------------------


def test_the_generated_checkpoint_passes_the_check(ckpt: Path) -> None:
    assert check_model_dir(ckpt) == []
    assert isinstance(ChatTTSEngine, ChecksModelDir)


def test_check_names_each_missing_file(ckpt: Path, tmp_path: Path) -> None:
    bad = linked_copy(ckpt, tmp_path, without=("asset/gpt/config.json", "asset/Vocos.safetensors"))
    problems = check_model_dir(bad)
    assert "missing asset/gpt/config.json" in problems
    assert "missing asset/Vocos.safetensors" in problems
    assert check_model_dir(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} is not a directory"]


def test_check_reports_wrong_shapes_configs_and_tokenizers(ckpt: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    bad = linked_copy(ckpt, tmp_path)
    (bad / "asset/Embed.safetensors").unlink()
    save_file({"emb_text.weight": torch.zeros(21178, 8)}, str(bad / "asset/Embed.safetensors"))
    config = json.loads((ckpt / "asset/gpt/config.json").read_text())
    replace_file(bad / "asset/gpt/config.json", json.dumps({**config, "hidden_size": 384}).encode())
    tokenizer = json.loads((ckpt / "asset/tokenizer/tokenizer.json").read_text())
    tokenizer["added_tokens"] = [t for t in tokenizer["added_tokens"] if t["content"] != "[spk_emb]"]
    del tokenizer["model"]["vocab"]["[spk_emb]"]
    replace_file(bad / "asset/tokenizer/tokenizer.json", json.dumps(tokenizer).encode())

    problems = "\n".join(check_model_dir(bad))
    assert "asset/Embed.safetensors: emb_text.weight has shape (21178, 8), expected (21178, 768)" in problems
    assert "asset/Embed.safetensors lacks 14 tensor(s)" in problems
    assert "hidden_size 384 differs from ChatTTS's embedding width 768" in problems
    # The GPT's shapes follow its config.json: a 384-wide config does not fit 768-wide weights.
    assert (
        "asset/gpt/model.safetensors: layers.0.mlp.up_proj.weight has shape (1024, 768), expected (1024, 384)"
        in (problems)
    )
    assert "lacks ChatTTS's control tokens [spk_emb]" in problems
    # The files no longer match the manifest that came with them.
    assert "asset/Embed.safetensors: sha256 differs from clarion-manifest.json" in problems

    replace_file(bad / "asset/gpt/config.json", b"{not json")
    assert any("asset/gpt/config.json is not readable JSON" in p for p in check_model_dir(bad))


def test_the_cli_says_what_is_missing_and_exits_1(ckpt: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["models", "check", "chattts", "--path", str(ckpt)])
    assert ok.exit_code == 0, ok.output
    assert "model directory is complete" in ok.output

    bad = linked_copy(ckpt, tmp_path, without=("asset/tokenizer/tokenizer.json", "asset/DVAE.safetensors"))
    result = runner.invoke(app, ["models", "check", "chattts", "--path", str(bad)])
    assert result.exit_code == 1
    assert "  - missing asset/tokenizer/tokenizer.json\n" in result.output
    assert "  - missing asset/DVAE.safetensors\n" in result.output

    unknown = runner.invoke(app, ["models", "check", "nosuchengine", "--path", str(bad)])
    assert unknown.exit_code != 0 and "no engine named 'nosuchengine'" in unknown.output


def test_custom_weights_need_a_manifest_which_the_cli_writes(ckpt: Path, tmp_path: Path) -> None:
    """Without a manifest the package's own map (the official release) is the reference, and
    these random files fail it, at the check and at the real loader alike."""
    custom = linked_copy(ckpt, tmp_path, without=(MANIFEST_FILE,))
    problems = check_model_dir(custom)
    assert len(problems) == 1 and "9 file(s) differ from the official ChatTTS release" in problems[0]
    assert "--write-manifest" in problems[0]
    with pytest.raises(EngineUnavailable, match="differ from the official ChatTTS release"):
        ChatTTSEngine(Settings(), ChatTTSOptions(path=custom)).load("cpu", 1)

    result = CliRunner().invoke(
        app, ["models", "check", "chattts", "--path", str(custom), "--write-manifest"]
    )
    assert result.exit_code == 0, result.output
    assert (custom / MANIFEST_FILE).is_file() and check_model_dir(custom) == []


def test_a_damaged_file_is_refused_by_the_loader(ckpt: Path, tmp_path: Path) -> None:
    damaged = linked_copy(ckpt, tmp_path)
    config = (ckpt / "asset/tokenizer/tokenizer_config.json").read_bytes()
    replace_file(damaged / "asset/tokenizer/tokenizer_config.json", config + b"\n")
    with pytest.raises(
        EngineUnavailable, match=r"tokenizer_config.json: sha256 differs from clarion-manifest"
    ):
        ChatTTSEngine(Settings(), ChatTTSOptions(path=damaged)).load("cpu", 1)


def test_probe_explains_a_missing_checkpoint(
    tmp_path: Path, ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_CHATTTS_PATH", raising=False)
    monkeypatch.delenv("CLARION_ENGINE_OPTIONS__CHATTTS__PATH", raising=False)
    why = ChatTTSEngine.probe(Settings(models_dir=tmp_path))
    assert why is not None and f"no ChatTTS checkpoint in {tmp_path / 'chattts'}" in why
    assert "CLARION_ENGINE_OPTIONS__CHATTTS__PATH" in why
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTTS__PATH", str(ckpt))
    assert ChatTTSEngine.probe(Settings(models_dir=tmp_path)) is None


@can_mount
def test_loads_and_speaks_from_a_read_only_model_directory(ckpt: Path, tmp_path: Path) -> None:
    """The checkpoint seen through a read-only bind mount: the real loader reads it, a segment
    renders, and a voice cannot be saved next to it."""
    with read_only_view(ckpt, tmp_path / "ro") as path:
        with pytest.raises(OSError):
            (path / "probe").write_text("x")
        engine = ChatTTSEngine(Settings(), ChatTTSOptions(path=path, max_new_token=8))
        engine.load("cpu", 1)
        try:
            [audio] = engine.synthesize([Segment("Read only.", engine.default_voice())])
            with pytest.raises(EngineError) as refused:
                engine.save_voice("mine", seed=1)
        finally:
            engine.unload()
    assert samples_for(8) - 64 <= len(audio) <= samples_for(8)
    assert "set CLARION_ENGINE_OPTIONS__CHATTTS__VOICES_DIR to a writable directory" in refused.value.message
    assert not (ckpt / "voices").exists() and not (ckpt / "probe").exists()


# -- synthesis -----------------------------------------------------------------------------------


def test_is_an_engine_with_token_streaming(engine: ChatTTSEngine) -> None:
    assert isinstance(engine, Engine) and isinstance(engine, StreamsBatches)
    caps = ChatTTSEngine.capabilities
    assert (caps.batch_axis, caps.streaming, caps.thread_safe) == (True, Streaming.TOKEN, False)
    assert engine.sample_rate == RATE
    voices = {v.id: v for v in engine.voices()}
    assert {"seed_2222", "seed_7869"} <= set(voices)
    assert voices["seed_2222"].sample_rate == RATE and voices["seed_2222"].language == "zh-CN"
    assert "random weights" in voices["seed_2222"].licence  # from the checkpoint's manifest
    assert engine.default_voice("en") == "seed_2222"


def test_a_batch_of_four_is_one_infer_call(engine: ChatTTSEngine) -> None:
    texts = ["One.", "The second one is longer.", "Third.", "And the fourth sentence."]
    calls = engine.stats.infer_calls
    out = engine.synthesize([Segment(t, "seed_2222") for t in texts])
    assert engine.stats.infer_calls == calls + 1
    assert engine.stats.batch_sizes[-1] == 4
    assert len(out) == 4
    for audio in out:
        assert audio.dtype == np.float32 and audio.ndim == 1
        # infer() drops near-silent samples; a few of the noise's zero crossings go with them.
        assert samples_for(CAP) - 64 <= len(audio) <= samples_for(CAP)
        assert rms(audio) > 0.01


def test_padding_of_shorter_items_is_silenced_before_trimming(engine: ChatTTSEngine) -> None:
    """ChatTTS decodes a batch padded to its longest item; the padded frames of a shorter
    item are zeroed so that none of the decoded padding noise follows it."""
    import torch

    chat = engine._chat
    states = [torch.randn(30, 768), torch.randn(12, 768)]
    with torch.inference_mode():
        wavs = chat._decode_to_wavs(states, True)
    assert wavs.shape == (2, samples_for(30))
    assert chat.last_valid == [samples_for(30), samples_for(12)]
    assert np.all(wavs[1, samples_for(12) :] == 0.0)
    assert rms(wavs[1, : samples_for(12)]) > 0.01 and rms(wavs[0, samples_for(12) :]) > 0.01


def test_token_streaming_hands_out_each_item_in_order_as_it_is_generated(engine: ChatTTSEngine) -> None:
    batch = [Segment("Streaming starts early.", "seed_2222"), Segment("So does this.", "seed_7869")]
    calls = engine.stats.infer_calls
    chunks: list[list[np.ndarray]] = []
    tokens_at_first_chunk = None
    for parts in engine.synthesize_stream(batch):
        if tokens_at_first_chunk is None and any(len(p) for p in parts):
            tokens_at_first_chunk = engine._chat.tokens
        chunks.append(parts)
    assert engine.stats.infer_calls == calls + 2  # one call per speaker
    # The package holds back the first two 8-token batches, then cuts a chunk per batch.
    for k in range(2):
        lengths = [len(parts[k]) for parts in chunks]
        nonempty = [n for n in lengths if n]
        assert nonempty == [12000, samples_for(32) - 12000]
        assert sum(lengths) == samples_for(CAP)
    # Each speaker's call: the first chunk was cut when 24 of its 32 tokens existed.
    assert tokens_at_first_chunk == 24


def test_the_same_seed_gives_the_same_audio_whatever_runs_beside_it(engine: ChatTTSEngine) -> None:
    text = "A reproducible sentence."
    alone = engine.synthesize([Segment(text, "seed_2222", seed=7)])[0]
    again = engine.synthesize([Segment(text, "seed_2222", seed=7)])[0]
    np.testing.assert_array_equal(alone, again)
    other_seed = engine.synthesize([Segment(text, "seed_2222", seed=8)])[0]
    assert not np.array_equal(alone, other_seed)

    calls = engine.stats.infer_calls
    mixed = engine.synthesize(
        [
            Segment(text, "seed_2222", seed=7),
            Segment("Unseeded.", "seed_2222"),
            Segment("Two.", "seed_2222", seed=7),
        ]
    )
    np.testing.assert_array_equal(mixed[0], alone)
    assert engine.stats.infer_calls == calls + 3  # seeded segments render alone


def test_seed_voices_are_the_packages_own_speakers(engine: ChatTTSEngine) -> None:
    """``seed_<n>`` is what ``torch.manual_seed(n); chat.sample_random_speaker()`` gives on the
    CPU, and sampling it leaves the global random state alone."""
    import torch

    state = torch.get_rng_state()
    emb = speaker_from_seed(2222)
    assert torch.equal(state, torch.get_rng_state())
    torch.manual_seed(2222)
    assert engine._chat.sample_random_speaker() == emb
    assert speaker_from_seed(7869) != emb

    text = "Same words, another speaker."
    a = engine.synthesize([Segment(text, "seed_2222", seed=3)])[0]
    b = engine.synthesize([Segment(text, "seed_7869", seed=3)])[0]
    assert not np.array_equal(a, b)  # the speaker embedding reaches the model


def test_saved_voices_persist_and_speak(engine: ChatTTSEngine, ckpt: Path) -> None:
    info = engine.save_voice("narrator", seed=42)
    assert (info.id, info.engine, info.sample_rate) == ("narrator", "chattts", RATE)
    saved = json.loads((engine.voices_dir / "narrator.json").read_text())
    assert saved["spk_emb"] == speaker_from_seed(42)
    assert "narrator" in {v.id for v in engine.voices()}

    text = "Saved speakers speak."
    by_name = engine.synthesize([Segment(text, "narrator", seed=5)])[0]
    engine.save_voice("copy", spk_emb=saved["spk_emb"])
    np.testing.assert_array_equal(engine.synthesize([Segment(text, "copy", seed=5)])[0], by_name)

    # A fresh instance lists them without loading anything.
    fresh = ChatTTSEngine(Settings(), ChatTTSOptions(path=ckpt, voices_dir=engine.voices_dir))
    assert {"narrator", "copy", "seed_2222"} <= {v.id for v in fresh.voices()}

    with pytest.raises(InvalidRequest, match="not a ChatTTS speaker embedding"):
        engine.save_voice("broken", spk_emb="not an embedding")
    with pytest.raises(InvalidRequest, match="must be 1-64"):
        engine.save_voice("../escape", seed=1)
    with pytest.raises(VoiceNotFound, match="chattts has no voice 'nobody'"):
        engine.synthesize([Segment(text, "nobody")])


@pytest.fixture
def interpreted_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    """ChatTTS's own normaliser, its numba helpers run as the plain Python they are written in
    (``py_func``) rather than compiled: the same logic, without the compile (80 s here)."""
    import ChatTTS.norm

    for name in ("_find_index", "_fast_replace", "_split_tags", "_combine_tags"):
        monkeypatch.setattr(ChatTTS.norm, name, getattr(ChatTTS.norm, name).py_func)


PREP_CORPUS = (
    "Call 911 about room 42.",
    "It's 3:30 pm; the fee is $12.50 (VAT incl.) & that's it!",
    "[laugh]Hello there[uv_break] my friend.",
    "Café naïve 🙂 – résumé…",
    "我有3个苹果，价格是12.5元。",
    "他说：“你好！”然后[uv_break]走了；还剩25%。",
    "混合 English 和中文，2024年10月1日。",
    "這個國家的人後來會說：喔，對！",  # traditional characters: the homophone table maps them
)


@pytest.mark.usefixtures("interpreted_helpers")
def test_text_prep_is_what_chattts_normaliser_gives(engine: ChatTTSEngine) -> None:
    """Clarion runs ChatTTS's normaliser steps without its numba-compiled helpers (compiled at
    every process's first request); the package's own ``Normalizer`` is the reference."""
    package = engine._chat.normalizer  # with Clarion's front end registered, as in serving
    prep = TextPrep(package)
    for text in PREP_CORPUS:
        assert prep(text) == package(text, True, True, None), text
    assert prep("這個國家") == "这个国家"  # the homophone table is applied


@pytest.mark.usefixtures("interpreted_helpers")
def test_digits_reach_the_model_as_words(engine: ChatTTSEngine) -> None:
    """Straight to the engine (no service front end in between): Clarion's normaliser is
    registered inside ChatTTS, which without it deletes every digit."""
    engine.synthesize([Segment("Call 911 about room 42.", "seed_2222")])
    assert engine.stats.texts[-1] == "Call nine one one about room forty two."  # 911 is a number to dial

    import ChatTTS
    from ChatTTS.norm import Normalizer

    bare = Normalizer(str(Path(ChatTTS.__file__).parent / "res" / "homophones_map.json"))
    assert bare("Call 911 about room 42.", True, True, "en") == "Call  about room ."


def test_punctuation_only_segments_render_empty(engine: ChatTTSEngine) -> None:
    calls = engine.stats.infer_calls
    out = engine.synthesize([Segment("...", "seed_2222"), Segment("Words.", "seed_2222")])
    assert len(out[0]) == 0 and len(out[1]) > 0
    assert engine.stats.batch_sizes[-1] == 1 and engine.stats.infer_calls == calls + 1


def test_an_unloaded_engine_refuses_clearly(ckpt: Path) -> None:
    eng = ChatTTSEngine(Settings(), ChatTTSOptions(path=ckpt))
    assert not eng.loaded
    with pytest.raises(EngineUnavailable, match="the chattts engine is not loaded"):
        eng.synthesize([Segment("x", "seed_2222")])


def test_memory_does_not_grow_per_request(engine: ChatTTSEngine) -> None:
    """No autograd graph, cache or record kept per call: after the allocator has warmed up,
    thirty more segments (15 batches of two) leave the process's resident memory where it was."""

    def rss_mb() -> float:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    batch = [Segment("Memory stays where it was.", "seed_2222"), Segment("So it does.", "seed_2222")]
    for _ in range(3):
        engine.synthesize(batch)
    before = rss_mb()
    for _ in range(15):
        engine.synthesize(batch)
    assert rss_mb() - before < 25, (before, rss_mb())  # under 1 MB a segment
