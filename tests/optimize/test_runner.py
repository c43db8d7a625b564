"""The optimisation gate on a real embedded voice: every variant is measured here, a
variant made deliberately worse is refused for its quality, and only a passing variant
is ever enabled (and then loaded by the engine)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from clarion.config import EngineOptions, Settings
from clarion.engines.onnx import graph_path, selected_variant
from clarion.errors import EngineUnavailable
from clarion.optimize.runner import optimize

pytestmark = pytest.mark.slow
TEXTS = ["The quick brown fox jumps over the lazy dog."]


def degraded(src: Path, dest: Path) -> Path:
    """The same graph with every large weight tensor shaken by 30 % noise."""
    model = onnx.load(str(src))
    rng = np.random.default_rng(0)
    for init in model.graph.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype == np.float32 and w.size > 1000:
            noisy = w * (1 + 0.3 * rng.standard_normal(w.shape)).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(noisy, init.name))
    onnx.save(model, str(dest))
    return dest


def test_gate_measures_refuses_the_worse_variant_and_records_why(tmp_path: Path) -> None:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    from clarion.engines.piper import PiperEngine

    settings = Settings(optimized_dir=tmp_path / "opt")
    shipped = PiperEngine.onnx_graphs(settings)["model"]
    worse = degraded(shipped, tmp_path / "worse.onnx")
    report = optimize("piper", settings, ["fp32"], texts=TEXTS, repeats=1, extra_variants={"worse": worse})
    rows = {r.variant: r for r in report.rows}
    assert report.shipped_precision == "fp32" and report.reference == "fp32"
    assert rows["shipped"].status == "current" and rows["shipped"].latency_ms
    # The fp32 variant is the same network: (nearly) no distortion, words heard alike.
    assert rows["fp32"].mcd_db is not None and rows["fp32"].mcd_db < 1.0
    worse_row = rows["worse"]
    assert worse_row.status == "refused" and "MCD" in worse_row.reason
    assert worse_row.mcd_db is not None and worse_row.mcd_db > settings.optimize_max_mcd_db
    for row in report.rows:
        assert row.peak_mb and row.peak_mb > 50 and row.rtf and row.throughput
    saved = json.loads((tmp_path / "opt" / "piper" / "report.json").read_text())
    assert {r["variant"] for r in saved["rows"]} == {"shipped", "fp32", "worse"}
    # Enabled only if it passed; the engine then loads exactly that file.
    assert selected_variant(settings, "piper") == report.selected
    if report.selected is None:
        assert graph_path(settings, "piper", "model", shipped) == shipped


def test_a_forced_variant_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(
        optimized_dir=tmp_path, engine_options={"piper": EngineOptions(model_variant="int8-dynamic")}
    )
    with pytest.raises(EngineUnavailable, match="run `clarion optimize piper`"):
        graph_path(settings, "piper", "model", tmp_path / "shipped.onnx")
    (tmp_path / "piper" / "int8-dynamic").mkdir(parents=True)
    (tmp_path / "piper" / "int8-dynamic" / "model.onnx").write_bytes(b"x")
    assert graph_path(settings, "piper", "model", tmp_path / "shipped.onnx").parent.name == "int8-dynamic"
