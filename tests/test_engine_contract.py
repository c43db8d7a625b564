"""The engine contract (clarion.engines.base): every engine is built from Settings alone and
says what it is (``identity``); optional capabilities are Protocols, which the process
isolation proxy forwards where it can. And the bug that made this necessary: behind that proxy
the audio cache did not know which checkpoint or variant made a clip, so after a restart a
replaced checkpoint kept serving the old one's audio from disk."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from clarion.config import EngineOptions, Settings
from clarion.engines.base import (
    Audio,
    CalibratesOnnx,
    ChecksModelDir,
    Engine,
    EngineIdentity,
    ExportsOnnx,
    HasDeterministicExtras,
    StreamsBatches,
    TakesExtras,
    WritesModelManifest,
    exports_onnx,
    request_extras,
)
from clarion.engines.null import NullEngine
from clarion.engines.registry import discover
from clarion.scheduler.workers import ProcessExecutor, _proxy_class
from clarion.service import Service, SpeechJob
from tests.checkpoint_engine import CheckpointEngine, weights_file
from tests.faulty_engine import FaultyEngine
from tests.streaming_engine import TokenEngine


def test_every_registered_engine_is_built_from_settings_and_has_an_identity() -> None:
    settings = Settings()
    entries = {name: e for name, e in discover(settings).items() if e.cls is not None}
    assert {"hibari", "null"} <= set(entries)
    for name, entry in entries.items():
        assert entry.cls is not None
        engine = entry.cls(settings)  # cheap: loads nothing
        assert isinstance(engine, Engine), name
        identity = engine.identity()  # before load: what is known without loading
        assert isinstance(identity, EngineIdentity) and identity.variant == "shipped", name


def test_identity_is_json_able_comparable_and_pickles() -> None:
    a = EngineIdentity.of("clarion", "abc", variant="int8", watermark=True, precision="fp32")
    assert a.as_dict() == {
        "package": "clarion",
        "version": a.version,
        "checkpoint": "abc",
        "variant": "int8",
        "options": {"precision": "fp32", "watermark": True},
    }
    assert a == EngineIdentity.of("clarion", "abc", variant="int8", precision="fp32", watermark=True)
    assert a != EngineIdentity.of("clarion", "abd", variant="int8", precision="fp32", watermark=True)
    assert pickle.loads(pickle.dumps(a)) == a and hash(a) == hash(pickle.loads(pickle.dumps(a)))
    assert EngineIdentity.of("no-such-distribution").version == "unknown"


def test_a_loaded_engine_identifies_its_checkpoint(tmp_path: Path) -> None:
    settings = Settings(models_dir=tmp_path)
    weights_file(settings).parent.mkdir()
    weights_file(settings).write_text("0.5")
    engine = CheckpointEngine(settings)
    assert engine.identity().checkpoint == ""
    engine.load("cpu", 1)
    first = engine.identity()
    assert first.checkpoint and first.variant == "shipped"
    weights_file(settings).write_text("0.25")
    assert engine.identity() == first  # what is loaded, not what is on disk now
    engine.load("cpu", 1)
    assert engine.identity().checkpoint != first.checkpoint


def test_optional_capabilities_are_protocols() -> None:
    from clarion.engines.kokoro import KokoroEngine
    from clarion.engines.piper import PiperEngine, PiperExtras

    assert request_extras(PiperEngine) is PiperExtras and request_extras(NullEngine) is None
    piper = PiperEngine(Settings())
    assert isinstance(piper, TakesExtras) and isinstance(piper, HasDeterministicExtras)
    assert isinstance(piper, ExportsOnnx) and isinstance(piper, CalibratesOnnx)
    assert exports_onnx(PiperEngine) is PiperEngine and exports_onnx(NullEngine) is None
    assert exports_onnx(KokoroEngine) is KokoroEngine and not issubclass(KokoroEngine, CalibratesOnnx)
    assert not isinstance(NullEngine(Settings()), TakesExtras | HasDeterministicExtras | ExportsOnnx)
    assert issubclass(TokenEngine, StreamsBatches) and not issubclass(NullEngine, StreamsBatches)


def test_the_proxy_forwards_the_capabilities_it_can_honour() -> None:
    from clarion.engines.piper import PiperEngine, PiperExtras

    piper = _proxy_class(PiperEngine)
    assert request_extras(piper) is PiperExtras
    assert isinstance(piper, HasDeterministicExtras) and piper.deterministic_extras == {
        "noise_scale": 0.0,
        "noise_w_scale": 0.0,
    }
    assert exports_onnx(piper) is not None and not piper.onnx_exported
    assert piper.onnx_graphs(Settings()) == PiperEngine.onnx_graphs(Settings())
    assert not issubclass(piper, CalibratesOnnx)  # needs the model, which is in the worker
    assert not issubclass(piper, StreamsBatches | ChecksModelDir | WritesModelManifest)
    null = _proxy_class(NullEngine)
    assert request_extras(null) is None and exports_onnx(null) is None
    assert not isinstance(null, TakesExtras | HasDeterministicExtras)
    assert issubclass(_proxy_class(TokenEngine), StreamsBatches)


def test_the_proxy_reports_the_identity_the_worker_loaded(tmp_path: Path) -> None:
    settings = Settings(models_dir=tmp_path)
    weights_file(settings).parent.mkdir()
    weights_file(settings).write_text("0.5")
    local = CheckpointEngine(settings)
    local.load("cpu", 1)
    pool = ProcessExecutor(
        CheckpointEngine, settings, workers=1, device="cpu", threads=1, timeout_s=30, start_timeout_s=60
    )
    pool.start()
    try:
        assert pool.proxy.identity() == local.identity()
    finally:
        pool.close()
    faulty = ProcessExecutor(
        FaultyEngine, settings, workers=1, device="cpu", threads=1, timeout_s=30, start_timeout_s=60
    )
    faulty.start()
    try:
        assert faulty.proxy.identity() == FaultyEngine(settings).identity()
    finally:
        faulty.close()


# -- the bug: a restart behind process isolation served a replaced checkpoint's audio -----------
async def speak(settings: Settings) -> tuple[str, Audio]:
    """One request on a freshly started service (a restart): how the cache answered, the audio."""
    service = Service(settings, {"ckpt": CheckpointEngine(settings)})
    await service.start()
    try:
        runtime, voice = service.resolve("ckpt", "null")
        assert runtime.engine is not None and type(runtime.engine).__name__ == "RemoteCheckpointEngine"
        job = SpeechJob(runtime, voice, "Hello there.")
        chunks = [c async for c in service.stream(job)]
        return str(job.trace.cache), np.concatenate([c.samples for c in chunks])
    finally:
        await service.stop()


@pytest.fixture
def isolated(tmp_path: Path) -> Settings:
    settings = Settings(
        engines=["ckpt"],
        default_engine="ckpt",
        isolation="process",
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "models",
        cache_disk_mb=16,
        warmup=False,
    )
    weights_file(settings).parent.mkdir(parents=True)
    weights_file(settings).write_text("0.5")
    return settings


async def test_a_changed_checkpoint_misses_the_disk_cache_after_a_restart(isolated: Settings) -> None:
    cache, loud = await speak(isolated)
    assert cache == "miss"
    cache, again = await speak(isolated)
    assert cache == "hit"  # the disk cache outlives the restart: it is what could serve stale audio
    np.testing.assert_array_equal(again, loud)
    weights_file(isolated).write_text("0.25")  # new weights
    cache, quiet = await speak(isolated)
    assert cache == "miss"
    assert np.abs(quiet).max() == pytest.approx(np.abs(loud).max() / 2, rel=1e-3)
    assert (await speak(isolated))[0] == "hit"


async def test_another_variant_misses_the_disk_cache_after_a_restart(isolated: Settings) -> None:
    assert (await speak(isolated))[0] == "miss"
    assert (await speak(isolated))[0] == "hit"
    int8 = isolated.model_copy(update={"engine_options": {"ckpt": EngineOptions(model_variant="int8")}})
    assert (await speak(int8))[0] == "miss"
    assert (await speak(int8))[0] == "hit"
    assert (await speak(isolated))[0] == "hit"  # the shipped variant's audio is still there
