"""Engine runtimes: loading, executor choice, warm-up and batch sizing, and the lease that
counts an engine's users, reloads it lazily and unloads it when idle."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from clarion import background
from clarion.config import Settings
from clarion.engines.base import (
    DescribesThreads,
    Engine,
    PreparesText,
    SchedulingDefaults,
    Segment,
    TimesWords,
    VoiceInfo,
    check_own_options,
    provide_voice_store,
    request_extras,
)
from clarion.engines.registry import discover, engine_class
from clarion.errors import EngineUnavailable, InvalidRequest
from clarion.observability.logging import adopt_library_loggers, configure_logging
from clarion.observability.metrics import Metrics
from clarion.scheduler.batcher import Batcher
from clarion.scheduler.calibrate import Calibration, calibrate
from clarion.scheduler.executor import Executor, ThreadExecutor
from clarion.scheduler.snapshot import BatcherSnapshot, snapshot
from clarion.scheduler.workers import ProcessExecutor, WorkerHooks
from clarion.voices.store import VoiceStore

log = logging.getLogger(__name__)

WARMUP_TEXT = {"en": "Hello there.", "zh": "你好。"}
# What loads another language's front end at warm-up.
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
    # What the load_seconds went on: "load" (weights, sessions, worker processes), "warm-up"
    # and "calibration", in seconds.
    load_parts: dict[str, float] = field(default_factory=dict)
    idle_unload_s: float | None = None  # None: stays loaded
    thread_policy: str = ""  # how the workers use the cores, in words (Runtimes._thread_policy)
    # Other languages' front ends loading after the engine is ready (Runtimes._other_languages).
    preparing: concurrent.futures.Future[None] | None = None
    refs: int = 0  # requests using the engine now; a used engine is never unloaded
    last_used: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def loaded(self) -> bool:
        return all(e.loaded for e in self.batcher.executor.instances())

    def describe_load(self) -> str:
        """What loading took, part by part ("load 0.8 s, warm-up 0.4 s")."""
        parts = list(self.load_parts.items())  # one C-level copy: a background part may be added
        return ", ".join(f"{part} {seconds:.1f} s" for part, seconds in parts)

    def describe(self) -> dict[str, Any]:
        caps = self.engine.capabilities
        return {
            "languages": list(caps.languages),
            "sample_rate": self.engine.sample_rate,
            "voices": len(self.voices),
            "streaming": caps.streaming.value,
            "cloning": caps.cloning,
            # Word timings from the model's own durations (TimesWords): a request's `timestamps`.
            "word_timestamps": isinstance(self.engine, TimesWords),
            "scheduling": {
                "max_batch_size": self.batcher.max_batch_size,
                "max_wait_ms": self.batcher.max_wait_s * 1000,
                "workers": self.batcher.executor.workers,
                "threads_per_worker": self.scheduling.threads,
                "thread_policy": self.thread_policy,
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
            "load_parts": {part: round(s, 3) for part, s in self.load_parts.items()},
            "loaded": self.loaded,
            "idle_unload_s": self.idle_unload_s,
        }


class Runtimes:
    """The loaded engines by name. ``engines``: ready instances to serve instead of loading
    ``settings.engines`` through the registry (tests, embedding). ``voice_store``: the uploaded
    voices, handed to every engine that uses them (``UsesVoiceStore``)."""

    def __init__(
        self,
        settings: Settings,
        engines: Mapping[str, Engine] | None = None,
        metrics: Metrics | None = None,
        voice_store: VoiceStore | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.voice_store = voice_store or VoiceStore(settings.data_dir / "voices")
        self._given = dict(engines) if engines is not None else None
        self.by_name: dict[str, EngineRuntime] = {}
        self.skipped: dict[str, str] = {}  # engine -> why it was not loaded
        self._reaper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for old in self.settings.legacy_variables():
            log.warning(old.warning())
        if self._given is not None:
            for name, given in self._given.items():
                check_own_options(name, given, self.settings)
        names = list(self._given) if self._given is not None else self._engine_names()
        # All at once: loading is mostly one-threaded work (reading weights, building sessions),
        # so engines loaded side by side use the cores that one load leaves idle.
        loads = await asyncio.gather(
            *(asyncio.to_thread(self._load, name) for name in names), return_exceptions=True
        )
        failed: BaseException | None = None
        for name, loaded in zip(names, loads, strict=True):
            if isinstance(loaded, EngineRuntime):
                loaded.batcher.start()
                self.by_name[name] = loaded
            elif isinstance(loaded, EngineUnavailable) and not (
                name in self.settings.required_engines or name == self.settings.default_engine
            ):
                log.warning("engine %s not loaded: %s", name, loaded.message)
                self.skipped[name] = loaded.message
            elif failed is None:
                failed = loaded
        if failed is not None:
            await self.stop()  # the engines that did load go down with the start-up
            raise failed
        if not self.by_name:
            raise EngineUnavailable("no engine could be loaded; see `clarion engines`")
        ttls = [rt.idle_unload_s for rt in self.by_name.values() if rt.idle_unload_s]
        if ttls:
            self._reaper = asyncio.get_running_loop().create_task(self._unload_idle(min(ttls)))

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        for rt in self.by_name.values():
            await rt.batcher.close()  # running batches finish before the model goes away
            await self._unload(rt)
        self.by_name.clear()

    def down(self) -> list[str]:
        """Engines that cannot take work right now (every worker process being restarted)."""
        return [name for name, rt in self.by_name.items() if not rt.batcher.executor.available]

    def busy(self) -> bool:
        return any(rt.batcher.in_flight or rt.batcher.queue_depth for rt in self.by_name.values())

    def snapshots(self) -> dict[str, BatcherSnapshot]:
        """Each loaded engine's batcher state now, for /metrics and /v1/stats."""
        return {name: snapshot(rt.batcher) for name, rt in self.by_name.items()}

    def batches_run(self) -> int:
        return sum(rt.batcher.stats.batches for rt in self.by_name.values())

    # -- the lease: users counted, lazy reload, idle unload ----------------------
    @contextlib.asynccontextmanager
    async def lease(self, runtimes: Iterable[EngineRuntime]) -> AsyncIterator[None]:
        """Hold these engines for a request: each is reloaded first if it was unloaded while
        idle, and none is unloaded while held."""
        held: list[EngineRuntime] = []
        try:
            for rt in runtimes:
                await self._acquire(rt)
                held.append(rt)
            yield
        finally:
            for rt in held:
                rt.refs -= 1
                rt.last_used = time.monotonic()

    async def _acquire(self, rt: EngineRuntime) -> None:
        rt.refs += 1
        if rt.loaded:
            return
        try:
            async with rt.lock:
                if not rt.loaded:
                    await asyncio.to_thread(self._reload, rt)
        except BaseException:
            rt.refs -= 1
            raise

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
            for rt in self.by_name.values():
                idle = rt.refs == 0 and rt.batcher.queue_depth == 0 and rt.batcher.in_flight == 0
                if not (rt.idle_unload_s and idle and now - rt.last_used > rt.idle_unload_s and rt.loaded):
                    continue
                async with rt.lock:
                    if rt.refs:
                        continue  # a request arrived while we waited for the lock
                    log.info("unloading engine %s after %.0f s idle", rt.name, now - rt.last_used)
                    await self._unload(rt)

    async def _unload(self, rt: EngineRuntime) -> None:
        """Unload every instance of a loaded engine (a no-op for one already unloaded)."""
        if not rt.loaded:
            return
        for engine in rt.batcher.executor.instances():
            await asyncio.to_thread(engine.unload)
        if self.metrics:
            self.metrics.engine_events.labels(rt.name, "unload").inc()

    # -- loading ------------------------------------------------------------------
    def _engine_names(self) -> list[str]:
        names = list(dict.fromkeys([self.settings.default_engine, *self.settings.engines]))
        available = discover(self.settings, names)
        for name in names:
            entry = available.get(name)
            if entry is not None and entry.cls is not None:
                # Before the probe's verdict: a bad option fails start-up, even for an engine
                # that would only have been skipped.
                check_own_options(name, entry.cls, self.settings)
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
                # Worker processes log like the server, libraries' own handlers adopted.
                hooks=WorkerHooks(
                    setup=functools.partial(
                        configure_logging, self.settings.log_level, self.settings.log_format
                    ),
                    prepare=functools.partial(provide_voice_store, store=self.voice_store),
                    after_load=adopt_library_loggers,
                ),
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
                provide_voice_store(engine, self.voice_store)
                engine.load(device, threads)

            def another() -> Engine:
                e = cls(self.settings)
                provide_voice_store(e, self.voice_store)
                e.load(device, threads)
                return e

            executor = ThreadExecutor(engine, workers, another)
        try:
            return self._prepare(name, engine, executor, t0, time.perf_counter() - t0)
        except BaseException:
            executor.close()
            raise

    def _thread_policy(self, engine: Engine, scheduling: SchedulingDefaults) -> str:
        """The engine's own account of how its workers use the cores (ONNX engines:
        clarion.engines.onnx.thread_policy), else the bare figures."""
        cls = type(engine)  # a worker process's proxy forwards the engine class's account
        workers, threads, cores = scheduling.workers, scheduling.threads, os.cpu_count() or 1
        if issubclass(cls, DescribesThreads):
            return cls.thread_policy(workers, threads, cores, self.settings)
        return f"{workers} worker(s) of {threads} intra-op thread(s) each on {cores} core(s)"

    def _worker_event(self, name: str) -> Callable[[str], None]:
        def event(kind: str) -> None:
            if self.metrics:
                self.metrics.engine_events.labels(name, f"worker_{kind}").inc()

        return event

    def _prepare(
        self, name: str, engine: Engine, executor: Executor, t0: float, load_s: float
    ) -> EngineRuntime:
        """Warm up, size batches and build the batcher for a loaded engine (``load_s``:
        what loading it took)."""
        adopt_library_loggers()  # before warm-up: some libraries log on first use
        opts = self.settings.options_for(name)
        defaults = type(engine).scheduling_defaults(os.cpu_count() or 1)
        voices = {v.id: v for v in engine.voices()}
        warm: list[tuple[str, float]] = []  # (text, seconds) of each warm-up synthesis
        parts = {"load": load_s}
        # The languages warm-up has a text for, the engine's main one first.
        langs = [lang for lang in engine.capabilities.languages if lang in WARMUP_TEXT]
        if self.settings.warmup:
            t_all = time.perf_counter()
            warm = self._warm_up(engine, langs)
            parts["warm-up"] = time.perf_counter() - t_all
        t_calibrate = time.perf_counter()
        batch, calibration = self._batch_size(engine, opts.max_batch_size, defaults.max_batch_size)
        if calibration is not None:
            parts["calibration"] = time.perf_counter() - t_calibrate
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
        # Admission control's first figure: the main language's sentence (a cold run, beside the
        # other languages' front ends loading: it errs on the safe side). Real batches refine it.
        batcher.seed(warm)
        if self.metrics:
            self.metrics.engine_events.labels(name, "load").inc()
        ttl = None if opts.keep_warm else (opts.idle_unload_s or self.settings.idle_unload_s)
        rt = EngineRuntime(
            name,
            engine,
            batcher,
            voices,
            scheduling,
            time.perf_counter() - t0,
            calibration,
            parts,
            idle_unload_s=ttl,
            thread_policy=self._thread_policy(engine, scheduling),
        )
        others = self._other_languages(name, engine, langs[1:], parts) if self.settings.warmup else None
        # In the background it runs beside requests, on the same engine instance: only where
        # the engine may be called from several threads at once.
        later_ok = self.settings.warmup_other_languages == "background" and engine.capabilities.thread_safe
        if others is not None and not later_ok:
            others()
            rt.load_seconds = time.perf_counter() - t0
        elif others is not None:
            rt.preparing = background.start(others, f"{name}-front-ends")
        later = "; other languages load in the background" if rt.preparing else ""
        log.info(
            "engine %s ready in %.1f s (%s%s): %s",
            name,
            rt.load_seconds,
            rt.describe_load(),
            later,
            rt.thread_policy,
        )
        return rt

    @staticmethod
    def _warm_up(engine: Engine, langs: list[str]) -> list[tuple[str, float]]:
        """No longer than a first request needs: the model's first-run allocations with the main
        language's sentence (the cost model's first figure). Other languages: see
        ``_other_languages``; engines without ``PreparesText`` run a short text in each, here.
        (text, seconds) of the main language's run."""
        if not langs:
            return []

        def run(lang: str, text: str) -> tuple[str, float]:
            t_warm = time.perf_counter()
            engine.synthesize([Segment(text, engine.default_voice(lang), lang)])
            return text, time.perf_counter() - t_warm

        first = run(langs[0], WARMUP_TEXT[langs[0]])
        if not isinstance(engine, PreparesText):
            for lang in langs[1:]:
                run(lang, WARMUP_SHORT[lang])
        return [first]

    @staticmethod
    def _other_languages(
        name: str, engine: Engine, langs: list[str], parts: dict[str, float]
    ) -> Callable[[], None] | None:
        """Loading the front ends (phonemisers, dictionaries) of an engine's languages but the
        first, where the engine can do that without the model (``PreparesText``): about 1 s of
        Python for Kokoro's Mandarin. Beside the warm-up's model run it tripled that run (the
        interpreter's lock and the cores were shared), so it comes after: in the background
        once the engine is ready (``Settings.warmup_other_languages``), where a request in such
        a language waits for it, or before the engine counts as ready."""
        if not langs or not isinstance(engine, PreparesText):
            return None
        prepares = engine

        def prepare() -> None:
            t0 = time.perf_counter()
            try:
                for lang in langs:
                    prepares.prepare(Segment(WARMUP_SHORT[lang], engine.default_voice(lang), lang))
            except Exception as e:  # the language's first request meets it again and says why
                log.warning("engine %s could not prepare %s: %s", name, ", ".join(langs), e)
                raise
            took = parts["other languages"] = time.perf_counter() - t0
            log.info("engine %s: the front ends of %s are ready after %.1f s", name, ", ".join(langs), took)

        return prepare

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


def validate_extras(runtime: EngineRuntime, extras: Mapping[str, Any]) -> dict[str, Any]:
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
