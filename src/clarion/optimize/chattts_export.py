"""ChatTTS's decode stages as ONNX graphs, for `clarion optimize` and `clarion export triton`.

The code lives with the engine (``clarion.engines.chattts``: ``onnx`` for the graphs and the
engine's ONNX path, ``export`` for exporting them); this module names what the optimiser and
scripts use, through the engine package's public names only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clarion.engines.chattts import ChatTTSEngine, export_checkpoint, exported_graphs
from clarion.engines.chattts.export import export_modules
from clarion.engines.chattts.onnx import (
    ALL_GRAPHS,
    ENGINE,
    ENGINE_GRAPHS,
    EXPORT_FORMAT,
    INPUTS,
    ISTFT_META,
    OPSET,
    SOURCE_FILES,
    SOURCE_META,
    OnnxMelDecoder,
    OnnxVocos,
    export_dir,
    source_key,
    use_onnx_variant,
)

__all__ = [
    "ALL_GRAPHS",
    "ENGINE",
    "ENGINE_GRAPHS",
    "EXPORT_FORMAT",
    "INPUTS",
    "ISTFT_META",
    "OPSET",
    "SOURCE_FILES",
    "SOURCE_META",
    "OnnxMelDecoder",
    "OnnxVocos",
    "calibration_feeds",
    "export_checkpoint",
    "export_dir",
    "export_modules",
    "exported_graphs",
    "source_key",
    "use_onnx_variant",
]


def calibration_feeds(engine: ChatTTSEngine, texts: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Real inputs of the decoder and vocoder while ``engine`` renders ``texts`` (seeded)."""
    return engine.calibration_feeds(texts)
