"""A zero-cost engine: returns a quiet tone in no time. It exists to measure pure
serving overhead (HTTP, scheduling, encoding) with the model taken out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineIdentity,
    SchedulingDefaults,
    Segment,
    Streaming,
    VoiceInfo,
)

if TYPE_CHECKING:
    from clarion.config import Settings

SAMPLE_RATE = 24_000
SAMPLES_PER_CHAR = 240  # 10 ms of audio per character, roughly a fast reader


class NullEngine:
    name: ClassVar[str] = "null"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en", "zh"),
        max_batch_size=64,
        batch_axis=True,
        streaming=Streaming.SENTENCE,
        speed_range=(0.25, 4.0),
    )

    def __init__(self, settings: Settings) -> None:
        self._tone: Audio | None = None

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        return None

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        return SchedulingDefaults(max_batch_size=1, workers=1, threads=1)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def loaded(self) -> bool:
        return self._tone is not None

    def load(self, device: str, threads: int) -> None:
        t = np.arange(SAMPLE_RATE * 10, dtype=np.float32) / SAMPLE_RATE
        self._tone = (0.1 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)

    def unload(self) -> None:
        self._tone = None

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("null", self.name, "en-US", "Apache-2.0", SAMPLE_RATE, None, "220 Hz tone")]

    def default_voice(self, language: str | None = None) -> str:
        return "null"

    def identity(self) -> EngineIdentity:
        # No weights: the tone is Clarion's own code, whose version the cache key holds already.
        return EngineIdentity.of("clarion", tone_hz=220.0)

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        assert self._tone is not None, "engine not loaded"
        out = []
        for seg in batch:
            n = min(len(self._tone), max(1, int(len(seg.text) * SAMPLES_PER_CHAR / seg.speed)))
            out.append(self._tone[:n].copy())
        return out
