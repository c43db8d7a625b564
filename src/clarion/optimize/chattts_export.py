"""ChatTTS's decode stages as ONNX graphs, and the engine's ONNX path through them.

The graphs are exported from a checkpoint loaded by ChatTTS's own loader (so its files are
hash-verified first), with free batch and length axes:

- ``decoder`` (Decoder.safetensors): GPT hidden states to a mel spectrogram,
  ``hidden`` float32 [batch, 768, tokens] -> ``mel`` [batch, 100, 2 * tokens]. ChatTTS's
  default decode path (``use_decoder=True``), the one the engine takes.
- ``vocos`` (Vocos.safetensors): the vocoder's backbone and ISTFT head up to the complex
  spectrum, ``mel`` [batch, 100, frames] -> ``real``, ``imag`` [batch, 513, frames]. The
  inverse STFT runs after the graph, through Vocos's own ISTFT module (``torch.istft`` with
  its Hann window and centre padding): ``torch.istft`` has no ONNX export and ONNX has no
  inverse-STFT operator. It is one inverse FFT per frame: 4 ms against 100 ms for the graph
  on 256 frames (one CPU thread, here). Its parameters are recorded in the graph's metadata
  (``clarion.istft``) for other runtimes.
- ``dvae`` (DVAE.safetensors, decode half): audio codes to a mel spectrogram, ``codes``
  int64 [batch, 4, tokens] -> ``mel``. ChatTTS's other decode path (``use_decoder=False``);
  the engine never takes it, so it is exported only on request (``export_checkpoint``, for
  other runtimes) and tested, not optimised or run by the engine. Its grouped residual FSQ lookup is
  exported as the code tables the package's own code computes for every index, because the
  lookup's index arithmetic does not trace with free shapes.

The GPT stays in PyTorch. ChatTTS generates audio tokens in a Python loop
(``ChatTTS.model.gpt.GPT.generate``): each step embeds the previous step's four codebook
tokens with ChatTTS's own embedding, runs the Llama with a growing key/value cache, applies
repetition penalty, temperature and top-p/top-k processors, samples four codebooks from a
seeded generator, stops items one by one, and streams. An ONNX version needs a per-step graph
with the cache as explicit inputs and outputs (as optimum exports decoders "with past"), the
embedding and code heads as graphs of their own, and that loop with its sampling written
again outside ONNX and kept in step with the package, or seeds would change meaning. The
stages after it are plain convolution stacks, which is what is exported here.

A variant made by ``clarion optimize chattts`` records which weights it came from
(``clarion.chattts.source`` in the graph's metadata): the engine refuses a variant made
from other weights than the ones it loads, rather than run a stale copy.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clarion.engines.onnx import graph_path, selected_variant, session
from clarion.engines.torch_util import import_torchaudio
from clarion.errors import EngineError, EngineUnavailable

if TYPE_CHECKING:
    from clarion.config import Settings
    from clarion.engines.chattts import ChatTTSEngine

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
    from clarion.engines.chattts import official_hashes, read_manifest

    manifest, _ = read_manifest(model_dir)
    hashes = manifest.hashes if manifest else official_hashes()
    lines = [f"{rel}={hashes.get(rel, '-')}" for rel in sorted(SOURCE_FILES.values())]
    text = "\n".join([f"format={EXPORT_FORMAT}", *lines])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def checkpoint_dir(settings: Settings) -> Path:
    from clarion.engines.chattts import ChatTTSOptions, model_dir

    return ChatTTSOptions().path or model_dir(settings)


def export_dir(settings: Settings, key: str) -> Path:
    return settings.optimized_root / ENGINE / "exported" / key


def _forced(settings: Settings, variant: str) -> Settings:
    opts = settings.options_for(ENGINE).model_copy(update={"model_variant": variant})
    return settings.model_copy(update={"engine_options": {**settings.engine_options, ENGINE: opts}})


def exported_graphs(
    settings: Settings, graphs: Sequence[str] = ENGINE_GRAPHS, *, threads: int = 1
) -> dict[str, Path]:
    """FP32 graphs of the configured checkpoint, exported once and kept in
    ``<optimized>/chattts/exported/<source key>/`` (what ``clarion optimize`` starts from)."""
    from clarion.engines.chattts import ChatTTSEngine, ChatTTSOptions

    source = checkpoint_dir(settings)
    key = source_key(source)
    paths = {g: export_dir(settings, key) / f"{g}.onnx" for g in graphs}
    missing = [g for g, p in paths.items() if not p.is_file()]
    if missing:
        engine = ChatTTSEngine(_forced(settings, "shipped"), ChatTTSOptions(path=source))
        engine.load("cpu", threads)
        try:
            export_modules(engine._chat, export_dir(settings, key), key, missing)
        finally:
            engine.unload()
    return paths


def export_checkpoint(model_dir: Path, out: Path, graphs: Sequence[str] = ALL_GRAPHS) -> dict[str, Path]:
    """Load the checkpoint in ``model_dir`` with ChatTTS's loader and export ``graphs`` to ``out``."""
    from clarion.config import Settings
    from clarion.engines.chattts import ChatTTSEngine, ChatTTSOptions

    engine = ChatTTSEngine(_forced(Settings(), "shipped"), ChatTTSOptions(path=model_dir))
    engine.load("cpu", 1)
    try:
        return export_modules(engine._chat, out, source_key(model_dir), graphs)
    finally:
        engine.unload()


@functools.cache
def _wrappers() -> tuple[type[Any], type[Any]]:
    """The modules traced for export: the package's layers, called the way its decode calls
    them, minus what does not trace (inference-mode decorators, the FSQ index arithmetic,
    complex tensors)."""
    import_torchaudio()
    import torch

    class CodeTables(torch.nn.Module):
        """The DVAE's grouped residual FSQ lookup (``GFSQ._embed``) as table lookups: the
        code of every index, for every group and residual level, filled by the package."""

        tables: torch.Tensor

        def __init__(self, gfsq: Any) -> None:
            super().__init__()
            self.groups, self.levels = int(gfsq.G), int(gfsq.R)
            indices = torch.arange(int(gfsq.n_ind)).view(1, -1, 1).expand(1, -1, self.levels)
            rvqs = list(gfsq.quantizer.rvqs)
            with torch.no_grad():
                tables = torch.stack([rvq.get_codes_from_indices(indices)[:, 0] for rvq in rvqs])
            self.register_buffer("tables", tables.detach().clone())  # groups x levels x codes x dim
            self.project_out = torch.nn.ModuleList(rvq.project_out for rvq in rvqs)

        def forward(self, codes: Any) -> Any:
            codes = codes.transpose(1, 2)  # batch, tokens, groups * levels
            groups = []
            for g in range(self.groups):
                summed = None
                for r in range(self.levels):
                    part = self.tables[g, r][codes[:, :, g * self.levels + r]]
                    summed = part if summed is None else summed + part
                groups.append(self.project_out[g](summed))
            return torch.cat(groups, dim=-1).transpose(1, 2)

    class MelGraph(torch.nn.Module):
        """``DVAE.forward(inp, "decode")``: codes or hidden states to a mel spectrogram."""

        def __init__(self, dvae: Any) -> None:
            super().__init__()
            self.dvae = dvae
            self.codes = CodeTables(dvae.vq_layer) if dvae.vq_layer is not None else None

        def forward(self, x: Any) -> Any:
            feats = self.codes(x) if self.codes is not None else x
            b, c, t = feats.shape
            # Each step's features hold two frames side by side: unfold them in time.
            feats = feats.reshape(b, 2, c // 2, t).permute(0, 2, 3, 1).flatten(2)
            return self.dvae.out_conv(self.dvae.decoder(feats)) * self.dvae.coef

    class SpectrumGraph(torch.nn.Module):
        """``Vocos.decode`` up to the complex spectrum the ISTFT head inverts, as real and
        imaginary parts."""

        def __init__(self, vocos: Any) -> None:
            super().__init__()
            self.backbone, self.out = vocos.backbone, vocos.head.out

        def forward(self, mel: Any) -> tuple[Any, Any]:
            x = self.out(self.backbone(mel)).transpose(1, 2)
            log_mag, phase = x.chunk(2, dim=1)
            mag = torch.clip(torch.exp(log_mag), max=1e2)  # the head's own safeguard
            return mag * torch.cos(phase), mag * torch.sin(phase)

    return MelGraph, SpectrumGraph


def _istft_description(istft: Any) -> str:
    return (
        f"n_fft={istft.n_fft} hop_length={istft.hop_length} win_length={istft.win_length} "
        f"window=hann padding={istft.padding}"
    )


def export_modules(chat: Any, out: Path, key: str, graphs: Sequence[str] = ALL_GRAPHS) -> dict[str, Path]:
    """Export the loaded ``Chat``'s modules named in ``graphs`` to ``<out>/<graph>.onnx``."""
    unknown = sorted(set(graphs) - set(ALL_GRAPHS))
    if unknown:
        raise ValueError(f"unknown ChatTTS graphs {unknown}; choose from {', '.join(ALL_GRAPHS)}")
    try:
        import onnx
    except ImportError as e:
        raise EngineUnavailable(f"exporting to ONNX needs onnx ({e}): pip install 'clarion[optimize]'") from e
    import_torchaudio()
    import torch

    mel_graph, spectrum_graph = _wrappers()
    gen = torch.Generator().manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    for graph in graphs:
        meta = {SOURCE_META: key, "clarion.chattts.graph": graph}
        # Batch 2 and lengths above 1, so the tracer keeps those axes symbolic.
        if graph == "vocos":
            module = spectrum_graph(chat.vocos)
            example = torch.randn(2, module.backbone.input_channels, 16, generator=gen)
            outputs = ["real", "imag"]
            axes = {name: {0: "batch", 2: "frames"} for name in ("mel", *outputs)}
            meta[ISTFT_META] = _istft_description(chat.vocos.head.istft)
        else:
            module = mel_graph(chat.decoder if graph == "decoder" else chat.dvae)
            if module.codes is not None:
                width = module.codes.groups * module.codes.levels
                example = torch.randint(0, module.codes.tables.shape[2], (2, width, 8), generator=gen)
            else:
                example = torch.randn(2, 2 * module.dvae.decoder.conv_in[0].in_channels, 8, generator=gen)
            outputs = ["mel"]
            axes = {INPUTS[graph]: {0: "batch", 2: "tokens"}, "mel": {0: "batch", 2: "frames"}}
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
        dest = out / f"{graph}.onnx"
        tmp = out / f".{graph}.{os.getpid()}.onnx"
        try:
            with torch.no_grad(), warnings.catch_warnings():
                # The TorchScript exporter: the dynamo one needs onnxscript, which is not a dependency.
                warnings.simplefilter("ignore", DeprecationWarning)
                torch.onnx.export(
                    module,
                    (example,),
                    str(tmp),
                    dynamo=False,
                    opset_version=OPSET,
                    input_names=[INPUTS[graph]],
                    output_names=outputs,
                    dynamic_axes=axes,
                )
            model = onnx.load(str(tmp))
            with torch.no_grad():
                result = module(example)
            _declare_output_shapes(
                model,
                dict(zip(outputs, result if isinstance(result, tuple) else (result,), strict=True)),
                axes,
            )
            onnx.helper.set_model_props(model, meta)
            onnx.save(model, str(tmp))
            onnx.checker.check_model(str(tmp))
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        log.info("exported ChatTTS %s to %s", graph, dest)
        done[graph] = dest
    return done


def _declare_output_shapes(model: Any, results: dict[str, Any], axes: dict[str, dict[int, str]]) -> None:
    """Write the outputs' fixed sizes into the graph (the tracer loses some, e.g. after a
    split), so other runtimes (Triton's config) see them: free axes by name, the rest by size."""
    for output in model.graph.output:
        dims = output.type.tensor_type.shape.dim
        shape = tuple(results[output.name].shape)
        while len(dims) < len(shape):
            dims.add()
        for i, size in enumerate(shape):
            free = axes.get(output.name, {}).get(i)
            if free is not None:
                dims[i].dim_param = free
            else:
                dims[i].dim_value = int(size)


# -- the engine's ONNX path ------------------------------------------------------------------


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
        sess = session(path, device.type, threads, settings.onnx)
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


def calibration_feeds(engine: ChatTTSEngine, texts: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Real inputs of the decoder and vocoder while the engine renders ``texts`` (seeded),
    for static INT8 calibration."""
    from clarion.engines.base import Segment

    chat = engine._chat
    if chat is None:
        raise EngineUnavailable("load the chattts engine first")
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
        voice = engine.default_voice("en")
        for text in texts:
            engine.synthesize([Segment(text, voice, "en", 1.0, 0)])
    finally:
        chat.decoder, chat.vocos = decoder, vocos
    return feeds
