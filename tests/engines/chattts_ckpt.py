"""A ChatTTS checkpoint with random weights, in the exact on-disk layout that
``Chat.load(source="custom", custom_path=D)`` of chattts 0.2.5 reads:

    asset/Vocos.safetensors  asset/DVAE.safetensors  asset/Decoder.safetensors  asset/Embed.safetensors
    asset/gpt/config.json  asset/gpt/model.safetensors  (a transformers LlamaModel, 2 layers here)
    asset/tokenizer/{tokenizer.json, tokenizer_config.json, special_tokens_map.json}  (BERT WordPiece)

Every module is built by the package's own classes from its own ``Config`` (so the shapes are the
real ones); only the GPT is shrunk, through its config.json, which is where the loader reads its
depth from. The tokenizer knows the CJK Unified Ideographs, a-z, digits, the punctuation the
ChatTTS normaliser keeps, and ChatTTS's control tokens. A ``clarion-manifest.json`` records the
files' hashes, which is how Clarion verifies a custom checkpoint.

Also runnable: ``python -m tests.engines.chattts_ckpt DIR`` writes one into DIR."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.engines.ckpt_util import build_once

# Bump when the layout, shapes or vocabulary change: cached checkpoints are then rebuilt.
VERSION = 1
GPT_LAYERS = 2
GPT_INTERMEDIATE = 1024  # the real one is 3072; depth and width of the MLP are free, hidden size is not

# ChatTTS's control tokens (prompts, speaker slot, breaks, laughter, speed), as its code uses them.
CONTROL_TOKENS: tuple[str, ...] = (
    "[Stts]",
    "[Ptts]",
    "[Etts]",
    "[spk_emb]",
    "[empty_spk]",
    "[Sbreak]",
    "[Pbreak]",
    "[Ebreak]",
    "[uv_break]",
    "[v_break]",
    "[lbreak]",
    "[laugh]",
    *(f"[break_{i}]" for i in range(8)),
    *(f"[laugh_{i}]" for i in range(3)),
    *(f"[oral_{i}]" for i in range(10)),
    *(f"[speed_{i}]" for i in range(10)),
)
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PUNCTUATION = tuple(",.，。、!?！？'\"-:;")


def default_root() -> Path:
    given = os.environ.get("CLARION_TEST_MODELS_DIR")
    return Path(given) if given else Path(tempfile.gettempdir()) / "clarion-test-models"


def tiny_checkpoint(root: Path | None = None) -> Path:
    """The cached tiny checkpoint under ``root`` (CLARION_TEST_MODELS_DIR by default), built
    once. A cached one with a file missing or its manifest unreadable is rebuilt; its hashes
    are verified by the loader at every load, so a damaged file still shows up there."""
    from clarion.engines.chattts import ASSET_FILES, read_manifest

    def complete(path: Path) -> bool:
        manifest, problems = read_manifest(path)
        return manifest is not None and not problems and all((path / rel).is_file() for rel in ASSET_FILES)

    path = (root or default_root()) / f"chattts-tiny-v{VERSION}"
    build_once(path, complete, write_checkpoint)
    return path


def write_checkpoint(dest: Path, *, seed: int = 0) -> None:
    from clarion.engines.chattts import write_manifest
    from clarion.engines.torch_util import import_torchaudio

    import_torchaudio()
    import torch
    from ChatTTS.config import Config
    from ChatTTS.model import DVAE, Embed
    from safetensors.torch import save_file
    from transformers import LlamaConfig, LlamaModel
    from vocos import Vocos
    from vocos.pretrained import instantiate_class

    cfg = Config()
    asset = dest / "asset"
    (asset / "gpt").mkdir(parents=True, exist_ok=True)
    (asset / "tokenizer").mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)

    def save(module: torch.nn.Module, path: Path, drop: tuple[str, ...] = ()) -> None:
        state = {k: v.detach().contiguous().clone() for k, v in module.state_dict().items() if k not in drop}
        save_file(state, str(path), metadata={"format": "pt"})

    with torch.no_grad():
        vocos = Vocos(
            feature_extractor=instantiate_class(args=(), init=asdict(cfg.vocos.feature_extractor)),
            backbone=instantiate_class(args=(), init=asdict(cfg.vocos.backbone)),
            head=instantiate_class(args=(), init=asdict(cfg.vocos.head)),
        )
        # The head's first half is log-magnitude, the second phase. Random log-magnitudes swing
        # the output from silence to clipping; near-constant ones (with random phases) give
        # noise at a speech-like level (RMS about 0.05), which the tests can tell from silence.
        bins = vocos.head.out.out_features // 2
        vocos.head.out.weight[:bins].mul_(0.05)
        vocos.head.out.bias[:bins].fill_(1.3)
        save(vocos, asset / "Vocos.safetensors")
        dvae = DVAE(
            decoder_config=asdict(cfg.dvae.decoder),
            encoder_config=asdict(cfg.dvae.encoder),
            vq_config=asdict(cfg.dvae.vq),
            dim=cfg.dvae.decoder.idim,
        )
        save(dvae, asset / "DVAE.safetensors")
        decoder = DVAE(decoder_config=asdict(cfg.decoder), dim=cfg.decoder.idim)
        save(decoder, asset / "Decoder.safetensors")
        embed = Embed(
            cfg.embed.hidden_size, cfg.embed.num_audio_tokens, cfg.embed.num_text_tokens, cfg.embed.num_vq
        )
        # Like an untrained model, this one never ends a segment by itself: the end token's
        # logit is held at 0 while top-k keeps only the 20 highest of 625 random ones. Every
        # segment then runs to the token cap, so lengths are known in advance.
        eos = cfg.gpt.num_audio_tokens - 1
        for head in embed.head_code:
            head.parametrizations.weight.original0[eos] = 0.0
        save(embed, asset / "Embed.safetensors")

        gpt_config = {
            **asdict(cfg.gpt),
            "num_hidden_layers": GPT_LAYERS,
            "intermediate_size": GPT_INTERMEDIATE,
        }
        llama_config = LlamaConfig(**gpt_config)
        llama = LlamaModel(llama_config)
        llama_config.to_json_file(str(asset / "gpt" / "config.json"))
        # ChatTTS embeds inputs itself and deletes the Llama token embedding after loading.
        save(llama, asset / "gpt" / "model.safetensors", drop=("embed_tokens.weight",))

    _write_tokenizer(asset / "tokenizer", cfg.gpt.num_text_tokens)
    write_manifest(dest, licence="random weights generated for Clarion's tests (no licence needed)")


def _write_tokenizer(dest: Path, max_tokens: int) -> None:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import BertTokenizerFast

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    digits = [str(d) for d in range(10)]
    cjk = [chr(c) for c in range(0x4E00, 0x9FA6)]
    tokens = [
        *BERT_SPECIALS,
        *PUNCTUATION,
        *letters,
        *(f"##{c}" for c in letters),
        *digits,
        *(f"##{d}" for d in digits),
        *cjk,
        *CONTROL_TOKENS,  # last, as in ChatTTS: refinement keeps only ids below [break_0]
    ]
    assert len(tokens) <= max_tokens, (len(tokens), max_tokens)
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens([*BERT_SPECIALS, *CONTROL_TOKENS])
    specials: dict[str, Any] = {
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    fast = BertTokenizerFast(tokenizer_object=tok, **specials)
    fast.save_pretrained(str(dest))
    # transformers 5 no longer writes this file; ChatTTS's loader checks for it.
    (dest / "special_tokens_map.json").write_text(json.dumps(specials, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target is None:
        print(tiny_checkpoint())
    else:
        write_checkpoint(target)
        print(target)
