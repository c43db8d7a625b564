"""How ONNX engines use the cores (issue 29): a lone segment runs on every core, and several at
once share them without spinning threads. Judged from the configuration, never from timing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from clarion.config import Settings
from clarion.engines.hibari import HibariEngine
from clarion.engines.kokoro import KokoroEngine
from clarion.engines.onnx import ShrinkingSession
from clarion.engines.piper import PiperEngine
from clarion.runtime import EngineRuntime, Runtimes

SPINNING = ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning")


def hibari_runtime(tmp_path: Path) -> tuple[EngineRuntime, Any]:
    """hibari loaded the way the server loads it, with its own scheduling defaults: the
    runtime and the heart voice's session options, read before the engine is unloaded."""
    settings = Settings(engines=["hibari"], default_engine="hibari", warmup=False, data_dir=tmp_path)
    runtimes = Runtimes(settings)
    got: dict[str, Any] = {}

    async def run() -> None:
        await runtimes.start()
        rt = runtimes.by_name["hibari"]
        engine = rt.engine
        assert isinstance(engine, HibariEngine)
        sess = engine._models["heart"].sess
        assert isinstance(sess, ShrinkingSession)
        got["runtime"], got["options"] = rt, sess.get_session_options()
        got["policy"] = rt.describe()["scheduling"]["thread_policy"]
        await runtimes.stop()

    asyncio.run(run())
    return got["runtime"], (got["options"], got["policy"])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs several cores")
def test_a_lone_hibari_run_uses_several_intra_op_threads_and_no_spinning(tmp_path: Path) -> None:
    rt, (options, policy) = hibari_runtime(tmp_path)
    cores = os.cpu_count() or 1
    assert options.intra_op_num_threads > 1
    assert options.intra_op_num_threads == cores == rt.scheduling.threads
    workers = rt.batcher.executor.workers
    assert workers == cores
    # Several segments at once would ask for more threads than cores: none may spin.
    assert workers * options.intra_op_num_threads > cores
    for key in SPINNING:
        assert options.get_session_config_entry(key) == "0"
    assert "no spinning" in policy


@pytest.mark.parametrize("engine", [HibariEngine, KokoroEngine, PiperEngine])
@pytest.mark.parametrize("cores", [1, 2, 8])
def test_every_onnx_engine_gives_each_worker_every_core(engine: Any, cores: int) -> None:
    defaults = engine.scheduling_defaults(cores)
    assert (defaults.workers, defaults.threads) == (cores, cores)
    policy = engine.thread_policy(defaults.workers, defaults.threads, cores)
    assert ("no spinning" in policy) == (cores > 1)
