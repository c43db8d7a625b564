"""`clarion export triton`: a Triton Inference Server model repository for an engine's
ONNX graphs, for teams that already run Triton. The config is built as Triton's own
ModelConfig protobuf message (from tritonclient) and written in protobuf text format.

Dynamic batching is declared only where every input has a free leading (batch) axis:
Triton batches along that axis. Piper's ``scales`` input has none, and Kokoro's graph
fixes its batch at 1, so those are exported for one request per execution, with several
instances to run requests in parallel."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.config import Settings
from clarion.engines.base import exports_onnx
from clarion.engines.onnx import graph_path
from clarion.engines.registry import engine_class
from clarion.errors import EngineUnavailable

_TYPES = {
    "tensor(float)": "TYPE_FP32",
    "tensor(float16)": "TYPE_FP16",
    "tensor(double)": "TYPE_FP64",
    "tensor(int64)": "TYPE_INT64",
    "tensor(int32)": "TYPE_INT32",
    "tensor(int8)": "TYPE_INT8",
    "tensor(uint8)": "TYPE_UINT8",
    "tensor(bool)": "TYPE_BOOL",
    "tensor(string)": "TYPE_STRING",
}


@dataclass(frozen=True, slots=True)
class Exported:
    model: str
    directory: Path
    dynamic_batching: bool
    note: str


def _dims(shape: list[Any]) -> list[int]:
    return [d if isinstance(d, int) and d > 0 else -1 for d in shape]


def export_triton(
    engine: str,
    settings: Settings,
    out: Path,
    *,
    instances: int = 2,
    gpu: bool = False,
    max_batch: int | None = None,
) -> list[Exported]:
    cls = engine_class(engine, settings)
    onnx = exports_onnx(cls)
    if onnx is None:
        raise EngineUnavailable(f"engine {engine!r} has no ONNX graphs to export")
    # The enabled precision variant of each graph, if `clarion optimize` chose one.
    graphs = {g: graph_path(settings, engine, g, p) for g, p in onnx.onnx_graphs(settings).items()}
    batch = max_batch or cls.capabilities.max_batch_size
    return export_graphs(engine, graphs, out, instances=instances, gpu=gpu, max_batch=batch)


def export_graphs(
    prefix: str,
    graphs: dict[str, Path],
    out: Path,
    *,
    instances: int = 2,
    gpu: bool = False,
    max_batch: int = 8,
) -> list[Exported]:
    import onnxruntime as ort
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2 as mc

    done = []
    for graph, src in graphs.items():
        sess = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"])
        inputs, outputs = sess.get_inputs(), sess.get_outputs()
        batchable = max_batch > 1 and all(
            len(t.shape) > 0 and not isinstance(t.shape[0], int) for t in [*inputs, *outputs]
        )
        name = f"{prefix}_{graph}"
        config = mc.ModelConfig(name=name, platform="onnxruntime_onnx")
        if batchable:
            config.max_batch_size = max_batch
            config.dynamic_batching.max_queue_delay_microseconds = 2000
            config.dynamic_batching.preferred_batch_size.append(max_batch)
        for spec, target in ((inputs, config.input), (outputs, config.output)):
            for t in spec:
                if t.type not in _TYPES:
                    raise EngineUnavailable(
                        f"{name}: tensor {t.name} has type {t.type}, which Triton cannot take"
                    )
                dims = _dims(list(t.shape))
                entry = target.add(name=t.name, data_type=getattr(mc, _TYPES[t.type]))
                entry.dims.extend(dims[1:] if batchable else dims)
        kind = mc.ModelInstanceGroup.KIND_GPU if gpu else mc.ModelInstanceGroup.KIND_CPU
        config.instance_group.add(count=instances, kind=kind)
        folder = out / name
        (folder / "1").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / "1" / "model.onnx")
        (folder / "config.pbtxt").write_text(text_format.MessageToString(config), encoding="utf-8")
        note = (
            "dynamic batching along the leading axis"
            if batchable
            else "no dynamic batching: not every input has a free leading batch axis"
        )
        done.append(Exported(name, folder, batchable, note))
    return done
