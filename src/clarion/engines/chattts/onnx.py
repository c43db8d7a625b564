"""ChatTTS's decode stages as ONNX graphs: their names and metadata, where exports are kept,
and the engine's ONNX path through an enabled ``clarion optimize`` variant.

The decoder (``Decoder.safetensors``: GPT hidden states to a mel spectrogram) and the vocoder
(``Vocos.safetensors`` up to the complex spectrum; the inverse STFT stays Vocos's own module)
run through ONNX Runtime when a variant is selected; the GPT stays in PyTorch. A variant
records which weights it came from (``clarion.chattts.source``): the engine refuses one made
from other weights than those it loads. How the graphs are exported: ``export``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clarion.engines.chattts.checkpoint import official_hashes, read_manifest
from clarion.engines.onnx import graph_cache_dir, graph_path, selected_variant, session
from clarion.errors import EngineError, EngineUnavailable

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

ENGINE = "chattts"
EXPORT_FORMAT = 1  # bump when the graph wrappers change: cached exports are then made again
ENGINE_GRAPHS: tuple[str, ...] = ("decoder", "vocos")  # what the engine runs through ONNX
ALL_GRAPHS: tuple[str, ...] = ("decoder", "dvae", "vocos")
SOURCE_FILES = {
    "decoder": "asset/Decoder.safetensors",
    "dvae": "asset/DVAE.safetensors",
    "vocos": "asset/Vocos.safetensors",
}
SOURCE_META = "clarion.chattts.source"
ISTFT_META = "clarion.istft"
OPSET = 17
INPUTS = {"decoder": "hidden", "dvae": "codes", "vocos": "mel"}


def source_key(model_dir: Path) -> str:
    """Which weights a graph comes from: the exported files' sha256, as the loader verifies
    them (the directory's manifest, or the official release's map), and the export format."""
    manifest, _ = read_manifest(model_dir)
    hashes = manifest.hashes if manifest else official_hashes()
    lines = [f"{rel}={hashes.get(rel, '-')}" for rel in sorted(SOURCE_FILES.values())]
    text = "\n".join([f"format={EXPORT_FORMAT}", *lines])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def export_dir(settings: Settings, key: str) -> Path:
    return settings.optimized_root / ENGINE / "exported" / key


class OnnxMelDecoder:
    """Stands in for ChatTTS's Decoder module in ``Chat._decode_to_wavs``: same call, same
    result, computed by ONNX Runtime."""

    def __init__(self, sess: Any) -> None:
        self._sess = sess
        self._input = sess.get_inputs()[0].name

    def __call__(self, inp: Any, mode: str = "decode") -> Any:
        import torch

        if mode != "decode":
            raise EngineError("the ONNX ChatTTS decoder only decodes")
        (mel,) = self._sess.run(None, {self._input: inp.detach().float().cpu().numpy()})
        return torch.from_numpy(mel).to(inp.device)


class OnnxVocos:
    """Stands in for ChatTTS's Vocos in ``Chat._vocos_decode``: the graph gives the complex
    spectrum, Vocos's own ISTFT module (kept from the PyTorch model) turns it into audio."""

    def __init__(self, sess: Any, istft: Any) -> None:
        self._sess = sess
        self._istft = istft

    def decode(self, mel: Any) -> Any:
        import torch

        real, imag = self._sess.run(None, {"mel": mel.detach().float().cpu().numpy()})
        spec = torch.complex(torch.from_numpy(real), torch.from_numpy(imag))
        return self._istft(spec.to(self._istft.window.device)).to(mel.device)


def use_onnx_variant(chat: Any, settings: Settings, model_dir: Path, device: Any, threads: int) -> str | None:
    """If a variant is selected (engine option or ``clarion optimize``), swap the loaded
    ``Chat``'s decoder and vocoder for ONNX Runtime sessions of it; return its name, or None
    (PyTorch, as installed)."""
    variant = selected_variant(settings, ENGINE)
    if variant is None:
        return None
    key = source_key(model_dir)
    sessions = {}
    for graph in ENGINE_GRAPHS:
        path = graph_path(settings, ENGINE, graph, export_dir(settings, key) / f"{graph}.onnx")
        sess = session(path, device.type, threads, settings.onnx, cache_dir=graph_cache_dir(settings))
        made_from = sess.get_modelmeta().custom_metadata_map.get(SOURCE_META)
        if made_from != key:
            raise EngineUnavailable(
                f"chattts variant {variant!r} ({path}) was made from other weights than those in "
                f"{model_dir}; run `clarion optimize chattts` again, or set "
                "CLARION_ENGINE_OPTIONS__CHATTTS__MODEL_VARIANT=shipped"
            )
        sessions[graph] = sess
    chat.decoder = OnnxMelDecoder(sessions["decoder"])
    chat.vocos = OnnxVocos(sessions["vocos"], chat.vocos.head.istft)
    log.info("chattts: decoder and vocoder run the ONNX %s variant", variant)
    return variant


def record_feeds(chat: Any, render: Callable[[], None]) -> dict[str, list[dict[str, Any]]]:
    """Real inputs of the loaded ``Chat``'s decoder and vocoder while ``render`` runs, for
    static INT8 calibration."""
    feeds: dict[str, list[dict[str, Any]]] = {"decoder": [], "vocos": []}
    decoder, vocos = chat.decoder, chat.vocos

    def record_decoder(inp: Any, mode: str = "decode") -> Any:
        feeds["decoder"].append({INPUTS["decoder"]: inp.detach().float().cpu().numpy()})
        return decoder(inp, mode)

    class RecordVocos:
        def decode(self, mel: Any) -> Any:
            feeds["vocos"].append({INPUTS["vocos"]: np.array(mel.detach().float().cpu().numpy())})
            return vocos.decode(mel)

    chat.decoder, chat.vocos = record_decoder, RecordVocos()
    try:
        render()
    finally:
        chat.decoder, chat.vocos = decoder, vocos
    return feeds
