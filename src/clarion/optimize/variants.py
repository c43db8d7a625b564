"""Making precision variants of an ONNX graph: graph-optimised FP32, FP16 (for GPUs),
INT8 with dynamic quantisation, and INT8 with static quantisation where real inputs can
be had for calibration. Each is written to ``<out>/<variant>/<graph>.onnx``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TARGETS = ("fp32", "fp16", "int8")
VARIANTS = {"fp32": ("fp32",), "fp16": ("fp16",), "int8": ("int8-dynamic", "int8-static")}
QUANT_OPS = frozenset(
    {"DynamicQuantizeLinear", "QuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearMatMul"}
)

Feeds = Sequence[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Made:
    variant: str
    path: Path | None  # None: not made
    reason: str = ""  # why not, when path is None


def precision(graph: Path) -> str:
    """'int8' if the graph is already quantised, else 'fp32' (what it ships as)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    return "int8" if any(n.op_type in QUANT_OPS for n in model.graph.node) else "fp32"


def make(
    graph: Path,
    name: str,
    out: Path,
    targets: Sequence[str],
    calibration: Callable[[], Feeds] | None = None,
) -> list[Made]:
    shipped = precision(graph)
    made: list[Made] = []
    for target in targets:
        for variant in VARIANTS[target]:
            dest = out / variant / f"{name}.onnx"
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                reason = _make_one(variant, shipped, graph, dest, calibration)
            except Exception as e:  # a converter that cannot handle this graph: say so, go on
                log.warning("variant %s of %s failed: %s", variant, graph.name, e)
                reason = f"conversion failed: {type(e).__name__}: {str(e)[:200]}"
            made.append(Made(variant, dest if reason is None else None, reason or ""))
    return made


def _make_one(
    variant: str, shipped: str, src: Path, dest: Path, calibration: Callable[[], Feeds] | None
) -> str | None:
    """Write the variant; return why it was not made, or None."""
    import onnx

    if variant == "fp32":
        if shipped != "fp32":
            return f"the shipped graph is {shipped}; there are no fp32 weights to start from"
        _ort_optimised(src, dest)
    elif variant == "fp16":
        from onnxconverter_common import float16

        model = onnx.load(str(src))
        # Inputs and outputs stay float32, so callers do not change; random ops stay fp32.
        converted = float16.convert_float_to_float16(
            model, keep_io_types=True, op_block_list=["RandomNormalLike", "RandomUniformLike", "Range"]
        )
        onnx.save(converted, str(dest))
    elif variant == "int8-dynamic":
        if shipped == "int8":
            return "the shipped graph is int8 already"
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8)
    elif variant == "int8-static":
        if shipped == "int8":
            return "the shipped graph is int8 already"
        if calibration is None:
            return "no calibration inputs can be made for this engine"
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        feeds = list(calibration())

        class Reader(CalibrationDataReader):  # type: ignore[misc]
            def __init__(self) -> None:
                self._it: Iterator[dict[str, Any]] = iter(feeds)

            def get_next(self) -> dict[str, Any] | None:
                return next(self._it, None)

        quantize_static(
            str(src),
            str(dest),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    else:
        return f"unknown variant {variant!r}"
    onnx.checker.check_model(str(dest))
    return None


def _ort_optimised(src: Path, dest: Path) -> None:
    """ONNX Runtime's offline graph optimisation (extended level: portable across CPUs)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = str(dest)
    ort.InferenceSession(str(src), sess_options=so, providers=["CPUExecutionProvider"])
