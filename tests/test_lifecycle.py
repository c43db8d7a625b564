"""Idle unload with reference counting and lazy reload, on the service with a real
(null) engine that counts its loads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import ClassVar

from clarion.config import EngineOptions, Settings
from clarion.engines.base import Audio, Segment
from clarion.engines.null import NullEngine
from clarion.observability.metrics import Metrics
from clarion.service import Service
from clarion.synthesis import SpeechJob


class CountingEngine(NullEngine):
    name: ClassVar[str] = "counting"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.loads = 0
        self.unloads = 0
        self.gate = threading.Event()
        self.gate.set()

    def load(self, device: str, threads: int) -> None:
        self.loads += 1
        super().load(device, threads)

    def unload(self) -> None:
        self.unloads += 1
        super().unload()

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        self.gate.wait(10)
        return super().synthesize(batch)


async def speak(svc: Service, text: str = "Hello.") -> int:
    rt, voice = svc.resolve("counting", "null")
    return len([c async for c in svc.stream(SpeechJob(rt, voice, text))])


def make(options: EngineOptions) -> tuple[Service, CountingEngine, Metrics]:
    settings = Settings(engines=["counting"], default_engine="counting", engine_options={"counting": options})
    engine = CountingEngine(settings)
    metrics = Metrics()
    return Service(settings, {"counting": engine}, metrics), engine, metrics


async def test_idle_engine_unloads_and_reloads_on_the_next_request() -> None:
    svc, engine, metrics = make(EngineOptions(idle_unload_s=0.2))
    await svc.start()
    try:
        assert await speak(svc) == 1
        for _ in range(600):  # up to 30 s: 0.2 s idle, then the unload itself, on a busy machine
            if not engine.loaded:
                break
            await asyncio.sleep(0.05)
        assert not engine.loaded and engine.unloads == 1
        assert await speak(svc, "Back again. Twice.") == 2  # lazy reload, then served
        assert engine.loads == 2 and engine.loaded

        def events(kind: str) -> float | None:
            labels = {"engine": "counting", "event": kind}
            return metrics.registry.get_sample_value("clarion_engine_events_total", labels)

        assert events("unload") == 1
        assert events("load") == 2
    finally:
        await svc.stop()


async def test_an_engine_in_use_is_never_unloaded() -> None:
    svc, engine, _ = make(EngineOptions(idle_unload_s=0.1))
    await svc.start()
    try:
        engine.gate.clear()
        busy = asyncio.create_task(speak(svc, "Slow one."))
        await asyncio.sleep(0.6)  # well past the TTL while the request is running
        assert engine.loaded and engine.unloads == 0
        engine.gate.set()
        assert await busy == 1
    finally:
        engine.gate.set()
        await svc.stop()


async def test_keep_warm_engines_stay_loaded() -> None:
    svc, engine, _ = make(EngineOptions(idle_unload_s=0.1, keep_warm=True))
    await svc.start()
    try:
        await speak(svc)
        await asyncio.sleep(0.5)
        assert engine.loaded and engine.unloads == 0
    finally:
        await svc.stop()
