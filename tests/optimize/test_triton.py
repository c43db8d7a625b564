"""Triton export: the config parses as Triton's own ModelConfig, matches the graph's
tensors, and declares dynamic batching only where Triton can batch."""

from __future__ import annotations

from pathlib import Path

import onnx
import onnxruntime as ort
import pytest
from google.protobuf import text_format
from onnx import TensorProto, helper

from clarion.config import Settings
from clarion.optimize.triton import export_graphs, export_triton

mc = pytest.importorskip("tritonclient.grpc.model_config_pb2", reason="the triton extra is not installed")


def parse(folder: Path) -> object:
    return text_format.Parse((folder / "config.pbtxt").read_text(), mc.ModelConfig())


def batchable_graph(path: Path) -> Path:
    """A tiny vocoder-shaped graph: [batch, frames, 8] -> [batch, frames * 8]."""
    x = helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", "frames", 8])
    y = helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", "samples"])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [0, -1])
    node = helper.make_node("Reshape", ["mel", "shape"], ["audio"])
    graph = helper.make_graph([node], "voc", [x], [y], [shape])
    # IR 9: what the installed onnxruntime reads (newer onnx writes a newer IR by default).
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.save(model, str(path))
    return path


def test_a_batchable_graph_gets_dynamic_batching(tmp_path: Path) -> None:
    (done,) = export_graphs(
        "toy", {"vocoder": batchable_graph(tmp_path / "v.onnx")}, tmp_path / "repo", max_batch=16
    )
    config = parse(done.directory)
    assert config.name == "toy_vocoder" and config.platform == "onnxruntime_onnx"
    assert config.max_batch_size == 16 and config.HasField("dynamic_batching")
    assert [(i.name, list(i.dims), i.data_type) for i in config.input] == [("mel", [-1, 8], mc.TYPE_FP32)]
    assert [(o.name, list(o.dims)) for o in config.output] == [("audio", [-1])]
    assert (
        config.instance_group[0].count == 2
        and config.instance_group[0].kind == mc.ModelInstanceGroup.KIND_CPU
    )
    ort.InferenceSession(str(done.directory / "1" / "model.onnx"), providers=["CPUExecutionProvider"])


def test_piper_is_exported_without_batching_and_says_why(tmp_path: Path) -> None:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    (done,) = export_triton("piper", Settings(), tmp_path, instances=3, gpu=True)
    config = parse(done.directory)
    assert not done.dynamic_batching and "scales" not in done.note and "leading batch axis" in done.note
    assert config.max_batch_size == 0 and not config.HasField("dynamic_batching")
    inputs = {i.name: list(i.dims) for i in config.input}
    assert inputs == {"input": [-1, -1], "input_lengths": [-1], "scales": [3]}
    assert (
        config.instance_group[0].count == 3
        and config.instance_group[0].kind == mc.ModelInstanceGroup.KIND_GPU
    )
