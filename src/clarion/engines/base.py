"""The contract between Clarion and a TTS backend.

Engines are synchronous and batch-pure: ``synthesize`` takes a list of segments and
returns one float32 mono array per segment, in order, and keeps no per-request state.
Queues, deadlines, threads and asynchrony belong to the scheduler, not to engines.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pathlib import Path

    from clarion.config import Settings

Audio = npt.NDArray[np.float32]


class Streaming(enum.StrEnum):
    """The finest granularity at which an engine can hand out audio."""

    NONE = "none"
    SENTENCE = "sentence"
    TOKEN = "token"


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
class Capabilities:
    languages: tuple[str, ...]
    # Most segments one synthesize() call accepts. 1 means the engine loops internally.
    max_batch_size: int = 1
    # True when a batch runs as one model call along a batch axis (batching can pay off).
    batch_axis: bool = False
    streaming: Streaming = Streaming.SENTENCE
    cloning: bool = False
    # Speed factors the model applies natively; the service time-stretches outside it.
    speed_range: tuple[float, float] = (0.5, 2.0)
    # True when one loaded instance may run synthesize() from several threads at once.
    thread_safe: bool = True
    # True when voices are embeddings that can be blended ("a(0.7)+b(0.3)", see mixing.py).
    voice_mixing: bool = False
    # The extras field a request's OpenAI ``instructions`` fills (IndexTTS-2: "emo_text");
    # None: the engine has no use for them and they are accepted and ignored.
    instructions_extra: str | None = None


class EngineExtras(BaseModel):
    """Base for an engine's request extras (``extras`` in a speech request).

    An engine that takes extras sets ``request_extras`` to a subclass; requests are
    validated against it before anything is queued, and unknown names are refused with
    the list of valid ones. Engines receive the validated values in ``Segment.extras``."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def request_extras(engine: type[Any] | object) -> type[EngineExtras] | None:
    """The extras schema of an engine class or instance, or None if it takes none."""
    cls = engine if isinstance(engine, type) else type(engine)
    schema = getattr(cls, "request_extras", None)
    return schema if isinstance(schema, type) and issubclass(schema, EngineExtras) else None


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
class AudioChunk:
    """Audio for one segment of a request, as the service hands it out in order."""

    samples: Audio
    sample_rate: int
    index: int
    text: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, slots=True)
class SchedulingDefaults:
    """What an engine suggests to the batcher when settings leave a value unset."""

    max_batch_size: int = 1
    max_wait_ms: float = 2.0
    workers: int = 1
    threads: int = 1


@runtime_checkable
class Engine(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        """Why this engine cannot load here (missing extra or files), or None if it can.

        Cheap: must not load the model."""
        ...

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def loaded(self) -> bool: ...

    def load(self, device: str, threads: int) -> None: ...

    def unload(self) -> None: ...

    def voices(self) -> list[VoiceInfo]: ...

    def default_voice(self, language: str | None = None) -> str: ...

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]: ...


@runtime_checkable
class ChecksModelDir(Protocol):
    """Optional: an engine whose weights live in a model directory says what is wrong with
    one, a line per problem, empty when it would load (``clarion models check``)."""

    @classmethod
    def check_model_dir(cls, path: Path) -> list[str]: ...


@runtime_checkable
class StreamsBatches(Protocol):
    """Optional, for ``Streaming.TOKEN`` engines: a batch's audio while it is generated.

    Each yielded list holds one array per segment of the batch, in order, with the samples
    that are new since the previous yield (empty when a segment has nothing new); joined per
    segment they are that segment's audio. Streamed responses hand these pieces to the client
    as they come (``Executor.run(on_part=...)``)."""

    def synthesize_stream(self, batch: Sequence[Segment]) -> Iterator[list[Audio]]: ...


def voice_table(voices: Sequence[VoiceInfo]) -> dict[str, VoiceInfo]:
    return {v.id: v for v in voices}
