"""A Chatterbox checkpoint with random weights, in the exact on-disk layout that
``ChatterboxTTS.from_local(D, device)`` of chatterbox-tts 0.1.7 reads::

    ve.safetensors      VoiceEncoder state dict
    t3_cfg.safetensors  T3 state dict (Llama backbone, speech/text embeddings and heads, conditioning)
    s3gen.safetensors   S3Gen state dict (S3 tokenizer, CAMPPlus, flow encoder and CFM decoder, HiFT)
    tokenizer.json      a ``tokenizers`` BPE tokenizer with Chatterbox's special tokens
    conds.pt            the built-in voice: ``Conditionals`` computed by the package from a clip

Chatterbox keeps its architecture in code, not in the checkpoint: ``from_local`` builds ``T3()``,
``S3Gen()`` and ``VoiceEncoder()`` at their full size (520M parameters in all) and loads the state
dicts into them. Full size, one sentence costs minutes of CPU here (the CFM decoder alone runs
ten 70M-parameter passes), so the tests shrink the package's own classes while they run
(:func:`tiny_architecture`): the Llama config in ``LLAMA_CONFIGS`` and the default configs of
the S3 tokenizer and voice encoder are edited, and the modules S3Gen and T3's conditioning
encoder build with hard-coded sizes get smaller widths and depths through their constructor
arguments. Every module, every code path and every tensor name stays the package's own; only
widths and depths change where the code allows it (T3 keeps its vocabularies and position
tables, the flow encoder its 512 channels, HiFT its 24 kHz upsampling).

The checkpoint is loaded through the real ``from_local`` with the same shrinking in force, so
any process that loads it must call :func:`tiny_architecture` first; outside it, the loader
and ``clarion models check chatterbox`` refuse it for its shapes, as they should.

Also runnable (see :func:`main`): ``python -m tests.engines.chatterbox_ckpt`` prints the cached
checkpoint's directory, ``... DIR`` writes one into DIR, and ``... serve ARGS`` runs
``clarion serve`` able to load it (benchmarks/batching_gain.py ``--tiny``)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tests.engines.ckpt_util import build_once

# Bump when the layout, the shrinking or the vocabulary change: cached checkpoints are rebuilt.
VERSION = 1
FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json", "conds.pt")

# T3's Llama backbone (the real one: 30 layers, 1024 wide, 16 heads, MLP 4096).
LLAMA = {
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 64,
}
# T3's perceiver resampler must be as wide as the backbone (its defaults: 32 queries, 1024, 4 heads).
PERCEIVER = {"pre_attention_query_size": 256, "embedding_dim": 256}
# S3Gen's parts, as S3Token2Mel / S3Token2Wav construct them.
ENCODER = {"num_blocks": 1, "linear_units": 256}  # 512 wide is fixed by its up-sampling layers
DECODER = {"channels": [64], "n_blocks": 1, "num_mid_blocks": 1, "num_heads": 2, "attention_head_dim": 32}
HIFT = {"base_channels": 32, "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3, 5]]}
F0_PREDICTOR = {"cond_channels": 32}
CAMPPLUS = {"init_channels": 32, "growth_rate": 8, "bn_size": 2}
S3_TOKENIZER = {"n_audio_state": 64, "n_audio_head": 1, "n_audio_layer": 1}  # rotary tables fix heads at 64
VOICE_ENCODER_HIDDEN = 64  # the real LSTM is 256 wide; its 256-value speaker embedding stays

# Chatterbox's special tokens at the ids its code and the released tokenizer give them
# (T3Config: start_text_token 255, stop_text_token 0; 704 text tokens).
SPECIAL_IDS = {
    "[STOP]": 0,
    "[UNK]": 1,
    "[SPACE]": 2,
    "[PAD]": 3,
    "[SEP]": 4,
    "[CLS]": 5,
    "[MASK]": 6,
    "[START]": 255,
}
CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()"
REFERENCE_SECONDS = 2.0  # the built-in voice's clip: short, so the prompt the flow decoder sees is too


def _with_arguments(cls: type[Any], **forced: Any) -> type[Any]:
    """``cls`` constructed with ``forced`` overriding whatever its caller passes: same class
    name and module, so state-dict keys and isinstance checks are unchanged."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        cls.__init__(self, *args, **{**kwargs, **forced})

    return type(cls.__name__, (cls,), {"__init__": __init__, "__module__": cls.__module__})


@contextlib.contextmanager
def tiny_architecture() -> Iterator[None]:
    """Make the chatterbox package build its models at the tests' size, then restore it."""
    from clarion.engines.torch_util import import_torchaudio

    import_torchaudio()  # before chatterbox, which imports torchaudio beside the CPU torch
    import chatterbox.models.s3gen.s3gen as s3gen_module
    import chatterbox.models.t3.modules.cond_enc as cond_enc_module
    from chatterbox.models.t3.llama_configs import LLAMA_CONFIGS
    from chatterbox.models.voice_encoder.config import VoiceEncConfig
    from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2

    saved_llama = LLAMA_CONFIGS["Llama_520M"]
    saved_names = {
        (module, name): getattr(module, name)
        for module, name in [
            (cond_enc_module, "Perceiver"),
            (s3gen_module, "UpsampleConformerEncoder"),
            (s3gen_module, "ConditionalDecoder"),
            (s3gen_module, "HiFTGenerator"),
            (s3gen_module, "ConvRNNF0Predictor"),
            (s3gen_module, "CAMPPlus"),
        ]
    }
    saved_tokenizer_defaults = S3TokenizerV2.__init__.__defaults__
    saved_ve_hidden = VoiceEncConfig.ve_hidden_size
    try:
        LLAMA_CONFIGS["Llama_520M"] = {**saved_llama, **LLAMA}
        cond_enc_module.Perceiver = _with_arguments(cond_enc_module.Perceiver, **PERCEIVER)
        s3gen_module.UpsampleConformerEncoder = _with_arguments(
            s3gen_module.UpsampleConformerEncoder, **ENCODER
        )
        s3gen_module.ConditionalDecoder = _with_arguments(s3gen_module.ConditionalDecoder, **DECODER)
        s3gen_module.HiFTGenerator = _with_arguments(s3gen_module.HiFTGenerator, **HIFT)
        s3gen_module.ConvRNNF0Predictor = _with_arguments(s3gen_module.ConvRNNF0Predictor, **F0_PREDICTOR)
        s3gen_module.CAMPPlus = _with_arguments(s3gen_module.CAMPPlus, **CAMPPLUS)
        # S3Tokenizer builds its encoder from S3TokenizerV2's default config object.
        S3TokenizerV2.__init__.__defaults__ = (ModelConfig(**S3_TOKENIZER),)
        VoiceEncConfig.ve_hidden_size = VOICE_ENCODER_HIDDEN
        yield
    finally:
        LLAMA_CONFIGS["Llama_520M"] = saved_llama
        for (module, name), value in saved_names.items():
            setattr(module, name, value)
        S3TokenizerV2.__init__.__defaults__ = saved_tokenizer_defaults
        VoiceEncConfig.ve_hidden_size = saved_ve_hidden


def default_root() -> Path:
    given = os.environ.get("CLARION_TEST_MODELS_DIR")
    return Path(given) if given else Path(tempfile.gettempdir()) / "clarion-test-models"


def tiny_models_dir(root: Path | None = None) -> Path:
    """A models directory whose ``chatterbox`` subdirectory is the cached tiny checkpoint
    (under ``root``, CLARION_TEST_MODELS_DIR by default), built once; a cached one with a file
    missing is rebuilt. Call it inside :func:`tiny_architecture`."""
    models = (root or default_root()) / f"chatterbox-tiny-v{VERSION}"
    path = models / "chatterbox"
    build_once(path, lambda p: all((p / name).is_file() for name in FILES), write_checkpoint)
    return models


def write_tokenizer(path: Path) -> None:
    """Characters as BPE pieces with no merges, and the special tokens at their ids."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE

    vocab = dict(SPECIAL_IDS)
    next_id = max(i for i in SPECIAL_IDS.values() if i < 255) + 1
    for ch in CHARACTERS:
        vocab[ch] = next_id
        next_id += 1
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(list(SPECIAL_IDS))
    tokenizer.save(str(path))


def reference_clip(seconds: float = REFERENCE_SECONDS, rate: int = 24_000, seed: int = 0) -> np.ndarray:
    """A voiced-sounding clip: a gliding harmonic tone with a syllable-rate envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    clip = 0.2 * voice * envelope + 0.005 * rng.standard_normal(t.size)
    return (clip / np.abs(clip).max() * 0.6).astype(np.float32)


def write_checkpoint(path: Path, seed: int = 1234) -> None:
    """Build every module with the package's classes at the tests' size, seeded random weights,
    and save them as ``from_local`` reads them; then load them back through ``from_local`` and
    let the package compute the built-in voice's conditionals from a synthetic clip."""
    import soundfile as sf
    import torch
    from safetensors.torch import save_file

    from clarion.engines.torch_util import import_torchaudio

    import_torchaudio()
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS

    path.mkdir(parents=True, exist_ok=True)
    with tiny_architecture(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name, module in (("ve", VoiceEncoder()), ("t3_cfg", T3()), ("s3gen", S3Gen())):
            state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
            save_file(state, str(path / f"{name}.safetensors"))
        write_tokenizer(path / "tokenizer.json")
        clip = path / "reference.wav"
        sf.write(str(clip), reference_clip(), 24_000, subtype="PCM_16")
        model = ChatterboxTTS.from_local(path, "cpu")
        model.prepare_conditionals(str(clip), exaggeration=0.5)
        model.conds.save(path / "conds.pt")
        clip.unlink()
    (path / "README.txt").write_text(
        f"Random weights for Clarion's tests (tests/engines/chatterbox_ckpt.py, version {VERSION}).\n"
        "Shrunk architecture: loads only with tests.engines.chatterbox_ckpt.tiny_architecture() in force.\n",
        encoding="utf-8",
    )


def main(argv: list[str]) -> None:
    """``python -m tests.engines.chatterbox_ckpt``: build the cached checkpoint once and print
    its directory; ``... DIR``: write one into DIR; ``... serve ARGS``: run ``clarion serve ARGS``
    with the tests' sizes in force, so that a server (a benchmark's) can load the tiny checkpoint
    (point CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH at it)."""
    if argv[:1] == ["serve"]:
        from clarion.cli import app

        with tiny_architecture():
            app(argv, prog_name="clarion")
        return
    if argv:
        target = Path(argv[0])
        write_checkpoint(target)
        print(json.dumps({name: (target / name).stat().st_size for name in FILES}))
        return
    with tiny_architecture():
        print(tiny_models_dir() / "chatterbox")


if __name__ == "__main__":
    main(sys.argv[1:])
