"""A ChatTTS model directory: the files ``Chat.load(source="custom")`` reads, the manifest
that records a custom checkpoint's hashes, and the checks ``clarion models check chattts`` runs."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clarion.engines.torch_util import (
    import_torchaudio,
)
from clarion.errors import EngineUnavailable

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
CODE_LICENCE = "AGPL-3.0-or-later (chattts package)"
OFFICIAL_WEIGHTS_LICENCE = "CC-BY-NC-4.0 (official ChatTTS weights)"
MANIFEST_FILE = "clarion-manifest.json"
MANIFEST_FORMAT = 1
# The files Chat.load(source="custom") reads and verifies, relative to the model directory.
ASSET_FILES: tuple[str, ...] = (
    "asset/Decoder.safetensors",
    "asset/DVAE.safetensors",
    "asset/Embed.safetensors",
    "asset/Vocos.safetensors",
    "asset/gpt/config.json",
    "asset/gpt/model.safetensors",
    "asset/tokenizer/special_tokens_map.json",
    "asset/tokenizer/tokenizer_config.json",
    "asset/tokenizer/tokenizer.json",
)
# Tokens ChatTTS's code looks up by name; a tokenizer without them cannot drive the model.
REQUIRED_TOKENS: tuple[str, ...] = (
    "[Stts]",
    "[Ptts]",
    "[spk_emb]",
    "[empty_spk]",
    "[Sbreak]",
    "[Pbreak]",
    "[break_0]",
    "[Ebreak]",
    "[speed_5]",
)


def chattts_key(relative: str) -> str:
    """A file's key in ChatTTS's sha256 map ("asset/gpt/config.json" -> "sha256_asset_gpt_config_json")."""
    return "sha256_" + relative.replace("/", "_").replace(".", "_")


def sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(frozen=True, slots=True)
class Manifest:
    hashes: dict[str, str]  # relative path -> sha256
    licence: str

    def chattts_map(self) -> dict[str, str]:
        return {chattts_key(rel): digest for rel, digest in self.hashes.items()}


def write_manifest(path: Path, licence: str | None = None) -> Path:
    """Record the sha256 of every checkpoint file in ``clarion-manifest.json``: the statement
    that these files are the intended ones, against which every later load is verified."""
    missing = [rel for rel in ASSET_FILES if not (path / rel).is_file()]
    if missing:
        raise EngineUnavailable(f"cannot write a manifest for {path}: missing {', '.join(missing)}")
    files = {
        rel: {"sha256": sha256_file(path / rel), "bytes": (path / rel).stat().st_size} for rel in ASSET_FILES
    }
    body = {
        "format": MANIFEST_FORMAT,
        "engine": "chattts",
        "licence": licence or "unknown: state the weights' licence here",
        "files": files,
    }
    target = path / MANIFEST_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def read_manifest(path: Path) -> tuple[Manifest | None, list[str]]:
    """The directory's manifest (None if it has none) and what is wrong with it."""
    target = path / MANIFEST_FILE
    if not target.is_file():
        return None, []
    try:
        body = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, [f"{MANIFEST_FILE} is not readable JSON: {e}"]
    if not isinstance(body, dict) or body.get("format") != MANIFEST_FORMAT or body.get("engine") != "chattts":
        return None, [f"{MANIFEST_FILE} is not a format-{MANIFEST_FORMAT} ChatTTS manifest"]
    files = body.get("files")
    if not isinstance(files, dict):
        return None, [f"{MANIFEST_FILE} has no 'files' table"]
    hashes: dict[str, str] = {}
    problems = []
    for rel in ASSET_FILES:
        entry = files.get(rel)
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append(f"{MANIFEST_FILE} has no sha256 for {rel}")
        else:
            hashes[rel] = digest
    if problems:
        return None, problems
    return Manifest(hashes, str(body.get("licence") or "unknown")), []


def official_hashes() -> dict[str, str]:
    """The package's own map of the official release, read without importing the package."""
    spec = importlib.util.find_spec("ChatTTS")
    if spec is None or spec.origin is None:
        return {}
    try:
        table = json.loads((Path(spec.origin).parent / "res" / "sha256_map.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {rel: table[chattts_key(rel)] for rel in ASSET_FILES if chattts_key(rel) in table}


def check_model_dir(path: Path, *, verify_hashes: bool = True) -> list[str]:
    """Everything wrong with a ChatTTS model directory, one line each; empty when it loads.

    Files present; config and tokenizer readable and carrying what ChatTTS needs; every
    tensor present with the shape the package builds; hashes matching the directory's
    manifest, or without one, the official release."""
    if not path.is_dir():
        return [f"{path} is not a directory"]
    missing = [rel for rel in ASSET_FILES if not (path / rel).is_file()]
    problems = [f"missing {rel}" for rel in missing]
    manifest, manifest_problems = read_manifest(path)
    problems += manifest_problems
    gpt_config: dict[str, Any] | None = None
    if "asset/gpt/config.json" not in missing:
        gpt_config, config_problems = _check_gpt_config(path)
        problems += config_problems
    if "asset/tokenizer/tokenizer.json" not in missing:
        problems += _check_tokenizer(path)
    if importlib.util.find_spec("ChatTTS") is None:
        problems.append(
            "ChatTTS is not installed (pip install 'clarion[chattts]'): tensor shapes not checked"
        )
    else:
        problems += _check_tensors(path, missing, gpt_config)
    if verify_hashes:
        problems += _check_hashes(path, missing, manifest, bool(manifest_problems))
    return problems


def _check_gpt_config(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    rel = "asset/gpt/config.json"
    try:
        config = json.loads((path / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, [f"{rel} is not readable JSON: {e}"]
    if not isinstance(config, dict):
        return None, [f"{rel} is not a JSON object"]
    problems = []
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"):
        value = config.get(key)
        if not isinstance(value, int) or value < 1:
            problems.append(f"{rel}: '{key}' must be a positive integer, got {value!r}")
    if problems:
        return None, problems
    if config["hidden_size"] % config["num_attention_heads"]:
        problems.append(
            f"{rel}: hidden_size {config['hidden_size']} is not a multiple of num_attention_heads"
        )
    return config, problems


def _check_tokenizer(path: Path) -> list[str]:
    rel = "asset/tokenizer/tokenizer.json"
    try:
        body = json.loads((path / rel).read_text(encoding="utf-8"))
        vocab = body["model"]["vocab"]
        added = {t["content"] for t in body.get("added_tokens", [])}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        return [f"{rel} is not a readable tokenizer: {e}"]
    known = set(vocab) | added
    absent = [t for t in REQUIRED_TOKENS if t not in known]
    return [f"{rel} lacks ChatTTS's control tokens {', '.join(absent)}"] if absent else []


@functools.cache
def _package_tensors() -> dict[str, dict[str, tuple[int, ...]]]:
    """Tensor names and shapes of the four fixed-size files, as the installed package builds
    its modules. Built for real on the CPU (torchaudio's mel filters cannot be built on the
    meta device): about 90 M parameters, a few seconds, once per process."""
    import_torchaudio()
    import torch
    from ChatTTS.config import Config
    from ChatTTS.model import DVAE, Embed
    from vocos import Vocos
    from vocos.pretrained import instantiate_class

    cfg = Config()
    with torch.no_grad():
        modules: dict[str, torch.nn.Module] = {
            "asset/Vocos.safetensors": Vocos(
                feature_extractor=instantiate_class(args=(), init=asdict(cfg.vocos.feature_extractor)),
                backbone=instantiate_class(args=(), init=asdict(cfg.vocos.backbone)),
                head=instantiate_class(args=(), init=asdict(cfg.vocos.head)),
            ),
            "asset/DVAE.safetensors": DVAE(
                decoder_config=asdict(cfg.dvae.decoder),
                encoder_config=asdict(cfg.dvae.encoder),
                vq_config=asdict(cfg.dvae.vq),
                dim=cfg.dvae.decoder.idim,
            ),
            "asset/Decoder.safetensors": DVAE(decoder_config=asdict(cfg.decoder), dim=cfg.decoder.idim),
            "asset/Embed.safetensors": Embed(
                cfg.embed.hidden_size, cfg.embed.num_audio_tokens, cfg.embed.num_text_tokens, cfg.embed.num_vq
            ),
        }
    return {rel: {k: tuple(v.shape) for k, v in m.state_dict().items()} for rel, m in modules.items()}


def _gpt_tensors(gpt_config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The GPT's tensors for its config.json (built on the meta device: no memory, no time)."""
    import torch
    from transformers import LlamaConfig, LlamaModel

    with torch.device("meta"):
        llama = LlamaModel(LlamaConfig(**gpt_config))
    shapes = {k: tuple(v.shape) for k, v in llama.state_dict().items()}
    shapes.pop("embed_tokens.weight", None)  # ChatTTS embeds inputs itself and deletes this one
    return shapes


def _check_tensors(path: Path, missing: list[str], gpt_config: dict[str, Any] | None) -> list[str]:
    from safetensors import safe_open

    try:
        import_torchaudio()  # before anything of ChatTTS or vocos, which import it at once
        from ChatTTS.config import Config

        expected = dict(_package_tensors())
        if gpt_config is not None:
            expected["asset/gpt/model.safetensors"] = _gpt_tensors(gpt_config)
        width = Config().embed.hidden_size
    except Exception as e:  # the package could not build its own modules: report, don't crash a check
        return [f"cannot build ChatTTS's modules to compare shapes: {type(e).__name__}: {e}"]
    problems = []
    if gpt_config is not None and gpt_config["hidden_size"] != width:
        # The embeddings and speaker statistics are built at the package's width, not the config's.
        problems.append(
            f"asset/gpt/config.json: hidden_size {gpt_config['hidden_size']} differs from ChatTTS's "
            f"embedding width {width}"
        )
    for rel, want in expected.items():
        if rel in missing:
            continue
        try:
            with safe_open(str(path / rel), framework="pt") as f:
                have = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
        except Exception as e:  # safetensors raises its own error types for a damaged header
            problems.append(f"{rel} is not a readable safetensors file: {e}")
            continue
        absent = sorted(set(want) - set(have))
        if absent:
            problems.append(f"{rel} lacks {len(absent)} tensor(s): {', '.join(absent[:5])}")
        unexpected = sorted(set(have) - set(want) - {"embed_tokens.weight"})
        if unexpected and rel != "asset/gpt/model.safetensors":  # the package loads these strictly
            problems.append(f"{rel} has {len(unexpected)} unexpected tensor(s): {', '.join(unexpected[:5])}")
        for name in sorted(set(want) & set(have)):
            if want[name] != have[name]:
                problems.append(f"{rel}: {name} has shape {have[name]}, expected {want[name]}")
    return problems


def _check_hashes(path: Path, missing: list[str], manifest: Manifest | None, bad_manifest: bool) -> list[str]:
    if bad_manifest:
        return []  # already reported; hashes against a broken manifest would only add noise
    reference = manifest.hashes if manifest else official_hashes()
    source = MANIFEST_FILE if manifest else "the official ChatTTS release"
    mismatched = [
        rel
        for rel in ASSET_FILES
        if rel not in missing and (rel not in reference or sha256_file(path / rel) != reference[rel])
    ]
    if not mismatched:
        return []
    if manifest:
        return [
            f"{rel}: sha256 differs from {source} (changed or damaged since it was written)"
            for rel in mismatched
        ]
    return [
        f"{len(mismatched)} file(s) differ from {source} (sha256) and the directory has no "
        f"{MANIFEST_FILE}: {', '.join(mismatched)}; if these are your own weights, record their hashes "
        f"with `clarion models check chattts --path {path} --write-manifest`"
    ]


def model_dir(settings: Settings) -> Path:
    return settings.models_dir / "chattts"
