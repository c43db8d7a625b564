"""How ONNX engines use the cores (issue 29): a lone segment runs on every core, and several at
once share them without spinning threads. Judged from the configuration, never from timing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from clarion.config import Settings
from clarion.engines.base import Segment, company_expected
from clarion.engines.hibari import HibariEngine
from clarion.engines.kokoro import KokoroEngine
from clarion.engines.onnx import AdaptiveSession, ShrinkingSession
from clarion.engines.piper import PiperEngine
from clarion.runtime import EngineRuntime, Runtimes
from tests.polling import wait_until

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
        assert isinstance(sess, AdaptiveSession)
        assert isinstance(sess._wide, ShrinkingSession)
        sess.build_narrow_now()
        got["narrow"] = sess._narrow.get_session_options()
        got["runtime"], got["options"] = rt, sess.get_session_options()
        got["policy"] = rt.describe()["scheduling"]["thread_policy"]
        await runtimes.stop()

    asyncio.run(run())
    return got["runtime"], (got["options"], got["policy"], got["narrow"])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs several cores")
def test_a_lone_hibari_run_uses_several_intra_op_threads_and_no_spinning(tmp_path: Path) -> None:
    rt, (options, policy, narrow) = hibari_runtime(tmp_path)
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
    # A run that starts while another is running gets the graph's single-threaded session.
    assert narrow.intra_op_num_threads == 1
    assert "single-threaded session" in policy


@pytest.mark.parametrize("engine", [HibariEngine, KokoroEngine, PiperEngine])
@pytest.mark.parametrize("cores", [1, 2, 8])
def test_every_onnx_engine_gives_each_worker_every_core(engine: Any, cores: int) -> None:
    defaults = engine.scheduling_defaults(cores)
    assert (defaults.workers, defaults.threads) == (cores, cores)
    policy = engine.thread_policy(defaults.workers, defaults.threads, cores, Settings())
    assert ("no spinning" in policy) == (cores > 1)


def torch_engines() -> list[Any]:
    pytest.importorskip("torch")
    from clarion.engines.chatterbox import ChatterboxEngine
    from clarion.engines.chattts.engine import ChatTTSEngine
    from clarion.engines.indextts import IndexTTSEngine

    return [ChatTTSEngine, ChatterboxEngine, IndexTTSEngine]


@pytest.mark.parametrize("cores", [1, 2, 8])
def test_torch_engines_give_their_one_worker_every_core(cores: int) -> None:
    for engine in torch_engines():
        defaults = engine.scheduling_defaults(cores)
        assert (defaults.workers, defaults.threads) == (1, cores), engine.name


def test_loading_a_torch_engine_sets_torchs_intra_op_threads() -> None:
    torch = pytest.importorskip("torch")
    from clarion.engines.torch_util import prepare

    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            assert prepare("cpu", threads, None).type == "cpu"
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)


class HeldSession:
    """Stands in for an InferenceSession: each run waits until the test lets it finish, so
    which session a run took is decided while another is surely in flight."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> str:
        self.release.wait(10)
        return self.name


def test_a_run_that_starts_alone_gets_every_core_and_an_overlapping_one_a_single_thread() -> None:
    wide, narrow = HeldSession("wide"), HeldSession("narrow")
    built = threading.Event()

    def build() -> HeldSession:
        built.set()
        return narrow

    sess = AdaptiveSession(wide, build)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        first = pool.submit(sess.run, None, {})
        wait_until(lambda: sess.runs["wide"] == 1)
        # Overlapping before the narrow session exists: it is built, and meanwhile wide serves.
        second = pool.submit(sess.run, None, {})
        wait_until(lambda: sess.narrow_ready)
        assert built.is_set() and sess.runs == {"wide": 2, "narrow": 0}
        third = pool.submit(sess.run, None, {})
        wait_until(lambda: sess.runs["narrow"] == 1)
        narrow.release.set()
        wide.release.set()
        assert (first.result(), second.result(), third.result()) == ("wide", "wide", "narrow")
    # Alone again: every core.
    assert sess.run(None, {}) == "wide"
    assert sess.runs == {"wide": 3, "narrow": 1}


def test_the_narrow_session_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings(engines=["hibari"], warmup=False, data_dir=tmp_path, onnx={"narrow_session": False})
    engine = HibariEngine(settings)
    engine.load("cpu", 2)
    try:
        assert not isinstance(engine._models["heart"].sess, AdaptiveSession)
    finally:
        engine.unload()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs several cores")
def test_sentences_queued_together_share_the_cores_from_the_first_and_a_lone_one_gets_them_all(
    tmp_path: Path,
) -> None:
    """A paragraph's sentences, queued at once: the first starts while nothing runs yet, but the
    scheduler knows the others start beside it, so it takes a single-threaded session too
    instead of every core's threads. A sentence alone still gets every core."""
    settings = Settings(engines=["hibari"], default_engine="hibari", warmup=False, data_dir=tmp_path)
    runtimes = Runtimes(settings)
    sentences = ["The first sentence is here.", "A second one follows.", "Then a third.", "And a fourth."]

    async def run() -> dict[str, int]:
        await runtimes.start()
        try:
            rt = runtimes.by_name["hibari"]
            assert rt.batcher.executor.workers >= 2
            engine = rt.engine
            assert isinstance(engine, HibariEngine)
            sess = engine._models["heart"].sess
            assert isinstance(sess, AdaptiveSession)
            sess.build_narrow_now()
            await asyncio.gather(*(rt.batcher.submit(Segment(s, "heart"), 60) for s in sentences))
            together = dict(sess.runs)
            await rt.batcher.submit(Segment("Now one sentence alone.", "heart"), 60)
            return {
                "together_wide": together["wide"],
                "together_narrow": together["narrow"],
                "alone_wide": sess.runs["wide"] - together["wide"],
            }
        finally:
            await runtimes.stop()

    runs = asyncio.run(run())
    # Every sentence but possibly the last (which may find itself alone) shared the cores.
    assert runs["together_narrow"] >= len(sentences) - 1, runs
    assert runs["alone_wide"] == 1, runs


def test_a_run_expected_to_have_company_takes_one_thread_though_it_starts_alone() -> None:
    wide, narrow = HeldSession("wide"), HeldSession("narrow")
    wide.release.set()
    narrow.release.set()
    sess = AdaptiveSession(wide, lambda: narrow)
    sess.build_narrow_now()

    def expecting(flag: bool) -> str:
        company_expected.set(flag)
        return str(sess.run(None, {}))

    assert contextvars.copy_context().run(expecting, True) == "narrow"
    assert contextvars.copy_context().run(expecting, False) == "wide"
    assert sess.run(None, {}) == "wide"  # the default: nothing expected
