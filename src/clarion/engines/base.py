"""The contract between Clarion and a TTS backend.

Engines are synchronous and batch-pure: ``synthesize`` takes a list of segments and
returns one float32 mono array per segment, in order, and keeps no per-request state.
Queues, deadlines, threads and asynchrony belong to the scheduler, not to engines.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import hashlib
import importlib.metadata
import json
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Protocol,
    Self,
    Union,
    cast,
    get_args,
    get_origin,
    runtime_checkable,
)

from pydantic import BaseModel, ConfigDict, ValidationError

from clarion.config import EngineOptions, Settings, engine_option_variable
from clarion.errors import ConfigError

# The shared types live on the ground floor; re-exported here for engines written against this module.
from clarion.types import Audio, AudioChunk, Segment, TimedAudio, VoiceInfo, WordTiming

if TYPE_CHECKING:
    from pathlib import Path

    from clarion.config import Settings
    from clarion.voices.store import VoiceStore

__all__ = [
    "Audio",
    "AudioChunk",
    "CalibratesOnnx",
    "Capabilities",
    "ChecksModelDir",
    "DescribesThreads",
    "Engine",
    "EngineExtras",
    "EngineIdentity",
    "EngineOwnOptions",
    "ExportsOnnx",
    "HasDeterministicExtras",
    "KeepsVoiceStore",
    "OptionValue",
    "SchedulingDefaults",
    "Segment",
    "Streaming",
    "StreamsBatches",
    "TakesExtras",
    "TimedAudio",
    "TimesWords",
    "UsesVoiceStore",
    "VoiceInfo",
    "WordTiming",
    "WritesModelManifest",
    "exports_onnx",
    "files_fingerprint",
    "package_version",
    "provide_voice_store",
    "request_extras",
    "standalone_voice_store",
    "voice_table",
]


class Streaming(enum.StrEnum):
    """The finest granularity at which an engine can hand out audio."""

    NONE = "none"
    SENTENCE = "sentence"
    TOKEN = "token"


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
    cls: object = engine if isinstance(engine, type) else type(engine)
    if not isinstance(cls, TakesExtras):  # the class object carries the ClassVar
        return None
    schema = cls.request_extras
    return schema if isinstance(schema, type) and issubclass(schema, EngineExtras) else None


class EngineOwnOptions(BaseModel):
    """Base for an engine's own options (model path, sampling defaults, a watermark switch).

    They are set like its scheduling options, as ``CLARION_ENGINE_OPTIONS__<ENGINE>__<OPTION>``,
    and read from ``Settings`` with ``from_settings``, never from the environment. An engine
    that has some sets ``own_options`` to its subclass (``HasOwnOptions``); the runtime checks
    the configured values against it at start-up (``check_own_options``), so a typo or a bad
    value fails start-up instead of being ignored. Built directly (tests, tools), it takes the
    options as keywords."""

    model_config = ConfigDict(extra="forbid")

    engine: ClassVar[str]  # the name its options are configured under

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls.model_validate(_decoded(cls, settings.options_for(cls.engine).own()))


def _complex(annotation: Any) -> bool:
    """A type whose value comes from the environment as JSON (a list, a dict, a model)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _complex(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_complex(a) for a in get_args(annotation) if a is not type(None))
    target = origin or annotation
    return target in (list, dict, set, frozenset, tuple) or (
        isinstance(target, type) and issubclass(target, BaseModel)
    )


def _decoded(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the strings meant for list or dict options parsed as JSON, as
    pydantic-settings parses a top-level field's (CLARION_..._SEED_VOICES='[1, 2]')."""
    out = dict(values)
    for name, value in values.items():
        field = model.model_fields.get(name)
        if field is not None and isinstance(value, str) and _complex(field.annotation):
            with contextlib.suppress(ValueError):  # else left as it is: validation says what is wrong
                out[name] = json.loads(value)
    return out


@runtime_checkable
class HasOwnOptions(Protocol):
    """Optional: options of the engine's own (see ``EngineOwnOptions``)."""

    own_options: ClassVar[type[EngineOwnOptions]]


def own_options(engine: type[Any] | object) -> type[EngineOwnOptions] | None:
    """The own-options model of an engine class or instance, or None if it has none."""
    cls: object = engine if isinstance(engine, type) else type(engine)
    if not isinstance(cls, HasOwnOptions):
        return None
    model = cls.own_options
    return model if isinstance(model, type) and issubclass(model, EngineOwnOptions) else None


def check_own_options(name: str, engine: type[Any] | object, settings: Settings) -> None:
    """Refuse (``ConfigError``) options in ``settings.engine_options[name]`` that the engine
    does not have or values it cannot take, naming the variable to fix and the valid options."""
    given = settings.options_for(name).own()
    if not given:
        return
    model = own_options(engine)
    fields = sorted(model.model_fields) if model is not None else []
    legacy = {(v.engine, v.option): v.old for v in settings.legacy_variables() if not v.shadowed}

    def variable(option: str) -> str:
        new = engine_option_variable(name, option)
        old = legacy.get((name, option))
        return f"{new} (set as the deprecated {old})" if old else new

    valid = (
        f"{name}'s own options are {', '.join(fields)}" if fields else f"{name} has no options of its own"
    ) + f"; the scheduling options are {', '.join(EngineOptions.model_fields)}"
    unknown = [option for option in given if option not in fields]
    if unknown:
        names = "; ".join(f"{variable(o)}: {name} has no option {o!r}" for o in unknown)
        raise ConfigError(f"{names}. {valid[0].upper()}{valid[1:]}.")
    if model is None:  # pragma: no cover - every option given was unknown
        return
    try:
        model.model_validate(_decoded(model, given))
    except ValidationError as e:
        problems = []
        for error in e.errors():
            option = str(error["loc"][0]) if error["loc"] else ""
            problems.append(f"{variable(option)}={given.get(option)!r}: {error['msg']}")
        raise ConfigError(f"{'; '.join(problems)}. {valid[0].upper()}{valid[1:]}.") from None


@dataclass(frozen=True, slots=True)
class SchedulingDefaults:
    """What an engine suggests to the batcher when settings leave a value unset."""

    max_batch_size: int = 1
    max_wait_ms: float = 2.0
    workers: int = 1
    threads: int = 1


OptionValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class EngineIdentity:
    """What decides a loaded engine's audio besides the request: the package that runs the
    model and its version, the checkpoint's fingerprint, the optimised variant in use, and
    the engine options that change the sound (a watermark, a precision, sampling defaults).

    The audio cache keys on it (``as_dict``), so anything that changes an engine's output for
    the same request must show here. Build one with ``EngineIdentity.of``."""

    package: str  # the distribution that runs the model ("kokoro-onnx"), "clarion" for built-ins
    version: str
    checkpoint: str  # fingerprint of the weights loaded (see files_fingerprint); "" when none
    variant: str = "shipped"  # the `clarion optimize` variant in use, or "shipped"
    options: tuple[tuple[str, OptionValue], ...] = ()  # sorted by name

    @classmethod
    def of(
        cls,
        package: str,
        checkpoint: str = "",
        *,
        variant: str | None = None,
        version: str | None = None,
        **options: OptionValue,
    ) -> EngineIdentity:
        """``version`` defaults to the installed version of ``package``; ``variant`` None is
        "shipped"."""
        return cls(
            package,
            package_version(package) if version is None else version,
            checkpoint,
            variant or "shipped",
            tuple(sorted(options.items())),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for cache keys and logs."""
        return {
            "package": self.package,
            "version": self.version,
            "checkpoint": self.checkpoint,
            "variant": self.variant,
            "options": dict(self.options),
        }


# Set by the scheduler for each batch it runs: whether it expects other batches of the same
# engine to run beside this one (one is running, or more work is queued and a worker is free
# to take it at once). An engine that can lay a run out either way reads it: all cores for a
# run that will be alone, one for a run that will share them (onnx.AdaptiveSession).
company_expected: contextvars.ContextVar[bool] = contextvars.ContextVar("company_expected", default=False)


def package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Names, sizes and modification times of a checkpoint's files: cheap (no reading), and it
    changes whenever a file is replaced, so audio made from other weights is never served."""
    parts = []
    for path in paths:
        try:
            st = path.stat()
            parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path.name}:-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@runtime_checkable
class Engine(Protocol):
    """The required contract. Constructing an engine is cheap and loads nothing; ``load`` does.

    ``identity()`` describes the loaded model (see ``EngineIdentity``); it is set by ``load``
    and keeps answering after ``unload``. Before the first load it describes what ``load``
    would load, as far as that is known without loading."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, settings: Settings) -> None: ...

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

    def identity(self) -> EngineIdentity: ...


# -- optional capabilities: an engine has one when it has its members -------------------------
# Engine classes are checked with issubclass() where the Protocol has methods only, and with
# isinstance() on the class object (the same attribute check) where it has ClassVars.
@runtime_checkable
class TakesExtras(Protocol):
    """Optional: per-request extras (``extras`` in a speech request), validated against this
    schema before anything is queued; see ``EngineExtras``."""

    request_extras: ClassVar[type[EngineExtras]]


@runtime_checkable
class HasDeterministicExtras(Protocol):
    """Optional: the extras that make output repeatable (noise off), so `clarion optimize`
    can compare precision variants sample for sample."""

    deterministic_extras: ClassVar[Mapping[str, Any]]


@runtime_checkable
class ExportsOnnx(Protocol):
    """Optional: ONNX graphs that `clarion optimize` makes precision variants of and
    `clarion export triton` exports. ``onnx_exported``: True when the engine as installed runs
    PyTorch and the graphs are exports of it (variants are judged against the PyTorch path)."""

    onnx_exported: ClassVar[bool]

    @classmethod
    def onnx_graphs(cls, settings: Settings) -> dict[str, Path]:
        """The shipped (or exported) graphs by name."""
        ...


def exports_onnx(cls: type[Any]) -> type[ExportsOnnx] | None:
    """The engine class as ``ExportsOnnx``, or None if it has no ONNX graphs."""
    obj: object = cls
    return cast("type[ExportsOnnx]", cls) if isinstance(obj, ExportsOnnx) else None


@runtime_checkable
class CalibratesOnnx(Protocol):
    """Optional, with ``ExportsOnnx``: real model inputs for static INT8 calibration, from a
    loaded engine; one list of feeds, or a dict of them by graph name."""

    def calibration_feeds(
        self, texts: Sequence[str]
    ) -> Sequence[dict[str, Any]] | Mapping[str, Sequence[dict[str, Any]]]: ...


@runtime_checkable
class WritesModelManifest(Protocol):
    """Optional: records a custom checkpoint's hashes (``clarion models check --write-manifest``)."""

    @classmethod
    def write_model_manifest(cls, path: Path) -> Path: ...


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


@runtime_checkable
class DescribesThreads(Protocol):
    """Optional: how the engine's workers use the cores, in words (``/v1/models``'s
    ``scheduling.thread_policy`` and the ready log)."""

    @staticmethod
    def thread_policy(workers: int, threads: int, cores: int, settings: Settings) -> str: ...


@runtime_checkable
class PreparesText(Protocol):
    """Optional: the front end's work for a segment (phonemiser, dictionaries) without the model.

    A language's first use costs its front end's loading; the model's first runs cost the same
    in any language. Warm-up therefore runs the model once, in the main language, and for every
    other language only ``prepare``: after the engine is ready, beside requests, where the engine
    is ``thread_safe``; before, otherwise (``Capabilities.languages``)."""

    def prepare(self, segment: Segment) -> None: ...


@runtime_checkable
class TimesWords(Protocol):
    """Optional: word timings from the model's own durations, in the same call as the audio.

    ``synthesize_timed`` is ``synthesize`` plus, per segment, when each word of its text is
    heard (seconds from the start of that segment's audio, at the segment's speed). The
    scheduler calls it instead of ``synthesize`` when a request asks for timestamps."""

    def synthesize_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]: ...


@runtime_checkable
class UsesVoiceStore(Protocol):
    """Optional: the engine speaks uploaded voices (cloning). Whoever runs it hands it the
    server's one ``VoiceStore`` after construction and before ``load`` (``provide_voice_store``):
    the runtime does, in the server and in each worker process. An engine used on its own (the
    CLI, `clarion optimize`, a test) falls back to ``standalone_voice_store``."""

    def use_voice_store(self, store: VoiceStore) -> None: ...


def provide_voice_store(engine: object, store: VoiceStore) -> None:
    """Give ``engine`` the store if it uses one (module-level, so a ``functools.partial`` of it
    pickles into a worker process)."""
    if isinstance(engine, UsesVoiceStore):
        engine.use_voice_store(store)


def standalone_voice_store(settings: Settings) -> VoiceStore:
    """The store an engine run outside a server reads: the same folder the server's uses."""
    from clarion.voices.store import VoiceStore

    return VoiceStore(settings.data_dir / "voices")


class KeepsVoiceStore:
    """``UsesVoiceStore`` for an engine class: the store it is given, else (run on its own,
    not by a server) ``standalone_voice_store`` of its ``_settings``."""

    _settings: Settings
    _voice_store: VoiceStore | None = None

    def use_voice_store(self, store: VoiceStore) -> None:
        self._voice_store = store

    def _store(self) -> VoiceStore:
        if self._voice_store is None:
            self._voice_store = standalone_voice_store(self._settings)
        return self._voice_store


def voice_table(voices: Sequence[VoiceInfo]) -> dict[str, VoiceInfo]:
    return {v.id: v for v in voices}
