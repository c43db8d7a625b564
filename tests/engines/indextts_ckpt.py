"""An IndexTTS-2 checkpoint with random weights, in the exact on-disk layout that
``indextts.infer_v2.IndexTTS2(model_dir=D)`` of indextts2-inference 2.1.1 reads, plus the hub
models it fetches by name, in a Hugging Face hub cache inside the directory (``hf/``)::

    config.yaml            the official layout with smaller widths and depths
    gpt.pth                UnifiedVoice state dict (GPT-2 backbone, conformer/perceiver conditioning)
    s2mel.pth              {"net": {"cfm": ..., "length_regulator": ..., "gpt_layer": ...}}
    bpe.model              a SentencePiece BPE model trained here on a few sentences
    wav2vec2bert_stats.pt  {"mean", "var"} of the semantic features (1024 values each)
    feat1.pt  feat2.pt     speaker-style (192 wide) and emotion (GPT-wide) matrices, 73 rows
    qwen0.6bemo4-merge/    a Qwen3 causal LM and tokenizer with a chat template (emo_text)
    hf/models--facebook--w2v-bert-2.0/...           Wav2Vec2BertModel + SeamlessM4T feature extractor
    hf/models--amphion--MaskGCT/...                 semantic_codec/model.safetensors (RepCodec)
    hf/models--funasr--campplus/...                 campplus_cn_common.bin (CAMPPlus)
    hf/models--nvidia--bigvgan_v2_22khz_80band_256x/...  config.json + bigvgan_generator.pt
    voices/default.wav     the built-in voice's reference clip

IndexTTS-2 builds its models from these configs, so the shrinking happens in the configs alone and
the loader runs unmodified. Some sizes are fixed by the package's code and stay: the GPT is 1280
wide (s2mel's ``gpt_layer`` takes 1280 inputs), the semantic features are 1024 wide and come from
hidden state 17 of w2v-bert (so it keeps 17 layers, with tiny feed-forward blocks), CAMPPlus is
built at its full size, the speech vocabulary keeps 8192 codes, and BigVGAN keeps its 256x
upsampling to 22.05 kHz.

Also runnable: ``python -m tests.engines.indextts_ckpt [DIR]`` writes one into DIR (default: the
tests' cached one, built once) and prints its path last."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from clarion.engines.indextts import BUILTIN_CLIP, MODEL_FILES
from tests.engines.ckpt_util import build_once

# Bump when the layout or the sizes change: cached checkpoints are rebuilt.
VERSION = 1
REVISION = "0" * 39 + "1"  # the snapshot every hub repo of the cache points at (refs/main)
FILES = (*MODEL_FILES, BUILTIN_CLIP)  # what the engine checks for, and its built-in voice
QWEN_DIR = "qwen0.6bemo4-merge"
EMO_NUM = [3, 17, 2, 8, 4, 5, 10, 24]  # the official config's: rows of feat1/feat2 per emotion
GPT_DIM = 1280
SEMANTIC_DIM = 1024
STYLE_DIM = 192
MAX_MEL_TOKENS = 200  # the GPT's mel position table; tests cap generation far below it

CONFIG: dict[str, Any] = {
    "dataset": {"bpe_model": "bpe.model", "sample_rate": 24000, "squeeze": False},
    "gpt": {
        "model_dim": GPT_DIM,
        "max_mel_tokens": MAX_MEL_TOKENS,
        "max_text_tokens": 120,
        "heads": 20,
        "use_mel_codes_as_input": True,
        "mel_length_compression": 1024,
        "layers": 2,  # official: 24
        "number_text_tokens": 256,  # the tests' BPE model has fewer pieces
        "number_mel_codes": 8194,
        "start_mel_token": 8192,
        "stop_mel_token": 8193,
        "start_text_token": 0,
        "stop_text_token": 1,
        "train_solo_embeddings": False,
        "condition_type": "conformer_perceiver",
        "condition_module": {
            "output_size": 128,
            "linear_units": 128,
            "attention_heads": 2,
            "num_blocks": 1,
            "input_layer": "conv2d2",
            "perceiver_mult": 1,
        },
        "emo_condition_module": {
            "output_size": 128,
            "linear_units": 128,
            "attention_heads": 2,
            "num_blocks": 1,
            "input_layer": "conv2d2",
            "perceiver_mult": 1,
        },
    },
    "semantic_codec": {
        "codebook_size": 8192,
        "hidden_size": SEMANTIC_DIM,
        "codebook_dim": 8,
        "vocos_dim": 64,
        "vocos_intermediate_dim": 128,
        "vocos_num_layers": 1,
    },
    "s2mel": {
        "preprocess_params": {
            "sr": 22050,
            "spect_params": {
                "n_fft": 1024,
                "win_length": 1024,
                "hop_length": 256,
                "n_mels": 80,
                "fmin": 0,
                "fmax": "None",
            },
        },
        "dit_type": "DiT",
        "reg_loss_type": "l1",
        "style_encoder": {"dim": STYLE_DIM},
        "length_regulator": {
            "channels": 64,
            "is_discrete": False,
            "in_channels": SEMANTIC_DIM,
            "content_codebook_size": 2048,
            "sampling_ratios": [1, 1, 1, 1],
            "vector_quantize": False,
            "n_codebooks": 1,
            "quantizer_dropout": 0.0,
            "f0_condition": False,
            "n_f0_bins": 512,
        },
        "DiT": {
            "hidden_dim": 64,
            "num_heads": 2,
            "depth": 2,
            "class_dropout_prob": 0.1,
            "block_size": 8192,
            "in_channels": 80,
            "style_condition": True,
            "final_layer_type": "wavenet",
            "target": "mel",
            "content_dim": 64,
            "content_codebook_size": 1024,
            "content_type": "discrete",
            "f0_condition": False,
            "n_f0_bins": 512,
            "content_codebooks": 1,
            "is_causal": False,
            "long_skip_connection": True,
            "zero_prompt_speech_token": False,
            "time_as_token": False,
            "style_as_token": False,
            "uvit_skip_connection": True,
            "add_resblock_in_transformer": False,
        },
        "wavenet": {
            "hidden_dim": 64,
            "num_layers": 2,
            "kernel_size": 5,
            "dilation_rate": 1,
            "p_dropout": 0.2,
            "style_condition": True,
        },
    },
    "gpt_checkpoint": "gpt.pth",
    "w2v_stat": "wav2vec2bert_stats.pt",
    "s2mel_checkpoint": "s2mel.pth",
    "emo_matrix": "feat2.pt",
    "spk_matrix": "feat1.pt",
    "emo_num": EMO_NUM,
    "qwen_emo_path": f"{QWEN_DIR}/",
    "vocoder": {"type": "bigvgan", "name": "nvidia/bigvgan_v2_22khz_80band_256x"},
    "version": 2.0,
}

# w2v-bert-2.0 (the real one: 24 layers, 4096-wide feed-forward, kernel 31).
W2V_BERT = {
    "hidden_size": SEMANTIC_DIM,
    "num_hidden_layers": 17,  # IndexTTS2.get_emb reads hidden_states[17]
    "num_attention_heads": 16,
    "intermediate_size": 32,
    "conv_depthwise_kernel_size": 3,
    "feature_projection_input_dim": 160,
}
# BigVGAN v2 22 kHz (the real one: 1536 channels, three resblock kernels).
BIGVGAN_CHANGES = {
    "upsample_initial_channel": 128,
    "resblock_kernel_sizes": [3],
    "resblock_dilation_sizes": [[1, 3, 5]],
}
# Qwen3-0.6B (the real one: 28 layers, 1024 wide).
QWEN = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 16,
    "max_position_embeddings": 512,
}
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = (
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.",
    "HELLO THERE, THIS IS A SHORT TEST OF SPEECH SYNTHESIS!",
    "WHAT A WONDERFUL DAY IT IS; SHALL WE GO FOR A WALK?",
    "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN.",
    "你 好 世 界 今 天 天 气 很 好",
    "PACK MY BOX WITH FIVE DOZEN LIQUOR JUGS.",
)
REFERENCE_SECONDS = 2.0


def default_root() -> Path:
    given = os.environ.get("CLARION_TEST_MODELS_DIR")
    return Path(given) if given else Path(tempfile.gettempdir()) / "clarion-test-models"


def tiny_models_dir(root: Path | None = None) -> Path:
    """A models directory whose ``indextts`` subdirectory is the cached tiny checkpoint (under
    ``root``, CLARION_TEST_MODELS_DIR by default), built once; a cached one with a file missing is
    rebuilt."""
    models = (root or default_root()) / f"indextts-tiny-v{VERSION}"
    path = models / "indextts"
    build_once(
        path, lambda p: all((p / name).is_file() for name in FILES) and (p / "hf").is_dir(), write_checkpoint
    )
    return models


def reference_clip(seconds: float = REFERENCE_SECONDS, rate: int = 22_050, seed: int = 0) -> np.ndarray:
    """A voiced-sounding clip: a gliding harmonic tone with a syllable-rate envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t) + 20 * seed % 60
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    clip = 0.2 * voice * envelope + 0.005 * rng.standard_normal(t.size)
    return (clip / np.abs(clip).max() * 0.6).astype(np.float32)


def hub_snapshot(cache: Path, repo: str) -> Path:
    """A repo's snapshot folder in a hub cache, made current through refs/main."""
    base = cache / ("models--" + repo.replace("/", "--"))
    (base / "refs").mkdir(parents=True, exist_ok=True)
    (base / "refs" / "main").write_text(REVISION, encoding="utf-8")
    snapshot = base / "snapshots" / REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


def _write_bpe(path: Path) -> None:
    import sentencepiece as spm

    model = spm.SentencePieceTrainer.train(  # type: ignore[no-untyped-call]
        sentence_iterator=iter(CORPUS * 4),
        model_type="bpe",
        vocab_size=120,
        character_coverage=1.0,
        hard_vocab_limit=False,
        model_writer=(writer := _Writer()),
        minloglevel=2,
    )
    del model
    path.write_bytes(writer.data)


class _Writer:
    data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def _write_qwen(path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    chars = sorted(
        set("".join(CORPUS).lower() + '{}":,.0123456789 \n文本情感分类高兴愤怒悲伤恐惧反感低落惊讶自然')
    )
    vocab = {tok: i for i, tok in enumerate([*specials, "[UNK]", *chars])}
    tok = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="[UNK]"))  # characters, no merges
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="[UNK]"
    )
    tokenizer.add_special_tokens({"additional_special_tokens": specials})
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(str(path))
    config = Qwen3Config(
        vocab_size=len(vocab),
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<|endoftext|>"],
        bos_token_id=vocab["<|endoftext|>"],
        tie_word_embeddings=True,
        **QWEN,
    )
    Qwen3ForCausalLM(config).save_pretrained(str(path))


def write_checkpoint(path: Path, seed: int = 1234) -> None:
    """Build every module with the package's classes from the tests' configs, seeded random
    weights, and save each where and how the loader reads it."""
    from clarion.engines.indextts import import_indextts

    import_indextts()  # first: it imports torchaudio the way that works beside the CPU torch
    import soundfile as sf
    import torch
    import yaml
    from indextts.gpt.model_v2 import UnifiedVoice
    from indextts.s2mel.modules.bigvgan.bigvgan import BigVGAN
    from indextts.s2mel.modules.campplus.DTDNN import CAMPPlus
    from indextts.s2mel.modules.commons import MyModel
    from indextts.utils.maskgct_utils import build_semantic_codec
    from omegaconf import OmegaConf
    from safetensors.torch import save_model
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False), encoding="utf-8")
    cfg = OmegaConf.load(path / "config.yaml")
    hub = path / "hf"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.save(UnifiedVoice(**cfg.gpt).state_dict(), path / "gpt.pth")
        s2mel = MyModel(cfg.s2mel, use_gpt_latent=True)
        torch.save({"net": {k: m.state_dict() for k, m in s2mel.models.items()}}, path / "s2mel.pth")
        rows = sum(EMO_NUM)
        torch.save(torch.randn(rows, STYLE_DIM), path / "feat1.pt")
        torch.save(torch.randn(rows, GPT_DIM) * 0.02, path / "feat2.pt")
        torch.save(
            {"mean": torch.zeros(SEMANTIC_DIM), "var": torch.ones(SEMANTIC_DIM)},
            path / "wav2vec2bert_stats.pt",
        )
        _write_bpe(path / "bpe.model")
        _write_qwen(path / QWEN_DIR)

        w2v = hub_snapshot(hub, "facebook/w2v-bert-2.0")
        Wav2Vec2BertModel(Wav2Vec2BertConfig(**W2V_BERT)).save_pretrained(str(w2v))
        SeamlessM4TFeatureExtractor(
            feature_size=80, num_mel_bins=80, sampling_rate=16000, stride=2, padding_value=1.0
        ).save_pretrained(str(w2v))
        codec = hub_snapshot(hub, "amphion/MaskGCT") / "semantic_codec"
        codec.mkdir()
        save_model(build_semantic_codec(cfg.semantic_codec), str(codec / "model.safetensors"))
        campplus = hub_snapshot(hub, "funasr/campplus")
        torch.save(
            CAMPPlus(feat_dim=80, embedding_size=STYLE_DIM).state_dict(), campplus / "campplus_cn_common.bin"
        )
        vocoder = hub_snapshot(hub, str(cfg.vocoder.name))
        package_config = Path(sys.modules[BigVGAN.__module__].__file__ or "").parent / "config.json"
        h = {**json.loads(package_config.read_text(encoding="utf-8")), **BIGVGAN_CHANGES}
        (vocoder / "config.json").write_text(json.dumps(h, indent=2), encoding="utf-8")
        from indextts.s2mel.modules.bigvgan.env import AttrDict

        torch.save({"generator": BigVGAN(AttrDict(h)).state_dict()}, vocoder / "bigvgan_generator.pt")

    (path / "voices").mkdir()
    sf.write(str(path / "voices" / "default.wav"), reference_clip(), 22_050, subtype="PCM_16")
    (path / "README.txt").write_text(
        f"Random weights for Clarion's tests (tests/engines/indextts_ckpt.py, version {VERSION}).\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    # With DIR: a fresh checkpoint there. Without: the tests' cached one, built once. Either way
    # the last line is the checkpoint's path (for benchmarks/batching_gain.py --tiny).
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        write_checkpoint(target)
    else:
        target = tiny_models_dir() / "indextts"
    print(json.dumps({name: (target / name).stat().st_size for name in FILES}))
    print(target)
