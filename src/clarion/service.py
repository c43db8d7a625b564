"""Text in, ordered audio out: text -> normalised segments -> batcher -> audio chunks.

The service owns the loaded engines and their batchers. It knows nothing of HTTP:
the API layer and the CLI both drive it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from clarion import __version__, allocator
from clarion.cache import AudioCache, CachedChunk, cache_key
from clarion.config import Settings
from clarion.engines.base import (
    Audio,
    AudioChunk,
    Engine,
    SchedulingDefaults,
    Segment,
    VoiceInfo,
    request_extras,
)
from clarion.engines.mixing import Mix, canonical, is_mix, parse_mix
from clarion.engines.registry import discover, engine_class
from clarion.errors import (
    DeadlineExceeded,
    EngineUnavailable,
    InvalidRequest,
    ModelNotFound,
    NoSpeakableText,
    QueueFull,
    RateLimited,
    VoiceNotFound,
)
from clarion.observability.logging import adopt_library_loggers
from clarion.observability.metrics import Metrics
from clarion.scheduler.batcher import Batcher, Trace
from clarion.scheduler.calibrate import Calibration, calibrate
from clarion.scheduler.executor import Executor, ThreadExecutor, streams_parts
from clarion.scheduler.workers import ProcessExecutor
from clarion.text.frontend import FrontEndOptions, FrontEndResult, TaggedSegment, TextFrontEnd
from clarion.text.lang import has_han
from clarion.text.lexicon import Lexicon
from clarion.text.spans import Language
from clarion.text.split import split_sentences
from clarion.text.ssml import Pause, Say, looks_like_ssml, parse_ssml
from clarion.voices.store import VoiceStore

log = logging.getLogger(__name__)

WARMUP_TEXT = {"en": "Hello, this is a warm-up.", "zh": "你好，这是预热。"}
# A short one after the sentences: two lengths tell admission control's cost model the fixed
# and the per-character part of a segment's cost before the first request.
WARMUP_SHORT = {"en": "OK.", "zh": "好。"}


@dataclass(slots=True)
class EngineRuntime:
    """One loaded engine with its batcher and the scheduling it runs with."""

    name: str
    engine: Engine
    batcher: Batcher
    voices: dict[str, VoiceInfo]
    scheduling: SchedulingDefaults
    load_seconds: float
    calibration: Calibration | None = None
    idle_unload_s: float | None = None  # None: stays loaded
    refs: int = 0  # requests using the engine now; a used engine is never unloaded
    last_used: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def loaded(self) -> bool:
        return all(e.loaded for e in self.batcher.executor.instances())

    def describe(self) -> dict[str, Any]:
        caps = self.engine.capabilities
        return {
            "languages": list(caps.languages),
            "sample_rate": self.engine.sample_rate,
            "voices": len(self.voices),
            "streaming": caps.streaming.value,
            "cloning": caps.cloning,
            "scheduling": {
                "max_batch_size": self.batcher.max_batch_size,
                "max_wait_ms": self.batcher.max_wait_s * 1000,
                "workers": self.batcher.executor.workers,
                "threads_per_worker": self.scheduling.threads,
                "queue_size": self.batcher.queue_size,
                "calibration": self.calibration.report() if self.calibration else None,
                # What admission control believes one worker spends per segment and per
                # weighted character (clarion.scheduler.cost), learned from recent batches.
                "cost": {
                    "per_segment_s": round(self.batcher.cost.per_segment, 5),
                    "per_char_s": round(self.batcher.cost.per_char, 6),
                },
            },
            "isolation": self.batcher.executor.describe(),
            "extras": schema.model_json_schema() if (schema := request_extras(self.engine)) else None,
            "load_seconds": round(self.load_seconds, 3),
            "loaded": self.loaded,
            "idle_unload_s": self.idle_unload_s,
        }


@dataclass(frozen=True, slots=True)
class Planned:
    """One segment and the engine that renders it."""

    runtime: EngineRuntime
    segment: Segment
    stretch: float = 1.0  # time-stretch left after the engine's native speed range
    silence_s: float = 0.0  # a pause (SSML <break>): this much silence, no synthesis


# Texts at least this long are planned in two steps (first sentence, then the rest), so
# that reading a long text does not hold back its first audio.
_PLAN_IN_PARTS_CHARS = 1000


def reading_language(voice: VoiceInfo) -> Language | None:
    """The front end's language for a voice: its own for Mandarin and English voices, none
    for others (a cloned multilingual voice), where the text's own script decides."""
    if voice.lang == "zh":
        return "zh"
    if voice.lang == "en":
        return "en"
    return None


@dataclass(frozen=True, slots=True)
class SpeechJob:
    """A validated request, ready to run."""

    runtime: EngineRuntime
    voice: VoiceInfo
    text: str
    speed: float = 1.0
    seed: int | None = None
    timeout_s: float = 60.0
    extras: Mapping[str, Any] = field(default_factory=dict)
    trace: Trace = field(default_factory=Trace)  # filled in while it runs, for the access log
    use_cache: bool = True  # False: synthesise afresh (the result is still stored)
    background: bool = False  # batch-job work: yields to interactive requests, no admission check
    # Hand out a segment's audio while it is generated, where the engine streams tokens (a
    # streamed response); otherwise each chunk is a whole segment.
    partial: bool = False
    # "ssml": the text is SSML; "text": it is read as written; None: SSML if it starts with <speak.
    input_format: Literal["text", "ssml"] | None = None

    @property
    def is_ssml(self) -> bool:
        return self.input_format == "ssml" or (self.input_format is None and looks_like_ssml(self.text))


class Service:
    def __init__(
        self, settings: Settings, engines: Mapping[str, Engine] | None = None, metrics: Metrics | None = None
    ) -> None:
        """``engines``: ready instances to serve instead of loading ``settings.engines``
        through the registry (tests, embedding). They are loaded if not loaded yet."""
        self.settings = settings
        self._given = dict(engines) if engines is not None else None
        self.runtimes: dict[str, EngineRuntime] = {}
        self.skipped: dict[str, str] = {}  # engine -> why it was not loaded
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
        self._reaper: asyncio.Task[None] | None = None
        self._trimmer: asyncio.Task[None] | None = None
        self.trims = 0  # times freed heap memory was handed back (allocator.trim)
        self.metrics = metrics

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        names = list(self._given) if self._given is not None else self._engine_names()
        for name in names:
            try:
                runtime = await asyncio.to_thread(self._load, name)
            except EngineUnavailable as e:
                if name in self.settings.required_engines or name == self.settings.default_engine:
                    raise
                log.warning("engine %s not loaded: %s", name, e.message)
                self.skipped[name] = e.message
                continue
            runtime.batcher.start()
            self.runtimes[name] = runtime
        if not self.runtimes:
            raise EngineUnavailable("no engine could be loaded; see `clarion engines`")
        ttls = [rt.idle_unload_s for rt in self.runtimes.values() if rt.idle_unload_s]
        if ttls:
            self._reaper = asyncio.get_running_loop().create_task(self._unload_idle(min(ttls)))
        if self.settings.malloc_trim_idle_s:
            self._trimmer = asyncio.get_running_loop().create_task(
                self._trim(self.settings.malloc_trim_idle_s, self.settings.malloc_trim_busy_s)
            )
        self.ready = True

    def engines_down(self) -> list[str]:
        """Engines that cannot take work right now (every worker process being restarted)."""
        return [name for name, rt in self.runtimes.items() if not rt.batcher.executor.available]

    # -- idle unload and lazy reload --------------------------------------------
    async def _acquire(self, rt: EngineRuntime) -> None:
        """Count a user of the engine, reloading it first if it was unloaded while idle."""
        rt.refs += 1
        if rt.loaded:
            return
        try:
            async with rt.lock:
                if not rt.loaded:
                    await asyncio.to_thread(self._reload, rt)
        except BaseException:
            self._release(rt)
            raise

    def _release(self, rt: EngineRuntime) -> None:
        rt.refs -= 1
        rt.last_used = time.monotonic()

    def _reload(self, rt: EngineRuntime) -> None:
        log.info("reloading engine %s", rt.name)
        device = self.settings.resolved_device
        for engine in rt.batcher.executor.instances():
            if not engine.loaded:
                engine.load(device, rt.scheduling.threads)
        if self.metrics:
            self.metrics.engine_events.labels(rt.name, "load").inc()

    async def _unload_idle(self, shortest_ttl: float) -> None:
        while True:
            await asyncio.sleep(min(5.0, max(0.05, shortest_ttl / 4)))
            now = time.monotonic()
            for rt in self.runtimes.values():
                idle = rt.refs == 0 and rt.batcher.queue_depth == 0 and rt.batcher.in_flight == 0
                if not (rt.idle_unload_s and idle and now - rt.last_used > rt.idle_unload_s and rt.loaded):
                    continue
                async with rt.lock:
                    if rt.refs:
                        continue  # a request arrived while we waited for the lock
                    log.info("unloading engine %s after %.0f s idle", rt.name, now - rt.last_used)
                    await self._unload(rt)

    async def _trim(self, idle_s: float, busy_s: float) -> None:
        """Once synthesis has been idle ``idle_s``, hand the heaps' free pages back, once per
        quiet spell: after a burst the process shrinks instead of keeping its high-water mark.
        Under a load with no such spell, every ``busy_s`` (0: never) instead."""
        seen = trimmed = self._batches_run()
        quiet_since = last_trim = time.monotonic()
        while True:
            await asyncio.sleep(max(0.05, idle_s / 2))
            now, ran = time.monotonic(), self._batches_run()
            busy = any(rt.batcher.in_flight or rt.batcher.queue_depth for rt in self.runtimes.values())
            if busy or ran != seen:
                seen, quiet_since = ran, now
            idle = now - quiet_since >= idle_s
            if ran != trimmed and (idle or (busy_s and now - last_trim >= busy_s)):
                trimmed, last_trim = ran, now
                await asyncio.to_thread(allocator.trim)
                self.trims += 1

    def _batches_run(self) -> int:
        return sum(rt.batcher.stats.batches for rt in self.runtimes.values())

    async def _unload(self, rt: EngineRuntime) -> None:
        """Unload every instance of a loaded engine (a no-op for one already unloaded)."""
        if not rt.loaded:
            return
        for engine in rt.batcher.executor.instances():
            await asyncio.to_thread(engine.unload)
        if self.metrics:
            self.metrics.engine_events.labels(rt.name, "unload").inc()

    async def stop(self) -> None:
        self.ready = False
        for task in (self._reaper, self._trimmer):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for rt in self.runtimes.values():
            await rt.batcher.close()  # running batches finish before the model goes away
            await self._unload(rt)
        self.runtimes.clear()

    def _engine_names(self) -> list[str]:
        names = list(dict.fromkeys([self.settings.default_engine, *self.settings.engines]))
        available = discover(self.settings)
        for name in names:
            entry = available.get(name)
            if entry is None or entry.problem:
                why = "not registered" if entry is None else entry.problem
                if name in self.settings.required_engines or name == self.settings.default_engine:
                    raise EngineUnavailable(f"engine {name!r} cannot load: {why}")
                self.skipped[name] = str(why)
        return [n for n in names if n not in self.skipped]

    def _load(self, name: str) -> EngineRuntime:
        t0 = time.perf_counter()
        given = self._given[name] if self._given is not None else None
        cls: type[Engine] = type(given) if given is not None else engine_class(name, self.settings)
        opts = self.settings.options_for(name)
        defaults = cls.scheduling_defaults(os.cpu_count() or 1)
        threads = opts.threads or defaults.threads
        workers = opts.workers or defaults.workers
        device = self.settings.resolved_device
        executor: Executor
        if (opts.isolation or self.settings.isolation) == "process":
            pool = ProcessExecutor(
                cls,
                self.settings,
                workers=workers,
                device=device,
                threads=threads,
                timeout_s=opts.worker_timeout_s or self.settings.worker_timeout_s,
                start_timeout_s=self.settings.worker_start_timeout_s,
                on_event=self._worker_event(name),
            )
            try:
                pool.start()
            except BaseException:
                pool.close()
                raise
            engine: Engine = pool.proxy
            executor = pool
        else:
            engine = given if given is not None else cls(self.settings)
            if not engine.loaded:
                engine.load(device, threads)

            def another() -> Engine:
                e = cls(self.settings)
                e.load(device, threads)
                return e

            executor = ThreadExecutor(engine, workers, another)
        try:
            return self._prepare(name, engine, executor, t0)
        except BaseException:
            executor.close()
            raise

    def _worker_event(self, name: str) -> Callable[[str], None]:
        def event(kind: str) -> None:
            if self.metrics:
                self.metrics.engine_events.labels(name, f"worker_{kind}").inc()

        return event

    def _prepare(self, name: str, engine: Engine, executor: Executor, t0: float) -> EngineRuntime:
        """Warm up, size batches and build the batcher for a loaded engine."""
        adopt_library_loggers()  # before warm-up: some libraries log on first use
        opts = self.settings.options_for(name)
        defaults = type(engine).scheduling_defaults(os.cpu_count() or 1)
        voices = {v.id: v for v in engine.voices()}
        warm: list[tuple[str, float]] = []  # (text, seconds) of each warm-up synthesis
        if self.settings.warmup:
            langs = [lang for lang in engine.capabilities.languages if lang in WARMUP_TEXT]
            texts = [(lang, WARMUP_TEXT[lang]) for lang in langs]
            texts += [(lang, WARMUP_SHORT[lang]) for lang in langs[:1]]
            for lang, text in texts:
                t_warm = time.perf_counter()
                engine.synthesize([Segment(text, engine.default_voice(lang), lang)])
                warm.append((text, time.perf_counter() - t_warm))
        batch, calibration = self._batch_size(engine, opts.max_batch_size, defaults.max_batch_size)
        scheduling = SchedulingDefaults(
            max_batch_size=batch,
            max_wait_ms=opts.max_wait_ms if opts.max_wait_ms is not None else defaults.max_wait_ms,
            workers=executor.workers,
            threads=opts.threads or defaults.threads,
        )
        batcher = Batcher(
            name,
            executor,
            max_batch_size=batch,
            max_wait_ms=scheduling.max_wait_ms,
            queue_size=opts.queue_size or self.settings.queue_size,
            on_batch=self.metrics.on_batch(name, engine.sample_rate) if self.metrics else None,
        )
        # Admission control's first figures (the first, cold run included: it errs on the safe side).
        batcher.seed(warm)
        if self.metrics:
            self.metrics.engine_events.labels(name, "load").inc()
        ttl = None if opts.keep_warm else (opts.idle_unload_s or self.settings.idle_unload_s)
        return EngineRuntime(
            name,
            engine,
            batcher,
            voices,
            scheduling,
            time.perf_counter() - t0,
            calibration,
            idle_unload_s=ttl,
        )

    def _batch_size(
        self, engine: Engine, asked: int | Literal["auto"] | None, default: int
    ) -> tuple[int, Calibration | None]:
        """The batch size to run with: as configured, the engine's default, or measured ('auto')."""
        if asked != "auto":
            return min(asked or default, engine.capabilities.max_batch_size), None
        lang = engine.capabilities.languages[0]
        probe = Segment(WARMUP_TEXT.get(lang, WARMUP_TEXT["en"]), engine.default_voice(lang), lang)
        calibration = calibrate(
            engine, probe, engine.capabilities.max_batch_size, self.settings.calibration_latency_s
        )
        log.info("engine %s calibrated: batch %d (%s)", engine.name, calibration.chosen, calibration.measured)
        return calibration.chosen, calibration

    def validate_extras(self, runtime: EngineRuntime, extras: Mapping[str, Any]) -> dict[str, Any]:
        """A request's engine extras, checked against the engine's schema (400 naming the
        valid ones otherwise); what engines receive in ``Segment.extras``."""
        if not extras:
            return {}
        schema = request_extras(runtime.engine)
        if schema is None:
            raise InvalidRequest(
                f"engine {runtime.name!r} takes no extras; got: {', '.join(sorted(extras))}", param="extras"
            )
        try:
            return schema.model_validate(extras).model_dump(exclude_unset=True)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'extras'}: {err['msg']}" for err in e.errors()
            )
            raise InvalidRequest(
                f"invalid extras for engine {runtime.name!r}: {problems}. "
                f"Valid extras: {', '.join(schema.model_fields)}",
                param="extras",
            ) from None

    # -- lookup ----------------------------------------------------------------
    def all_voices(self) -> list[VoiceInfo]:
        return [v for rt in self.runtimes.values() for v in rt.voices.values()]

    def resolve(self, model: str, voice: str) -> tuple[EngineRuntime, VoiceInfo]:
        """Map an OpenAI (model, voice) pair to a loaded engine and one of its voices."""
        target = self.settings.model_aliases.get(model, model)
        if target == "auto":
            for rt in self._by_preference():
                if voice in rt.voices:
                    return rt, rt.voices[voice]
            alias = self.settings.voice_aliases.get(voice)
            for rt in self._by_preference():
                if alias in rt.voices:
                    return rt, rt.voices[alias]
            for rt in self._by_preference():
                if info := self._uploaded(rt, voice):
                    return rt, info
            if is_mix(voice):
                mix = parse_mix(voice)
                for rt in self._by_preference():
                    if rt.engine.capabilities.voice_mixing and all(n in rt.voices for n, _ in mix):
                        return rt, self._mixed(rt, mix)
            if alias is not None:
                # An OpenAI voice name with no matching pack loaded: the default voice answers.
                rt = self.runtimes[self._default_name()]
                return rt, rt.voices[rt.engine.default_voice()]
            raise VoiceNotFound(
                f"no loaded engine has a voice {voice!r}; valid voices: {', '.join(self._voice_names())}",
                param="voice",
            )
        runtime = self.runtimes.get(target)
        if runtime is None:
            why = f" ({self.skipped[target]})" if target in self.skipped else ""
            raise ModelNotFound(
                f"model {model!r} is not loaded{why}; valid models: {', '.join(self.model_names())}",
                param="model",
            )
        if voice not in runtime.voices:
            alias = self.settings.voice_aliases.get(voice)
            if alias in runtime.voices:
                return runtime, runtime.voices[alias]
            if info := self._uploaded(runtime, voice):
                return runtime, info
            if is_mix(voice):
                if not runtime.engine.capabilities.voice_mixing:
                    mixers = [n for n, r in self.runtimes.items() if r.engine.capabilities.voice_mixing]
                    raise VoiceNotFound(
                        f"model {runtime.name!r} cannot mix voices; engines that can: "
                        f"{', '.join(mixers) or 'none loaded'}",
                        param="voice",
                    )
                return runtime, self._mixed(runtime, parse_mix(voice))
            if self.voice_store.exists(voice):
                cloners = [n for n, rt in self.runtimes.items() if rt.engine.capabilities.cloning]
                raise VoiceNotFound(
                    f"voice {voice!r} is an uploaded clip and model {runtime.name!r} does not clone voices; "
                    f"models that do: {', '.join(cloners) or 'none loaded'}",
                    param="voice",
                )
            raise VoiceNotFound(
                f"model {runtime.name!r} has no voice {voice!r}; "
                f"valid voices: {', '.join(sorted(runtime.voices))}",
                param="voice",
            )
        return runtime, runtime.voices[voice]

    def _mixed(self, rt: EngineRuntime, mix: Mix) -> VoiceInfo:
        """A blend of the engine's own voices; the first one leads (language, licence)."""
        missing = [name for name, _ in mix if name not in rt.voices]
        if missing:
            raise VoiceNotFound(
                f"voice mix names {', '.join(map(repr, missing))}, which model {rt.name!r} does not have",
                param="voice",
            )
        lead = rt.voices[mix[0][0]]
        spelled = canonical(mix)
        return VoiceInfo(
            spelled, rt.name, lead.language, lead.licence, lead.sample_rate, None, f"mix: {spelled}"
        )

    def _uploaded(self, rt: EngineRuntime, voice: str) -> VoiceInfo | None:
        """An uploaded reference clip as a voice of a cloning engine."""
        if not rt.engine.capabilities.cloning or not self.voice_store.exists(voice):
            return None
        langs = rt.engine.capabilities.languages
        return VoiceInfo(
            voice,
            rt.name,
            "mul" if len(langs) > 1 else langs[0],  # a cloned voice speaks whatever its engine does
            "uploaded by the user",
            rt.engine.sample_rate,
            None,
            "cloned from an uploaded reference clip",
        )

    def model_names(self) -> list[str]:
        return [*self.runtimes, *(a for a in self.settings.model_aliases if a not in self.runtimes)]

    def default_voice(self) -> str:
        """The default engine's default voice (what requests without a voice get)."""
        return self.runtimes[self._default_name()].engine.default_voice()

    def _default_name(self) -> str:
        d = self.settings.default_engine
        return d if d in self.runtimes else next(iter(self.runtimes))

    def _by_preference(self) -> list[EngineRuntime]:
        first = self._default_name()
        return [self.runtimes[first], *(rt for n, rt in self.runtimes.items() if n != first)]

    def _voice_names(self) -> list[str]:
        return sorted({v for rt in self.runtimes.values() for v in rt.voices})

    # -- synthesis -------------------------------------------------------------
    def frontend_options(self, engine: str) -> FrontEndOptions:
        opts = self.settings.options_for(engine)
        return FrontEndOptions(
            enabled=opts.text_frontend,
            erhua=opts.erhua,
            yao=opts.yao,
            max_segment_chars=opts.max_segment_chars or self.settings.max_segment_chars,
        )

    def analyse(
        self, text: str, engine: str | None = None, language: Language | None = None
    ) -> FrontEndResult:
        """What an engine will actually read: normalised text, tagged segments, rules fired.
        ``language``: the reading voice's, which numbers and symbols are read in."""
        options = (
            self.frontend_options(engine)
            if engine
            else FrontEndOptions(max_segment_chars=self.settings.max_segment_chars)
        )
        return self.frontend.process(text, dataclasses.replace(options, language=language))

    def plan_parts(self, job: SpeechJob) -> Iterator[list[Planned]]:
        """Each segment with the engine that renders it, a part of the text at a time (its
        first sentence, then the rest: see ``TextFrontEnd.process_parts``). The requested
        voice reads it, or for a language that voice cannot speak, the voice
        ``language_voices`` names for it."""
        options = self.frontend_options(job.runtime.name)
        options = dataclasses.replace(options, language=reading_language(job.voice))
        if job.is_ssml:
            yield self._ssml_plan(job, options)
            return
        for part in self.frontend.process_parts(job.text, options):
            yield [self._planned(job, tagged) for tagged in part.segments]

    def _ssml_plan(self, job: SpeechJob, options: FrontEndOptions) -> list[Planned]:
        """An SSML document's pieces: text through the front end at its rate and language,
        pauses as silence."""
        plan: list[Planned] = []
        for piece in parse_ssml(_as_document(job.text), options.language):
            if isinstance(piece, Pause):
                if piece.seconds > 0:
                    pause = Segment("", job.voice.id, job.voice.lang, job.speed, job.seed, job.extras)
                    plan.append(Planned(job.runtime, pause, silence_s=piece.seconds))
                continue
            read = dataclasses.replace(options, language=piece.language or options.language)
            for tagged in self.frontend.process(piece.text, read).segments:
                plan.append(self._planned(job, tagged, piece.rate))
        return plan

    def segments(self, job: SpeechJob) -> list[Planned]:
        out = [planned for part in self.plan_parts(job) for planned in part]
        if not any(not p.silence_s for p in out):
            raise self._nothing_to_say(job)
        return out

    def _nothing_to_say(self, job: SpeechJob) -> NoSpeakableText:
        text = job.text
        if job.is_ssml:
            text = "".join(p.text for p in parse_ssml(_as_document(job.text)) if isinstance(p, Say))
        read = self.analyse(text, job.runtime.name, reading_language(job.voice)).text
        shown = read if len(read) <= 40 else read[:40] + "…"
        return NoSpeakableText(
            f"input has nothing to say: after normalisation it reads {shown!r}, with no letters, "
            "digits or Chinese characters; send text with words in it",
            param="input",
        )

    def _planned(self, job: SpeechJob, tagged: TaggedSegment, rate: float = 1.0) -> Planned:
        runtime, voice = job.runtime, job.voice
        if tagged.language == "zh" and not self._speaks_zh(job):
            runtime, voice = self._fallback(job, tagged.language, tagged.text)
        speed = min(max(job.speed * rate, 0.25), 4.0)
        lo, hi = runtime.engine.capabilities.speed_range
        native = min(max(speed, lo), hi)
        segment = Segment(tagged.text, voice.id, tagged.language, native, job.seed, job.extras)
        return Planned(runtime, segment, _stretch_factor(speed, (lo, hi)))

    @staticmethod
    def _speaks_zh(job: SpeechJob) -> bool:
        voice = job.voice
        return voice.lang == "zh" or (
            voice.lang == "mul" and "zh" in job.runtime.engine.capabilities.languages
        )

    async def _plan(self, job: SpeechJob) -> tuple[list[Planned], asyncio.Future[list[Planned]] | None]:
        """The plan to start with, and the rest of it while it is still being read.

        A short text is planned whole. A long one is planned in two steps: its first
        sentence at once, so synthesis starts after a few milliseconds, the rest off the
        event loop meanwhile."""
        if len(job.text) < _PLAN_IN_PARTS_CHARS or job.is_ssml:
            return self.segments(job), None
        # Checked up front: a routing error must be an HTTP error, not a failure midway.
        if has_han(job.text) and not self._speaks_zh(job):
            self._fallback(job, "zh", job.text[:20])
        parts = self.plan_parts(job)
        head = next(parts, [])
        rest: asyncio.Future[list[Planned]] | None = asyncio.ensure_future(
            asyncio.to_thread(lambda: [p for part in parts for p in part])
        )
        if not head and rest is not None:
            head, rest = await rest, None
        if not head:
            raise self._nothing_to_say(job)
        return head, rest

    def _fallback(self, job: SpeechJob, language: str, text: str) -> tuple[EngineRuntime, VoiceInfo]:
        wanted = self.settings.language_voices.get(language)
        for rt in self.runtimes.values():
            if wanted in rt.voices:
                return rt, rt.voices[wanted]
        choices = ", ".join(self._voices_for(language)) or "none loaded"
        raise InvalidRequest(
            f"voice {job.voice.id!r} speaks {job.voice.language} but the input contains Chinese text "
            f"({text[:20]!r}); choose a Mandarin voice ({choices}) "
            f"or set CLARION_LANGUAGE_VOICES to route {language} segments to one",
            param="voice",
        )

    def _voices_for(self, lang: str) -> list[str]:
        return sorted(v.id for v in self.all_voices() if v.lang == lang)[:8]

    async def stream(self, job: SpeechJob) -> AsyncGenerator[AudioChunk, None]:
        """Audio chunks in order, one per segment, at the requested voice's sample rate.
        Up to ``lookahead`` segments are in the batchers at once, so one long request uses
        several workers while staying ordered. Closing the iterator (client gone) cancels
        everything still queued."""
        if self.cache is None or not job.use_cache:
            # Refuse a hopeless request before spending time on its text: the work already
            # ahead of it is a lower bound on its wait (under overload, this keeps refusals
            # fast). The full check, with its own segments, follows the plan. (A request the
            # cache may answer is not refused before the cache has been asked.)
            self._admit(job, {job.runtime.name: []})
        rate = job.runtime.engine.sample_rate
        # Keyed on the request, not on the read text: a hit costs no front-end work at all.
        key = self._cache_key(job) if self.cache is not None else None
        if key is not None and job.use_cache:
            entry = await self._cache_get(key)
            if entry is not None:
                job.trace.cache = "hit"
                for index, cached in enumerate(entry):
                    yield AudioChunk(cached.samples, rate, index, cached.text)
                return
        plan, rest = await self._plan(job)
        job.trace.cache = "off" if key is None else ("miss" if job.use_cache else "bypass")
        produced: list[CachedChunk] = []
        # aclosing: a client that leaves must cancel the queued segments now, not at GC time.
        async with contextlib.aclosing(self._synthesise(job, plan, rate, rest)) as chunks:
            async for chunk in chunks:
                produced.append(CachedChunk(chunk.samples, chunk.text))
                yield chunk
        if key is not None and self.cache is not None:
            # Only complete results are stored (a client that left midway stores nothing).
            await self._cache_put(key, tuple(produced))

    def _cache_key(self, job: SpeechJob) -> str:
        """Everything that decides the audio: the request, the front end's options and
        lexicon, and every engine a segment may be routed to."""
        clip = (
            self.voice_store.get(job.voice.id).sha256 if self._uploaded(job.runtime, job.voice.id) else None
        )
        versions = {name: rt.engine.identity().as_dict() for name, rt in self.runtimes.items()}
        options = dataclasses.asdict(self.frontend_options(job.runtime.name))
        parts: list[Any] = [__version__, job.seed, dict(job.extras), job.text, job.runtime.name, job.voice.id]
        parts += [job.voice.language, clip, job.speed, options, self.frontend.lexicon.fingerprint()]
        parts += [self.settings.language_voices, versions]
        return cache_key(parts)

    async def _cache_get(self, key: str) -> tuple[CachedChunk, ...] | None:
        assert self.cache is not None
        return await asyncio.to_thread(self.cache.get, key) if self.cache.disk else self.cache.get(key)

    async def _cache_put(self, key: str, entry: tuple[CachedChunk, ...]) -> None:
        assert self.cache is not None
        if self.cache.disk:
            await asyncio.to_thread(self.cache.put, key, entry)
        else:
            self.cache.put(key, entry)

    async def _synthesise(
        self,
        job: SpeechJob,
        plan: list[Planned],
        rate: int,
        rest: asyncio.Future[list[Planned]] | None = None,
    ) -> AsyncGenerator[AudioChunk, None]:
        """``plan``'s audio in order; ``rest``, while still being planned, joins it when ready."""
        begun = time.monotonic()
        deadline = begun + job.timeout_s
        lookahead = self.settings.lookahead
        # Each segment in flight: its whole audio, and (streamed in pieces) the pieces so far.
        pending: collections.deque[tuple[asyncio.Future[Audio], asyncio.Queue[Audio | None] | None]] = (
            collections.deque()
        )
        submitted = 0

        def fill() -> None:
            nonlocal submitted, rest
            if rest is not None and rest.done():
                plan.extend(rest.result())  # a planning error is raised here, in order
                rest = None
            while submitted < len(plan) and len(pending) < lookahead:
                item = plan[submitted]
                if item.silence_s:
                    silence: asyncio.Future[Audio] = asyncio.get_running_loop().create_future()
                    silence.set_result(np.zeros(round(item.silence_s * rate), dtype=np.float32))
                    pending.append((silence, None))
                    submitted += 1
                    continue
                parts: asyncio.Queue[Audio | None] | None = None
                if job.partial and _streams_pieces(item, rate):
                    parts = asyncio.Queue()
                try:
                    fut = item.runtime.batcher.submit(
                        item.segment,
                        max(0.0, deadline - time.monotonic()),
                        job.trace,
                        background=job.background,
                        on_part=None if parts is None else parts.put_nowait,
                        order=begun,  # later segments keep the request's place in line
                    )
                except QueueFull:
                    if submitted == 0:
                        raise  # not admitted: the caller answers 503 before any audio
                    return  # an admitted request waits for room rather than failing midway
                if parts is not None:
                    # Pieces arrive before the result (both via the loop, in order): None ends them.
                    fut.add_done_callback(functools.partial(_end_of_pieces, parts))
                pending.append((fut, parts))
                submitted += 1

        uses: dict[str, list[str]] = {}  # each engine's segment texts
        for p in plan:
            if not p.silence_s:
                uses.setdefault(p.runtime.name, []).append(p.segment.text)
        if rest is not None:
            # Still being read: its sentences as written stand in for the estimate, and any
            # engine its Mandarin may be routed to is taken now.
            unread = split_sentences(job.text, self.settings.max_segment_chars)[len(plan) :]
            uses.setdefault(job.runtime.name, []).extend(unread)
            if has_han(job.text) and not self._speaks_zh(job):
                uses.setdefault(self._fallback(job, "zh", job.text[:20])[0].name, [])
        self._admit(job, uses)
        # The first window is queued whole or refused whole (503): a request that only half
        # fitted would wait for room while the estimate that admitted it went stale.
        window = collections.Counter(p.runtime.name for p in plan[:lookahead] if not p.silence_s)
        for name, count in window.items():
            self.runtimes[name].batcher.ensure_room(count)
        acquired: list[EngineRuntime] = []
        try:
            for rt in (self.runtimes[name] for name in uses):
                await self._acquire(rt)
                acquired.append(rt)
            fill()
            index = 0
            while True:
                if index == len(plan) and rest is not None:
                    try:
                        await asyncio.wait_for(asyncio.shield(rest), max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        raise self._deadline(job, index, len(plan)) from None
                    fill()
                if index == len(plan):
                    break
                item = plan[index]
                while not pending:
                    await asyncio.sleep(0.01)
                    fill()
                    if time.monotonic() >= deadline:
                        break
                remaining = deadline - time.monotonic()
                if not pending or remaining <= 0:
                    raise self._deadline(job, index, len(plan))
                fut, parts = pending[0]
                sent = 0  # samples of this segment already handed out in pieces
                try:
                    while parts is not None:
                        piece = await asyncio.wait_for(parts.get(), deadline - time.monotonic())
                        if piece is None:
                            break
                        yield AudioChunk(piece, rate, index, "" if sent else item.segment.text)
                        sent += len(piece)
                    audio = await asyncio.wait_for(fut, deadline - time.monotonic())
                except TimeoutError:
                    raise self._deadline(job, index, len(plan)) from None
                pending.popleft()
                fill()
                if parts is None:
                    yield AudioChunk(await _fit(audio, item, rate), rate, index, item.segment.text)
                elif len(audio) > sent:  # the whole result is what counts: anything not yet sent
                    yield AudioChunk(audio[sent:], rate, index, "" if sent else item.segment.text)
                index += 1
        finally:
            for fut, _ in pending:
                fut.cancel()
            if rest is not None:
                rest.cancel()
                if rest.done() and not rest.cancelled():
                    rest.exception()  # retrieved: the request already failed or left
            for rt in acquired:
                self._release(rt)

    def _admit(self, job: SpeechJob, uses: Mapping[str, list[str]]) -> None:
        """Latency-aware admission: refuse at once (429) a request that the learned
        costs say would miss its deadline, instead of queueing it to time out."""
        if not self.settings.admission_control or job.background:
            return  # batch jobs wait their turn behind interactive traffic instead
        for name, texts in uses.items():
            runtime = self.runtimes[name]
            estimate = runtime.batcher.estimated_completion_s(texts)
            if estimate is not None and estimate > job.timeout_s * self.settings.admission_headroom:
                raise RateLimited(
                    f"engine {runtime.name!r} is busy: this request would take about {estimate:.1f} s, "
                    f"past its {job.timeout_s:g} s deadline; retry later, send less text, or raise 'timeout'",
                    code="predicted_deadline_miss",
                    retry_after=max(1.0, estimate - job.timeout_s),
                )

    @staticmethod
    def _deadline(job: SpeechJob, index: int, total: int) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"request passed its {job.timeout_s:g} s deadline after {index} of {total} segments; "
            "send a shorter input, raise the request's 'timeout' (up to CLARION_MAX_REQUEST_TIMEOUT_S) "
            "or CLARION_REQUEST_TIMEOUT_S"
        )


def _as_document(ssml: str) -> str:
    """SSML sent with input_format "ssml" may leave out the <speak> wrapper."""
    return ssml if looks_like_ssml(ssml) else f"<speak>{ssml}</speak>"


def _end_of_pieces(parts: asyncio.Queue[Audio | None], _: asyncio.Future[Audio]) -> None:
    parts.put_nowait(None)


def _streams_pieces(item: Planned, rate: int) -> bool:
    """Pieces go out as the engine makes them only when nothing must be applied to the
    whole segment afterwards (time-stretching, resampling a routed segment)."""
    return (
        item.stretch == 1.0 and item.runtime.engine.sample_rate == rate and streams_parts(item.runtime.engine)
    )


async def _fit(audio: Audio, item: Planned, rate: int) -> Audio:
    """Apply the speed the engine could not, and bring a routed segment to the request's rate."""
    if item.stretch == 1.0 and item.runtime.engine.sample_rate == rate:
        return audio
    from clarion.audio.resample import resample
    from clarion.audio.speed import time_stretch

    def work() -> Audio:
        out = audio
        if item.stretch != 1.0:
            out = time_stretch(out, item.runtime.engine.sample_rate, item.stretch)
        return resample(out, item.runtime.engine.sample_rate, rate)

    return await asyncio.to_thread(work)


def _stretch_factor(speed: float, native: tuple[float, float]) -> float:
    """What is left for time-stretching after the engine applied what it can natively."""
    lo, hi = native
    return speed / min(max(speed, lo), hi)
