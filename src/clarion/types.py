"""Ground-floor types shared by every layer: audio arrays, the segments engines render, the
voices they offer and the chunks the service hands out.

Nothing here imports the rest of Clarion, so any module may import it (the import-linter
contracts in pyproject.toml keep it that way). ``clarion.engines.base`` re-exports these
names for engines written against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Audio = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    id: str
    engine: str
    language: str  # BCP-47, e.g. "en-US", "zh-CN"
    licence: str
    sample_rate: int
    gender: str | None = None
    description: str = ""

    @property
    def lang(self) -> str:
        """Primary language subtag ("en", "zh"), what the text front end works in."""
        return self.language.split("-")[0].lower()


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of text the engine renders in one go (usually a sentence)."""

    text: str
    voice: str
    language: str = "en"
    speed: float = 1.0
    seed: int | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WordTiming:
    """When one word of a segment is heard, in seconds from the start of that segment's audio."""

    word: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class TimedAudio:
    """A segment's audio with the timings of its words, in order (``TimesWords`` engines)."""

    samples: Audio
    words: tuple[WordTiming, ...] = ()


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """Audio for one segment of a request, as the service hands it out in order."""

    samples: Audio
    sample_rate: int
    index: int
    text: str
    # When the request asked for timestamps: the words of this chunk's segment, in seconds
    # from the start of the request's audio (empty where its engine gives none); else None.
    words: tuple[WordTiming, ...] | None = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate
