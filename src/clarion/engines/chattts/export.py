"""Exporting ChatTTS's decode stages to ONNX graphs.

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
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clarion.engines.chattts.onnx import ALL_GRAPHS, INPUTS, ISTFT_META, OPSET, SOURCE_META
from clarion.engines.torch_util import import_torchaudio
from clarion.errors import EngineUnavailable

log = logging.getLogger(__name__)


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
