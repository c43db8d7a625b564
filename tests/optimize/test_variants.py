"""Making variants of the embedded ONNX voices: what can be made from which precision,
and the files are real graphs."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from clarion.config import Settings
from clarion.optimize.variants import make, precision


@pytest.fixture(scope="module")
def piper_graph() -> Path:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    from clarion.engines.piper import PiperEngine

    return PiperEngine.onnx_graphs(Settings())["model"]


def test_piper_ships_fp32_and_gets_smaller_int8(piper_graph: Path, tmp_path: Path) -> None:
    assert precision(piper_graph) == "fp32"
    made = {m.variant: m for m in make(piper_graph, "model", tmp_path, ["fp32", "int8"])}
    assert made["fp32"].path is not None and made["int8-dynamic"].path is not None
    assert made["int8-static"].reason == "no calibration inputs can be made for this engine"
    int8 = made["int8-dynamic"].path
    assert int8.stat().st_size < 0.5 * piper_graph.stat().st_size
    assert precision(int8) == "int8"
    onnx.checker.check_model(str(int8))


def test_kokoro_ships_int8_so_no_fp32_weights_exist(kokoro_models_dir: Path, tmp_path: Path) -> None:
    from clarion.engines.kokoro import KokoroEngine

    graph = KokoroEngine.onnx_graphs(Settings(models_dir=kokoro_models_dir))["model"]
    assert precision(graph) == "int8"
    made = {m.variant: m for m in make(graph, "model", tmp_path, ["fp32", "int8"])}
    assert made["fp32"].path is None and "no fp32 weights" in made["fp32"].reason
    assert made["int8-dynamic"].reason == "the shipped graph is int8 already"
