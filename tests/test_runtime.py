"""Engine runtimes at start-up: engines load side by side, and each says what its load cost."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest

from clarion.config import Settings
from clarion.engines.base import Audio, PreparesText, Segment
from clarion.engines.null import NullEngine
from clarion.engines.onnx import AdaptiveSession
from clarion.errors import EngineUnavailable
from clarion.runtime import Runtimes


class MeetingNull(NullEngine):
    """Loads only once every engine of the test is loading at the same moment: started one
    after another, the first would wait at the barrier until it breaks."""

    def __init__(self, settings: Settings, barrier: threading.Barrier) -> None:
        super().__init__(settings)
        self.barrier = barrier

    def load(self, device: str, threads: int) -> None:
        self.barrier.wait()
        super().load(device, threads)


class BrokenNull(NullEngine):
    def load(self, device: str, threads: int) -> None:
        raise EngineUnavailable("its weights are missing (deliberately)")


async def test_engines_load_side_by_side_and_report_their_parts() -> None:
    settings = Settings(engines=["a", "b"], default_engine="a", warmup=True)
    barrier = threading.Barrier(2, timeout=20)
    runtimes = Runtimes(settings, {"a": MeetingNull(settings, barrier), "b": MeetingNull(settings, barrier)})
    await runtimes.start()
    try:
        assert list(runtimes.by_name) == ["a", "b"]
        for rt in runtimes.by_name.values():
            parts = rt.describe()["load_parts"]
            assert set(parts) == {"load", "warm-up"}
            assert sum(parts.values()) <= rt.load_seconds + 1e-3
            assert rt.describe_load().startswith("load ")
    finally:
        await runtimes.stop()


async def test_an_optional_engine_that_cannot_load_is_skipped_the_rest_serve() -> None:
    settings = Settings(engines=["a", "b"], default_engine="a", warmup=False)
    runtimes = Runtimes(settings, {"a": NullEngine(settings), "b": BrokenNull(settings)})
    await runtimes.start()
    try:
        assert list(runtimes.by_name) == ["a"]
        assert "deliberately" in runtimes.skipped["b"]
    finally:
        await runtimes.stop()


async def test_when_the_default_engine_cannot_load_start_up_fails_and_the_rest_go_down() -> None:
    settings = Settings(engines=["a", "b"], default_engine="b", warmup=False)
    runtimes = Runtimes(settings, {"a": NullEngine(settings), "b": BrokenNull(settings)})
    with pytest.raises(EngineUnavailable, match="deliberately"):
        await runtimes.start()
    assert runtimes.by_name == {}


@pytest.mark.parametrize("when", ["background", "before-ready"])
async def test_warm_up_runs_the_model_once_and_other_front_ends_load_after(
    kokoro_models_dir: Path, tmp_path: Path, when: Literal["background", "before-ready"]
) -> None:
    from clarion.engines.kokoro import KokoroEngine

    class Recording(KokoroEngine):
        def __init__(self, settings: Settings) -> None:
            super().__init__(settings)
            self.ran: list[list[str]] = []
            self.prepared: list[tuple[str, str]] = []

        def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
            self.ran.append([seg.language for seg in batch])
            return super().synthesize(batch)

        def prepare(self, segment: Segment) -> None:
            self.prepared.append((segment.language, segment.voice))
            super().prepare(segment)

    settings = Settings(
        engines=["kokoro"],
        models_dir=kokoro_models_dir,
        data_dir=tmp_path,
        warmup=True,
        warmup_other_languages=when,
    )
    engine = Recording(settings)
    runtimes = Runtimes(settings, {"kokoro": engine})
    await runtimes.start()
    try:
        # One model run, in the main language: the first-run cost is the model's, whatever the
        # language. Mandarin's phonemiser and dictionaries load after it, in the background.
        rt = runtimes.by_name["kokoro"]
        if when == "background":
            assert rt.preparing is not None
            rt.preparing.result(timeout=60)
        else:  # done when the engine is ready, and counted in its load time
            assert rt.preparing is None
            assert sum(rt.load_parts.values()) <= rt.load_seconds + 1e-3
        assert engine.ran == [["en"]]
        assert engine.prepared == [("zh", engine.default_voice("zh"))]
        assert set(rt.load_parts) == {"load", "warm-up", "other languages"}
        assert runtimes.by_name["kokoro"].batcher.cost.ready  # admission has its first figure
        sess = engine._kokoro.sess
        if (os.cpu_count() or 1) > 1:
            # Nothing overlapped, so no second (single-threaded) session was built at start-up.
            assert isinstance(sess, AdaptiveSession)
            assert sess.runs == {"wide": 1, "narrow": 0}
            assert not sess.narrow_ready
    finally:
        await runtimes.stop()


class PreparingNull(NullEngine):
    """The null engine (English and Mandarin) with a front end to prepare, not thread-safe."""

    capabilities = dataclasses.replace(NullEngine.capabilities, thread_safe=False)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.prepared: list[str] = []

    def prepare(self, segment: Segment) -> None:
        self.prepared.append(segment.language)


async def test_an_engine_that_is_not_thread_safe_prepares_other_languages_before_ready() -> None:
    # In the background it would run beside requests on the same instance.
    settings = Settings(engines=["a"], default_engine="a", warmup=True)
    engine = PreparingNull(settings)
    assert isinstance(engine, PreparesText)
    runtimes = Runtimes(settings, {"a": engine})
    await runtimes.start()
    try:
        rt = runtimes.by_name["a"]
        assert rt.preparing is None
        assert engine.prepared == ["zh"]
        assert "other languages" in rt.load_parts
    finally:
        await runtimes.stop()
