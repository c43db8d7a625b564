"""Engines in worker processes, watched by a watchdog.

A native crash or an endless loop inside a model must not take the HTTP front down.
With process isolation each executor worker is a child process that loads its own
copy of the engine. One supervisor thread per worker hands it batches over a pipe and
watches it: a worker that dies, or that does not answer within its deadline, is killed,
only the batch it held fails (503, retry), and a fresh worker is started in its place.

Idle unload stops the worker processes, which returns all of their memory to the OS;
the next request starts them again.

How a worker logs is the caller's business: ``WorkerHooks`` carries the functions a spawned
process runs to set up logging and to adopt its libraries' loggers after loading, so the
scheduler does not import ``clarion.observability``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, ClassVar

from clarion.allocator import configure, trim
from clarion.engines.base import (
    Audio,
    Capabilities,
    ChecksModelDir,
    DescribesThreads,
    Engine,
    EngineIdentity,
    HasDeterministicExtras,
    SchedulingDefaults,
    Segment,
    StreamsBatches,
    TimedAudio,
    TimesWords,
    VoiceInfo,
    WritesModelManifest,
    company_expected,
    exports_onnx,
    request_extras,
)
from clarion.errors import EngineError, EngineUnavailable, WorkerLost
from clarion.scheduler.executor import PartSink, run_streamed, streams_parts, synthesize_timed

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

# Spawn, not fork: the parent runs threads (uvicorn, ONNX Runtime pools) that a fork
# would copy in an undefined state.
_CTX = mp.get_context("spawn")

EventHook = Callable[[str], None]  # "start" | "restart" | "crash" | "hang" | "stop"


@dataclass(frozen=True, slots=True)
class WorkerHooks:
    """What a worker process runs besides the engine. Sent to the child when it is spawned, so
    each must pickle: a module-level function, or a ``functools.partial`` of one.

    ``setup``: first thing in the child (a spawned process starts with logging unconfigured);
    ``prepare``: on the engine just constructed, before it loads (handing it what it uses);
    ``after_load``: once the engine has loaded (some libraries add log handlers on import)."""

    setup: Callable[[], None] | None = None
    prepare: Callable[[Engine], None] | None = None
    after_load: Callable[[], None] | None = None


# -- the child side ------------------------------------------------------------------
def _describe(engine: Engine) -> dict[str, Any]:
    langs = [None, *engine.capabilities.languages]
    return {
        "sample_rate": engine.sample_rate,
        "voices": engine.voices(),
        "default_voice": {lang: engine.default_voice(lang) for lang in langs},
        # What the loaded model is (checkpoint, variant, options): the parent's cache keys on it.
        "identity": engine.identity(),
    }


def _worker_main(
    conn: Connection, cls: type[Engine], settings: Settings, device: str, threads: int, hooks: WorkerHooks
) -> None:
    """Load the engine, then answer requests until told to stop or the parent goes away."""
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure(settings)
    if hooks.setup is not None:
        # A spawned process starts with logging unconfigured: its lines go out like the server's.
        hooks.setup()
    if settings.worker_nice:
        # Synthesis yields the CPU to the server process (admission, health, streaming).
        os.nice(settings.worker_nice)
    try:
        engine = cls(settings)
        if hooks.prepare is not None:
            hooks.prepare(engine)
        engine.load(device, threads)
        if hooks.after_load is not None:
            hooks.after_load()
        conn.send(("ok", _describe(engine)))
    except BaseException as exc:  # reported to the parent, which marks the engine unavailable
        conn.send(("err", f"{type(exc).__name__}: {exc}"))
        return
    idle_s, busy_s, worked = settings.malloc_trim_idle_s, settings.malloc_trim_busy_s, False
    last_trim = time.monotonic()
    while True:
        try:
            # Idle a while after work, or busy for busy_s without such a spell: the heaps'
            # free pages go back (clarion.allocator).
            if (
                worked
                and idle_s
                and ((busy_s and time.monotonic() - last_trim >= busy_s) or not conn.poll(idle_s))
            ):
                trim()
                worked, last_trim = False, time.monotonic()
            op, payload, *rest = conn.recv()
        except (EOFError, OSError):
            return  # the parent died: nothing left to serve
        if op == "stop":
            with contextlib.suppress(Exception):
                engine.unload()
            conn.send(("ok", None))
            return
        worked = True
        # The parent batcher's hint (engines.base.company_expected): this process's own runs
        # never overlap, so only the parent knows whether other workers run beside this one.
        company_expected.set(bool(rest and rest[0]))
        result: list[Audio] | list[TimedAudio]
        try:
            if op == "stream" and streams_parts(engine):
                # Each piece goes to the parent as it comes: ("part", [...]) before the ("ok", ...).
                result = run_streamed(engine, payload, lambda part: conn.send(("part", part)))
            elif op == "timed":
                result = synthesize_timed(engine, payload)  # TimedAudio pickles: words ride along
            else:
                result = engine.synthesize(payload)
        except Exception as exc:
            _send_error(conn, exc)
            continue
        conn.send(("ok", result))


def _send_error(conn: Connection, exc: Exception) -> None:
    # Connection.send pickles before writing, so an unpicklable exception fails here
    # with nothing on the wire, and a plain message goes instead.
    try:
        conn.send(("raise", exc))
    except Exception:
        conn.send(("err", f"{type(exc).__name__}: {exc}"))


# -- the parent side -------------------------------------------------------------------
@dataclass(slots=True)
class _Job:
    batch: list[Segment]
    future: Future[Any]  # list[Audio], or list[TimedAudio] when timed
    on_part: PartSink | None = None
    timed: bool = False
    company: bool = False  # the batcher's company_expected when it handed the batch over


class _Worker:
    """One worker process and the supervisor thread that feeds and watches it."""

    def __init__(self, pool: ProcessExecutor, index: int) -> None:
        self.pool = pool
        self.index = index
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.restarts = 0
        self.up = threading.Event()  # loaded and taking work
        self.wanted = True  # False while the engine is unloaded on purpose
        self.failure: str | None = None  # why the last start failed
        self._thread = threading.Thread(
            target=self._supervise, name=f"clarion-{pool.name}-watchdog-{index}", daemon=True
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def begin(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    # The supervisor loop: (re)start the process when wanted, take jobs while up.
    def _supervise(self) -> None:
        pool = self.pool
        backoff = 0.5
        while not pool.closing:
            if not self.wanted:
                self._stop_process()
                pool.wait_for_change(0.1)
                continue
            if not self._alive():
                if self.proc is not None:  # died while idle
                    self._lost("crash")
                if not self._start():
                    pool.wait_for_change(backoff)  # a model that cannot load: retry, not in a hot loop
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 0.5
            try:
                job = pool.jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            if job is None:  # close(): wake up and leave
                break
            if not self.wanted or not self._alive():
                pool.jobs.put(job)  # not ours to run after all; another worker (or we, restarted) will
                continue
            if job.future.set_running_or_notify_cancel():
                self._run(job)
        self._stop_process()

    def _start(self) -> bool:
        pool = self.pool
        parent, child = _CTX.Pipe()
        proc = _CTX.Process(
            target=_worker_main,
            args=(child, pool.cls, pool.settings, pool.device, pool.threads, pool.hooks),
            name=f"clarion-{pool.name}-worker-{self.index}",
            daemon=True,
        )
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        t0 = time.monotonic()
        if not self._wait(parent, proc, pool.start_timeout_s):
            self.failure = f"worker did not load within {pool.start_timeout_s:g} s ({self._exit_reason()})"
            self._kill()
            log.error("engine %s worker %d: %s", pool.name, self.index, self.failure)
            return False
        try:
            status, payload = parent.recv()
        except (EOFError, OSError):
            status, payload = "err", f"worker exited while loading ({self._exit_reason()})"
        if status != "ok":
            self.failure = str(payload)
            self._kill()
            log.error("engine %s worker %d failed to load: %s", pool.name, self.index, self.failure)
            return False
        pool.described(payload)
        self.failure = None
        self.up.set()
        pool.event("start")
        pool.notify_change()
        log.info(
            "engine %s worker %d (pid %s) ready in %.1f s",
            pool.name,
            self.index,
            proc.pid,
            time.monotonic() - t0,
        )
        return True

    @staticmethod
    def _wait(conn: Connection, proc: BaseProcess, timeout: float) -> bool:
        """Poll for an answer while watching the process; False on death or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if conn.poll(min(left, 0.05)):
                return True
            if not proc.is_alive():
                return conn.poll(0)  # it may have answered just before exiting

    def _run(self, job: _Job) -> None:
        pool = self.pool
        assert self.conn is not None and self.proc is not None
        started = time.monotonic()
        try:
            op = "timed" if job.timed else "stream" if job.on_part is not None else "synth"
            self.conn.send((op, job.batch, job.company))
        except (OSError, ValueError):
            self._lost("crash", job)
            return
        while True:
            # The watchdog's limit applies to the whole batch, streamed pieces or not.
            left = max(0.0, started + pool.timeout_s - time.monotonic())
            if not self._wait(self.conn, self.proc, left):
                self._lost("hang" if self.proc.is_alive() else "crash", job)
                return
            try:
                status, payload = self.conn.recv()
            except (EOFError, OSError):
                self._lost("crash", job)
                return
            except Exception as exc:  # an answer that does not unpickle
                job.future.set_exception(
                    EngineError(f"engine {pool.name!r} sent an unreadable answer: {exc}")
                )
                return
            if status != "part":
                break
            if job.on_part is not None:
                job.on_part(payload)
        if status == "ok":
            job.future.set_result(payload)
        elif status == "raise" and isinstance(payload, Exception):
            job.future.set_exception(payload)
        else:
            job.future.set_exception(EngineError(f"engine {pool.name!r} failed on this input: {payload}"))

    def _lost(self, kind: str, job: _Job | None = None) -> None:
        """The process crashed or hung: kill it, fail the batch it held; the loop restarts it."""
        pool = self.pool
        self.up.clear()
        if kind == "hang":
            why = f"did not answer within {pool.timeout_s:g} s (CLARION_WORKER_TIMEOUT_S)"
        else:
            if self.proc is not None:
                self.proc.join(1.0)  # reap it, so the exit code says what happened
            why = f"died ({self._exit_reason()})"
        self._kill()
        self.restarts += 1
        pool.event(kind)
        pool.notify_change()
        doing = "while synthesising" if job is not None else "while idle"
        log.error("engine %s worker %d (process) %s %s; restarting", pool.name, self.index, why, doing)
        if job is not None and not job.future.done():
            job.future.set_exception(
                WorkerLost(
                    f"engine {pool.name!r} worker process {why} {doing} this request and is being "
                    "restarted; retry the request",
                    retry_after=2.0,
                )
            )

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive() and self.up.is_set()

    def _exit_reason(self) -> str:
        code = self.proc.exitcode if self.proc is not None else None
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def _kill(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(5)
            self.proc.close()
        if self.conn is not None:
            self.conn.close()
        self.proc, self.conn = None, None

    def _stop_process(self) -> None:
        """Ask the worker to finish cleanly; kill it if it does not."""
        if self.proc is None:
            return
        self.up.clear()
        if self.conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(("stop", None))
                self._wait(self.conn, self.proc, 5.0)
        self._kill()
        self.pool.event("stop")
        self.pool.notify_change()


class ProcessExecutor:
    """An Executor whose workers are child processes, each with its own engine instance."""

    def __init__(
        self,
        cls: type[Engine],
        settings: Settings,
        *,
        workers: int,
        device: str,
        threads: int,
        timeout_s: float,
        start_timeout_s: float,
        on_event: EventHook | None = None,
        hooks: WorkerHooks | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.cls = cls
        self.name = cls.name
        self.settings = settings
        self.device = device
        self.threads = threads
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.closing = False
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self._on_event = on_event
        self.hooks = hooks or WorkerHooks()
        self._changed = threading.Condition()
        self._description: dict[str, Any] | None = None
        self._workers = [_Worker(self, i) for i in range(workers)]
        self.proxy = _proxy_class(cls)(self)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Start every worker and wait until each has loaded (or failed to)."""
        for w in self._workers:
            w.begin()
        self._await_up(all_of=True)

    def _await_up(self, *, all_of: bool) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        with self._changed:
            while True:
                up = [w.up.is_set() for w in self._workers]
                if all(up) or (not all_of and any(up)):
                    return
                failures = [w.failure for w in self._workers if w.failure]
                if failures and not any(up):
                    raise EngineUnavailable(f"engine {self.name!r} workers failed to load: {failures[0]}")
                if time.monotonic() > deadline or self.closing:
                    raise EngineUnavailable(
                        f"engine {self.name!r} workers not ready within {self.start_timeout_s:g} s"
                    )
                self._changed.wait(0.1)

    def load(self) -> None:
        """Start the workers again after an unload; returns once one of them can serve."""
        for w in self._workers:
            w.wanted = True
        self.notify_change()
        self._await_up(all_of=False)

    def unload(self) -> None:
        for w in self._workers:
            w.wanted = False
        self.notify_change()
        with self._changed:
            self._changed.wait_for(lambda: all(w.proc is None for w in self._workers), timeout=30)

    def close(self) -> None:
        self.closing = True
        for _ in self._workers:
            self.jobs.put(None)
        self.notify_change()
        for w in self._workers:
            w.join(30)
        # Batches that never reached a worker.
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None and not job.future.done():
                job.future.set_exception(WorkerLost(f"engine {self.name!r} shut down"))

    # -- Executor protocol ---------------------------------------------------------
    @property
    def workers(self) -> int:
        return len(self._workers)

    def instances(self) -> list[Engine]:
        return [self.proxy]

    async def run(self, batch: Sequence[Segment], on_part: PartSink | None = None) -> list[Audio]:
        return await asyncio.wrap_future(self.submit(batch, on_part))

    def submit(self, batch: Sequence[Segment], on_part: PartSink | None = None) -> Future[list[Audio]]:
        future: Future[list[Audio]] = Future()
        self._queue(_Job(list(batch), future, on_part, company=company_expected.get()))
        return future

    async def run_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        return await asyncio.wrap_future(self.submit_timed(batch))

    def submit_timed(self, batch: Sequence[Segment]) -> Future[list[TimedAudio]]:
        future: Future[list[TimedAudio]] = Future()
        self._queue(_Job(list(batch), future, timed=True, company=company_expected.get()))
        return future

    def _queue(self, job: _Job) -> None:
        if self.closing:
            raise WorkerLost(f"engine {self.name!r} is shutting down")
        self.jobs.put(job)

    # -- state, for readiness and /v1/models ------------------------------------------
    @property
    def loaded(self) -> bool:
        """Not unloaded on purpose. A worker being restarted still counts: requests wait
        in the queue for it rather than triggering a reload."""
        return all(w.wanted for w in self._workers)

    @property
    def available(self) -> bool:
        """At least one worker can take work, or the engine is unloaded on purpose (lazy reload)."""
        return any(w.up.is_set() for w in self._workers) or not any(w.wanted for w in self._workers)

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "process",
            "timeout_s": self.timeout_s,
            "processes": [
                {"pid": w.pid, "up": w.up.is_set(), "restarts": w.restarts, "failure": w.failure}
                for w in self._workers
            ],
        }

    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w.pid is not None and w.up.is_set()]

    # -- called by workers -------------------------------------------------------------
    def described(self, description: dict[str, Any]) -> None:
        self._description = description

    @property
    def description(self) -> dict[str, Any]:
        if self._description is None:
            raise EngineUnavailable(f"engine {self.name!r} has no worker loaded yet")
        return self._description

    def event(self, kind: str) -> None:
        if self._on_event is not None:
            try:
                self._on_event(kind)
            except Exception:  # metrics must never break supervision
                log.exception("worker event hook failed")

    def notify_change(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout)


class RemoteEngine:
    """Stands in the parent for an engine whose instances live in worker processes.

    Class-level facts (name, capabilities) come from the engine class; what needs a loaded
    model (voices, sample rate) from the first worker that loaded."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    engine_cls: ClassVar[type[Engine]]

    def __init__(self, pool: ProcessExecutor) -> None:  # not Engine's: the pool makes it
        self._pool = pool

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        return cls.engine_cls.probe(settings)

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        return cls.engine_cls.scheduling_defaults(cores)

    @property
    def sample_rate(self) -> int:
        return int(self._pool.description["sample_rate"])

    @property
    def loaded(self) -> bool:
        return self._pool.loaded

    def load(self, device: str, threads: int) -> None:
        self._pool.load()

    def unload(self) -> None:
        self._pool.unload()

    def voices(self) -> list[VoiceInfo]:
        return list(self._pool.description["voices"])

    def default_voice(self, language: str | None = None) -> str:
        table: dict[str | None, str] = self._pool.description["default_voice"]
        return table.get(language) or table[None]

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        """Blocking, for warm-up and calibration; serving goes through ``ProcessExecutor.run``."""
        return self._pool.submit(batch).result()

    def identity(self) -> EngineIdentity:
        """The identity the last worker to load reported: computed where the model is."""
        identity = self._pool.description["identity"]
        assert isinstance(identity, EngineIdentity)
        return identity


def _remote_stream(self: RemoteEngine, batch: Sequence[Segment]) -> Iterator[list[Audio]]:
    """``StreamsBatches`` through a worker process: its pieces, as it sends them."""
    pieces: queue.SimpleQueue[list[Audio] | None] = queue.SimpleQueue()
    future = self._pool.submit(batch, pieces.put)
    # The supervisor hands on every piece before it settles the future: None comes last.
    future.add_done_callback(lambda _: pieces.put(None))
    while (part := pieces.get()) is not None:
        yield part
    future.result()  # the worker's failure, if it failed


def _remote_timed(self: RemoteEngine, batch: Sequence[Segment]) -> list[TimedAudio]:
    """``TimesWords`` through a worker process (blocking, like ``RemoteEngine.synthesize``)."""
    return self._pool.submit_timed(batch).result()


def _proxy_class(cls: type[Engine]) -> type[RemoteEngine]:
    """A RemoteEngine class with the optional capabilities of ``cls`` that it can honour from
    the parent: streaming and word timings (through the pipe) and the class-level ones.
    ``CalibratesOnnx`` needs the loaded model itself and is not forwarded (`clarion optimize`
    loads engines in-process)."""
    members: dict[str, Any] = {"name": cls.name, "capabilities": cls.capabilities, "engine_cls": cls}
    if (schema := request_extras(cls)) is not None:
        members["request_extras"] = schema
    if issubclass(cls, StreamsBatches):
        members["synthesize_stream"] = _remote_stream
    if issubclass(cls, TimesWords):
        members["synthesize_timed"] = _remote_timed
    if isinstance(probe := _as_object(cls), HasDeterministicExtras):
        members["deterministic_extras"] = probe.deterministic_extras
    if issubclass(cls, DescribesThreads):
        members["thread_policy"] = staticmethod(cls.thread_policy)
    if issubclass(cls, ChecksModelDir):
        members["check_model_dir"] = classmethod(lambda _, path: cls.check_model_dir(path))
    if issubclass(cls, WritesModelManifest):
        members["write_model_manifest"] = classmethod(lambda _, path: cls.write_model_manifest(path))
    if (onnx := exports_onnx(cls)) is not None:
        members["onnx_exported"] = onnx.onnx_exported
        members["onnx_graphs"] = classmethod(lambda _, settings: onnx.onnx_graphs(settings))
    return type(f"Remote{cls.__name__}", (RemoteEngine,), members)


def _as_object(cls: type[Any]) -> object:
    return cls
