"""Text in, ordered audio out: the facade the API layer and the CLI drive. It knows
nothing of HTTP and little of its own; it puts together

- ``runtime.Runtimes``: the loaded engines, their batchers and leases;
- ``routing.VoiceRouter``: which engine and voice a request names;
- ``synthesis.Synthesizer``: planning, the cache, admission and ordered streaming;
- ``trimmer.MemoryTrimmer``: heap memory handed back when synthesis is quiet."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from clarion.cache import AudioCache
from clarion.config import Settings
from clarion.engines.base import AudioChunk, Engine, VoiceInfo
from clarion.observability.metrics import Metrics
from clarion.routing import VoiceRouter
from clarion.runtime import EngineRuntime, Runtimes, validate_extras
from clarion.scheduler.snapshot import BatcherSnapshot
from clarion.synthesis import Planned, SpeechJob, Synthesizer
from clarion.text.frontend import FrontEndResult, TextFrontEnd
from clarion.text.lexicon import Lexicon
from clarion.text.spans import Language
from clarion.trimmer import MemoryTrimmer
from clarion.voices.store import VoiceStore

__all__ = ["Service", "SpeechJob"]


class Service:
    def __init__(
        self, settings: Settings, engines: Mapping[str, Engine] | None = None, metrics: Metrics | None = None
    ) -> None:
        """``engines``: ready instances to serve instead of loading ``settings.engines``
        through the registry (tests, embedding). They are loaded if not loaded yet."""
        self.settings = settings
        self.metrics = metrics
        self.ready = False
        self.draining = False
        self.started_at = time.time()
        self.frontend = TextFrontEnd(Lexicon(settings.lexicon_path))
        self.voice_store = VoiceStore(settings.data_dir / "voices")
        self.cache: AudioCache | None = None
        if settings.cache_memory_mb > 0 or settings.cache_disk_mb > 0:
            self.cache = AudioCache(
                int(settings.cache_memory_mb * 1e6),
                settings.data_dir / "cache" if settings.cache_disk_mb > 0 else None,
                int(settings.cache_disk_mb * 1e6),
                observe=metrics.on_cache if metrics else None,
            )
        self.engines = Runtimes(settings, engines, metrics, self.voice_store)
        self.router = VoiceRouter(settings, self.engines.by_name, self.voice_store, self.engines.skipped)
        self.synthesis = Synthesizer(
            settings, self.engines, self.router, self.frontend, self.voice_store, self.cache
        )
        self._trimmer: MemoryTrimmer | None = None

    async def start(self) -> None:
        await self.engines.start()
        if self.settings.malloc_trim_idle_s:
            self._trimmer = MemoryTrimmer(self.engines.batches_run, self.engines.busy)
            self._trimmer.start(self.settings.malloc_trim_idle_s, self.settings.malloc_trim_busy_s)
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        if self._trimmer is not None:
            await self._trimmer.stop()
        await self.engines.stop()

    # -- what is loaded ------------------------------------------------------------
    @property
    def runtimes(self) -> dict[str, EngineRuntime]:
        return self.engines.by_name

    @property
    def skipped(self) -> dict[str, str]:
        return self.engines.skipped

    @property
    def trims(self) -> int:
        """Times freed heap memory was handed back (allocator.trim)."""
        return self._trimmer.trims if self._trimmer is not None else 0

    def scheduler_snapshots(self) -> dict[str, BatcherSnapshot]:
        """Every loaded engine's batcher state: one read, shared by /metrics and /v1/stats."""
        return self.engines.snapshots()

    def engines_down(self) -> list[str]:
        return self.engines.down()

    def all_voices(self) -> list[VoiceInfo]:
        return self.router.all_voices()

    def model_names(self) -> list[str]:
        return self.router.model_names()

    def default_voice(self) -> str:
        return self.router.default_voice()

    # -- requests ------------------------------------------------------------------
    def resolve(self, model: str, voice: str) -> tuple[EngineRuntime, VoiceInfo]:
        return self.router.resolve(model, voice)

    def validate_extras(self, runtime: EngineRuntime, extras: Mapping[str, Any]) -> dict[str, Any]:
        return validate_extras(runtime, extras)

    def analyse(
        self, text: str, engine: str | None = None, language: Language | None = None
    ) -> FrontEndResult:
        return self.synthesis.analyse(text, engine, language)

    def segments(self, job: SpeechJob) -> list[Planned]:
        return self.synthesis.segments(job)

    def stream(self, job: SpeechJob) -> AsyncGenerator[AudioChunk, None]:
        return self.synthesis.stream(job)
