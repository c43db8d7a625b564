"""ChatTTS's decode stages as ONNX, on the tiny random-weight checkpoint (tests/engines/chattts_ckpt.py):
the FP32 graphs compute what the package's PyTorch modules compute, quantised graphs run, the
engine renders through an ONNX variant, the gate judges variants against the PyTorch path and
refuses a worse one, and the graphs export to Triton with dynamic batching."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import Segment
from clarion.errors import EngineUnavailable
from tests.engines.chattts_ckpt import tiny_checkpoint
from tests.optimize.test_runner import degraded

if importlib.util.find_spec("ChatTTS") is None:  # not importorskip: importing it needs the torchaudio shim
    pytest.skip("the chattts extra is not installed", allow_module_level=True)
pytest.importorskip("onnx", reason="the optimize extra is not installed")

# All slow: importing torch and ChatTTS and loading the checkpoint costs ~15 s per process.
pytestmark = pytest.mark.slow

CAP = 16  # audio tokens per segment: the random model never stops by itself
TEXT = "The quick brown fox jumps over the lazy dog."


def ort_session(path: Path) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def close(got: np.ndarray, want: np.ndarray, *, max_abs: float, max_rel: float) -> None:
    """Same shape, largest difference and difference energy relative to the signal bounded."""
    assert got.shape == want.shape
    err = np.abs(got.astype(np.float64) - want)
    rel = float(np.linalg.norm(err) / max(np.linalg.norm(want), 1e-12))
    assert float(err.max()) <= max_abs and rel <= max_rel, (float(err.max()), rel)


@pytest.fixture(scope="module")
def ckpt() -> Path:
    return tiny_checkpoint()


@pytest.fixture(scope="module")
def env(ckpt: Path) -> Iterator[None]:
    """What the engine reads from the environment, also in the runner's measuring processes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLARION_CHATTTS_PATH", str(ckpt))
        mp.setenv("CLARION_CHATTTS_MAX_NEW_TOKEN", str(CAP))
        yield


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, env: None) -> Settings:
    return Settings(optimized_dir=tmp_path_factory.mktemp("optimized"))


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Any]:
    from clarion.engines.chattts import ChatTTSEngine

    eng = ChatTTSEngine(settings)
    eng.load("cpu", 1)
    assert eng.onnx_variant is None  # nothing selected: PyTorch, as installed
    yield eng
    eng.unload()


@pytest.fixture(scope="module")
def graphs(engine: Any, settings: Settings, ckpt: Path) -> dict[str, Path]:
    """All three graphs, exported where the engine's own export would cache them."""
    from clarion.optimize.chattts_export import ALL_GRAPHS, export_dir, export_modules, source_key

    key = source_key(ckpt)
    return export_modules(engine._chat, export_dir(settings, key), key, ALL_GRAPHS)


def test_fp32_graphs_compute_what_the_pytorch_modules_compute(
    engine: Any, graphs: dict[str, Path], ckpt: Path
) -> None:
    import torch

    from clarion.optimize.chattts_export import ISTFT_META, SOURCE_META, OnnxVocos, source_key

    chat = engine._chat
    gen = torch.Generator().manual_seed(1)
    # Batch and lengths other than the export's examples: the axes are free.
    hidden = torch.randn(3, 768, 21, generator=gen)
    codes = torch.randint(0, 625, (3, 4, 21), generator=gen)
    with torch.inference_mode():
        mel = chat.decoder(hidden.clone())
        want = {"decoder": mel.numpy(), "dvae": chat.dvae(codes.clone()).numpy()}
        audio = chat.vocos.decode(mel).numpy()
    assert want["decoder"].shape == (3, 100, 42)
    for graph, feed in (("decoder", {"hidden": hidden.numpy()}), ("dvae", {"codes": codes.numpy()})):
        sess = ort_session(graphs[graph])
        (got,) = sess.run(None, feed)
        close(got, want[graph], max_abs=1e-4, max_rel=1e-5)
        assert sess.get_modelmeta().custom_metadata_map[SOURCE_META] == source_key(ckpt)
    # The vocoder graph stops at the spectrum; Vocos's own ISTFT module finishes the audio.
    sess = ort_session(graphs["vocos"])
    assert "n_fft=1024 hop_length=256" in sess.get_modelmeta().custom_metadata_map[ISTFT_META]
    with torch.inference_mode():
        got_audio = OnnxVocos(sess, chat.vocos.head.istft).decode(mel).numpy()
    assert audio.shape == (3, 256 * (42 - 1)) and float(np.abs(audio).max()) > 0.01
    close(got_audio, audio, max_abs=1e-4, max_rel=1e-5)


def test_int8_variants_are_made_smaller_and_run(engine: Any, graphs: dict[str, Path], tmp_path: Path) -> None:
    from clarion.optimize.variants import make, precision

    # What static INT8 calibrates with (`clarion optimize`): the stages' real inputs for a text.
    feeds = engine.calibration_feeds([TEXT])
    assert [f["hidden"].shape for f in feeds["decoder"]] == [(1, 768, CAP)]
    assert [f["mel"].shape for f in feeds["vocos"]] == [(1, 100, 2 * CAP)]
    made = {m.variant: m for m in make(graphs["vocos"], "vocos", tmp_path, ["int8"])}
    path = made["int8-dynamic"].path
    assert path is not None, made["int8-dynamic"].reason
    assert precision(path) == "int8" and path.stat().st_size < 0.5 * graphs["vocos"].stat().st_size
    mel = feeds["vocos"][0]
    real, imag = ort_session(graphs["vocos"]).run(None, mel)
    q_real, q_imag = ort_session(path).run(None, mel)
    assert q_real.shape == real.shape and np.isfinite(q_real).all() and np.isfinite(q_imag).all()
    # Quantised, not broken: the magnitude spectrum stays near the fp32 one.
    mag, q_mag = np.hypot(real, imag), np.hypot(q_real, q_imag)
    assert np.linalg.norm(q_mag - mag) / np.linalg.norm(mag) < 0.2


def test_the_engine_renders_through_a_selected_onnx_variant(
    engine: Any, graphs: dict[str, Path], settings: Settings, ckpt: Path
) -> None:
    from clarion.engines.chattts import ChatTTSEngine
    from clarion.optimize.chattts_export import use_onnx_variant

    variant_dir = settings.optimized_root / "chattts" / "as-exported"
    variant_dir.mkdir(parents=True, exist_ok=True)
    for graph in ("decoder", "vocos"):
        shutil.copyfile(graphs[graph], variant_dir / f"{graph}.onnx")
    # The engine's own options (its path and token cap, from the environment) stay as they are.
    options = settings.options_for("chattts").model_copy(update={"model_variant": "as-exported"})
    forced = settings.model_copy(update={"engine_options": {"chattts": options}})
    onnx_engine = ChatTTSEngine(forced)
    onnx_engine.load("cpu", 1)
    try:
        assert onnx_engine.onnx_variant == "as-exported"
        # The audio cache tells the variants apart: the identity names it and fingerprints its graphs.
        ours, theirs = onnx_engine.identity(), engine.identity()
        assert (ours.variant, theirs.variant) == ("as-exported", "shipped")
        assert ours.checkpoint != theirs.checkpoint and ours.package == theirs.package == "ChatTTS"
        segment = Segment(TEXT, onnx_engine.default_voice("en"), "en", 1.0, 7)
        (got,) = onnx_engine.synthesize([segment])
        (want,) = engine.synthesize([segment])  # same seed: same GPT tokens, PyTorch decode
        # ChatTTS trims the near-silent last samples, so a sample or so under hop * (2 * tokens - 1).
        assert len(got) == len(want) and 0 <= 256 * (2 * CAP - 1) - len(want) < 256
        close(got, want, max_abs=1e-3, max_rel=1e-4)
    finally:
        onnx_engine.unload()

    # A variant made from other weights is refused by name, not run.
    import onnx

    model = onnx.load(str(variant_dir / "vocos.onnx"))
    onnx.helper.set_model_props(model, {"clarion.chattts.source": "0123456789abcdef"})
    onnx.save(model, str(variant_dir / "vocos.onnx"))
    with pytest.raises(EngineUnavailable, match="made from other weights"):
        use_onnx_variant(object(), forced, ckpt, engine._device, 1)


# Two measuring processes, each importing torch and ChatTTS, then the ASR. The FP32 variant is
# left out: that it renders the PyTorch audio is checked above, graph by graph and through the
# engine; a third process here took minutes for nothing new.
@pytest.mark.timeout(1500)
def test_gate_judges_against_pytorch_and_refuses_a_worse_variant(
    graphs: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    from clarion.engines.onnx import selected_variant
    from clarion.optimize.runner import optimize

    worse = {"decoder": degraded(graphs["decoder"], tmp_path / "d.onnx"), "vocos": graphs["vocos"]}
    report = optimize("chattts", settings, [], texts=[TEXT], repeats=1, extra_variants={"worse": worse})
    rows = {r.variant: r for r in report.rows}
    assert report.shipped_precision == "pytorch" and report.reference == "shipped"
    assert rows["shipped"].status == "current" and rows["shipped"].latency_ms
    worse_row = rows["worse"]
    assert worse_row.status == "refused" and "MCD" in worse_row.reason, worse_row
    assert worse_row.mcd_db is not None and worse_row.mcd_db > settings.optimize_max_mcd_db
    # Random weights: the ASR cannot understand even the reference, so MCD alone decides, and says so.
    assert any("PyTorch" in n for n in report.notes)
    if importlib.util.find_spec("faster_whisper") is not None:
        assert any("MCD alone" in n for n in report.notes), report.notes
        assert worse_row.wer is None
    saved = json.loads((settings.optimized_root / "chattts" / "report.json").read_text())
    assert {r["variant"] for r in saved["rows"]} == {"shipped", "worse"}
    assert report.selected is None and selected_variant(settings, "chattts") is None


def test_triton_export_batches_every_chattts_graph(
    graphs: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    mc = pytest.importorskip("tritonclient.grpc.model_config_pb2", reason="the triton extra is not installed")
    from google.protobuf import text_format

    from clarion.optimize.triton import export_graphs, export_triton

    done = {e.model: e for e in export_graphs("chattts", graphs, tmp_path, max_batch=8)}
    assert set(done) == {"chattts_decoder", "chattts_dvae", "chattts_vocos"}
    tensors = {}
    for name, exported in done.items():
        config = text_format.Parse((exported.directory / "config.pbtxt").read_text(), mc.ModelConfig())
        assert (
            exported.dynamic_batching and config.max_batch_size == 8 and config.HasField("dynamic_batching")
        )
        tensors[name] = (
            [(t.name, list(t.dims), t.data_type) for t in config.input],
            [(t.name, list(t.dims)) for t in config.output],
        )
        ort_session(exported.directory / "1" / "model.onnx")
    assert tensors["chattts_decoder"] == ([("hidden", [768, -1], mc.TYPE_FP32)], [("mel", [100, -1])])
    assert tensors["chattts_dvae"] == ([("codes", [4, -1], mc.TYPE_INT64)], [("mel", [100, -1])])
    assert tensors["chattts_vocos"] == (
        [("mel", [100, -1], mc.TYPE_FP32)],
        [("real", [513, -1]), ("imag", [513, -1])],
    )
    # `clarion export triton chattts`: the stages the engine runs (the enabled variant, if any).
    exported = export_triton("chattts", settings, tmp_path / "engine", instances=1)
    assert sorted(e.model for e in exported) == ["chattts_decoder", "chattts_vocos"]
    assert all(e.dynamic_batching for e in exported)
