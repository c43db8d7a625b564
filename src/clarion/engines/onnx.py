"""ONNX Runtime sessions built one way for every ONNX engine: threads, providers, device,
and the session settings in ``Settings.onnx``; and which precision variant of a graph to
load (``clarion optimize`` makes and enables them)."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clarion.engines.base import company_expected
from clarion.errors import EngineUnavailable

if TYPE_CHECKING:
    from clarion.config import OnnxOptions, Settings

log = logging.getLogger(__name__)

SAME_AS_REQUESTED = 1  # onnxruntime's ArenaExtendStrategy::kSameAsRequested
SELECTED_FILE = "selected.json"  # in <optimized>/<engine>/: the variant `clarion optimize` enabled


def providers_for(device: str, options: OnnxOptions | None = None) -> list[Any]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    wanted = (
        options.providers
        if options and options.providers
        else (["cuda", "cpu"] if device == "cuda" else ["cpu"])
    )
    if device == "cuda" and "CUDAExecutionProvider" not in available:
        raise EngineUnavailable(
            "device 'cuda' was requested but this onnxruntime has no CUDAExecutionProvider; "
            "install onnxruntime-gpu or set CLARION_DEVICE=cpu"
        )
    out: list[Any] = []
    for name in wanted:
        if name == "tensorrt" and "TensorrtExecutionProvider" in available:
            out.append(("TensorrtExecutionProvider", {"trt_engine_cache_enable": True}))
        elif name == "cuda" and "CUDAExecutionProvider" in available and device != "cpu":
            cuda: dict[str, Any] = {
                # The arena grows in powers of two by default; same-size growth keeps VRAM predictable.
                "arena_extend_strategy": options.cuda_arena_extend_strategy
                if options
                else "kSameAsRequested",
                "cudnn_conv_algo_search": options.cudnn_conv_algo_search if options else "HEURISTIC",
            }
            if options and options.cuda_mem_limit_mb:
                cuda["gpu_mem_limit"] = options.cuda_mem_limit_mb * 1024 * 1024
            out.append(("CUDAExecutionProvider", cuda))
        elif name == "cpu":
            out.append("CPUExecutionProvider")
    return out or ["CPUExecutionProvider"]


def cpu_threads(cores: int) -> int:
    """Intra-op threads for each ONNX engine worker on ``cores`` CPU cores: all of them. A lone
    segment then runs on every core; several running at once share them, since the engines'
    workers share one session (ThreadExecutor, thread-safe engines) whose pool has ``cores``
    threads, and no thread spins while waiting (``session_options``)."""
    return max(1, cores)


def thread_policy(workers: int, threads: int, cores: int, settings: Settings) -> str:
    """How an ONNX engine's workers use the cores, for /v1/models."""
    if threads <= 1:
        return f"{workers} worker(s) of one intra-op thread each on {cores} core(s)"
    shared = (
        "a lone segment uses every core; one that starts while another runs, a single-threaded session"
        if settings.onnx.narrow_session
        else "one session per graph, so segments that run at once split every core between them"
    )
    return f"{workers} worker(s), {threads} intra-op threads per session, no spinning: {shared}"


def session_options(threads: int, options: OnnxOptions | None = None) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    if threads > 1:
        # Waiting threads sleep instead of spinning: an idle or waiting worker's pool burns no
        # CPU that a running segment could use, so workers x threads may exceed the cores.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if options is None:
        so.inter_op_num_threads = 1
        return so
    so.inter_op_num_threads = options.inter_op_threads
    so.execution_mode = (
        ort.ExecutionMode.ORT_PARALLEL
        if options.execution_mode == "parallel"
        else ort.ExecutionMode.ORT_SEQUENTIAL
    )
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[options.graph_optimization]
    so.enable_cpu_mem_arena = options.cpu_mem_arena
    so.enable_mem_pattern = options.mem_pattern
    if options.cpu_mem_arena and options.shared_cpu_arena:
        shared_cpu_arena()
        so.add_session_config_entry("session.use_env_allocators", "1")
    return so


@functools.cache  # ONNX Runtime's environment is one per process, and so is this arena
def shared_cpu_arena() -> None:
    """Register, once per process, the CPU arena that sessions built with
    ``shared_cpu_arena`` share. A session's own arena grows in powers of two and never gives
    back its first region; this one grows by what each allocation asks, and shrinking
    (``arena_shrinkage``) may give back any region no run is using."""
    import onnxruntime as ort

    info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    ort.create_and_register_allocator(info, ort.OrtArenaCfg({"arena_extend_strategy": SAME_AS_REQUESTED}))


@dataclass(frozen=True, slots=True)
class EditedGraph:
    """A graph file with an edit made to its bytes before a session is built (Kokoro's
    durations output). The optimised-graph cache keys it by the file and ``tag`` (name the
    edit and its version), so a start that finds its entry neither reads the file nor edits it."""

    path: Path
    edit: Callable[[bytes], bytes]
    tag: str

    def build(self) -> bytes:
        return self.edit(self.path.read_bytes())


Model = str | Path | bytes | EditedGraph


def session(
    model: Model,
    device: str,
    threads: int,
    options: OnnxOptions | None = None,
    *,
    cache_dir: Path | None = None,
) -> Any:
    """An InferenceSession with ``threads`` intra-op threads; one session may be run from
    several Python threads at once (onnxruntime guarantees Run is thread-safe). With
    ``cache_dir`` (see ``graph_cache_dir``), the graph as ONNX Runtime optimised it is kept
    there and later sessions load that instead of optimising again."""
    import onnxruntime as ort

    providers = providers_for(device, options)
    cache = GraphCache.for_model(cache_dir, model, device, options)

    def build(n: int) -> Any:
        if cache is not None:
            sess = cache.session(session_options(n, options), providers)
        else:
            sess = ort.InferenceSession(
                _source(model), sess_options=session_options(n, options), providers=providers
            )
        if options is not None and options.arena_shrinkage and options.cpu_mem_arena:
            return ShrinkingSession(sess)
        return sess

    wide = build(threads)
    if threads > 1 and device == "cpu" and (options is None or options.narrow_session):
        return AdaptiveSession(wide, functools.partial(build, 1))
    return wide


def _source(model: Model) -> str | bytes:
    """What ``InferenceSession`` takes: a path's string, or the graph's bytes."""
    if isinstance(model, EditedGraph):
        return model.build()
    return model if isinstance(model, bytes) else str(model)


def graph_cache_dir(settings: Settings) -> Path | None:
    """Where sessions keep their optimised graphs (``Settings.onnx.graph_cache``), or None."""
    return settings.data_dir / "onnx-graphs" if settings.onnx.graph_cache else None


@functools.cache
def _machine() -> str:
    """The CPU an optimised graph was made for: ONNX Runtime's "all" level lays some ops out
    for the instruction sets it finds, so a graph kept on one CPU is not used on another."""
    import platform

    model = flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model", "CPU part") and not model:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = value.strip()
                if model and flags:
                    break
    except OSError:
        pass
    return f"{platform.machine()}|{model}|{flags}"


class GraphCache:
    """One graph's entry in the optimised-graph cache. Building a session optimises its graph
    each time (0.5 s of Kokoro's 0.7 s, per session); the first build saves the optimised graph
    under a key of the graph's bytes or file, ONNX Runtime's version, the optimisation level and
    the CPU, and later builds load it with optimisation off. CPU only: other providers' fused
    nodes are theirs to make. Anything that goes wrong with the cache falls back to a plain build."""

    VERSION = 1  # of what is kept; a change invalidates every entry

    def __init__(self, path: Path, source: Model) -> None:
        self.path = path
        self.source = source

    @classmethod
    def for_model(
        cls, cache_dir: Path | None, model: Model, device: str, options: OnnxOptions | None
    ) -> GraphCache | None:
        level = options.graph_optimization if options is not None else "all"
        if cache_dir is None or device != "cpu" or level == "disable":
            return None
        if options is not None and options.providers and options.providers != ["cpu"]:
            return None
        import onnxruntime as ort

        digest = hashlib.sha256()
        if isinstance(model, bytes):
            digest.update(model)  # 0.05 s for Kokoro's 88 MB
        else:
            path = model.path if isinstance(model, EditedGraph) else model
            try:
                st = os.stat(path)
            except OSError:
                return None  # the plain build says what is wrong with the path
            digest.update(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode())
            if isinstance(model, EditedGraph):
                digest.update(f"|edited: {model.tag}".encode())
        digest.update(f"|{cls.VERSION}|{ort.__version__}|{level}|{_machine()}".encode())
        return cls(cache_dir / f"{digest.hexdigest()[:32]}.onnx", model)

    def session(self, so: Any, providers: list[Any]) -> Any:
        import onnxruntime as ort

        if self.path.is_file():
            level = so.graph_optimization_level
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            try:
                return ort.InferenceSession(str(self.path), sess_options=so, providers=providers)
            except Exception:  # a torn or foreign file: build afresh, and replace it
                log.warning("optimised graph %s does not load; optimising again", self.path, exc_info=True)
                self.path.unlink(missing_ok=True)
                so.graph_optimization_level = level
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.{threading.get_ident()}.onnx")
            so.optimized_model_filepath = str(tmp)
        except OSError:
            tmp = None  # not writable here: sessions still build, only slower
        source = _source(self.source)
        try:
            sess = ort.InferenceSession(source, sess_options=so, providers=providers)
        except Exception:
            if tmp is None:
                raise
            # Saving failed (a full disk fails the whole build): build again, keeping nothing.
            log.warning("could not keep the optimised graph in %s; building without it", self.path.parent)
            tmp.unlink(missing_ok=True)
            so.optimized_model_filepath = ""
            return ort.InferenceSession(source, sess_options=so, providers=providers)
        if tmp is not None:
            try:
                os.replace(tmp, self.path)  # whole or not at all, also against another process
            except OSError:
                tmp.unlink(missing_ok=True)
        return sess


class AdaptiveSession:
    """One graph as two sessions: the given one, with every core's threads, and a narrow one
    with a single intra-op thread. A run that starts while no other run of this graph is in
    flight, and none is expected (``company_expected``), gets the wide session (a lone segment
    on every core); one that starts while another is running or expected gets the narrow one,
    so that under load each core runs a segment of its own instead of every op being split
    across cores that are busy anyway (which measured 0.83 to 0.94x the throughput of
    single-threaded sessions, docs/scheduling.md#cores).

    The narrow session is built in the background the first time two runs overlap (a server
    that never sees concurrency never pays its memory); until it is ready both runs use the
    wide one. Everything but ``run`` is the wide session's own."""

    def __init__(self, wide: Any, build_narrow: Callable[[], Any]) -> None:
        self._wide = wide
        self._build_narrow = build_narrow
        self._narrow: Any = None
        self._building = False
        self._running = 0
        self._lock = threading.Lock()
        self.runs = {"wide": 0, "narrow": 0}  # how many runs each session took, for tests and logs

    @property
    def narrow_ready(self) -> bool:
        return self._narrow is not None

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        with self._lock:
            # Alone now and, as far as the scheduler knows, for the rest of the run: a run that
            # starts just before its company (a paragraph's first sentence) would otherwise
            # keep every core's threads while the others start beside it.
            alone = self._running == 0 and not company_expected.get()
            self._running += 1
            narrow = None if alone else self._narrow
            if not alone and narrow is None and not self._building:
                self._building = True
                threading.Thread(target=self._build, name="onnx-narrow-session", daemon=True).start()
            self.runs["wide" if narrow is None else "narrow"] += 1
        try:
            return (self._wide if narrow is None else narrow).run(output_names, input_feed, run_options)
        finally:
            with self._lock:
                self._running -= 1

    def build_narrow_now(self) -> None:
        """Build the narrow session at once (tests; a server that expects load from the start)."""
        with self._lock:
            if self._narrow is not None or self._building:
                return
            self._building = True
        self._build()

    def _build(self) -> None:
        try:
            narrow = self._build_narrow()
        except Exception:  # the wide session still serves every run
            log.warning("could not build a single-threaded session; runs share the wide one", exc_info=True)
            return
        with self._lock:
            self._narrow = narrow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wide, name)


class ShrinkingSession:
    """An InferenceSession whose CPU arena gives back what a run no longer holds when the
    run ends. The arena otherwise keeps every chunk it ever grew to, so each new longest
    input raises the server's memory for good. Everything else is the session's own."""

    def __init__(self, sess: Any) -> None:
        import onnxruntime as ort

        self._sess = sess
        self._options = ort.RunOptions()
        self._options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        return self._sess.run(output_names, input_feed, run_options or self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sess, name)


def variant_dir(settings: Settings, engine: str, variant: str) -> Path:
    return settings.optimized_root / engine / variant


def selected_variant(settings: Settings, engine: str) -> str | None:
    """The variant to run: the engine option, else the one `clarion optimize` enabled."""
    asked = settings.options_for(engine).model_variant
    if asked is not None:
        return None if asked == "shipped" else asked
    try:
        data = json.loads((settings.optimized_root / engine / SELECTED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    variant = data.get("variant")
    return str(variant) if variant else None


def graph_path(settings: Settings, engine: str, graph: str, shipped: Path) -> Path:
    """The file to load for one of an engine's graphs: the selected variant's, else shipped."""
    variant = selected_variant(settings, engine)
    if variant is None:
        return shipped
    path = variant_dir(settings, engine, variant) / f"{graph}.onnx"
    if not path.is_file():
        raise EngineUnavailable(
            f"engine {engine!r} is set to run variant {variant!r} but {path} does not exist; run "
            f"`clarion optimize {engine}` or unset CLARION_ENGINE_OPTIONS__{engine.upper()}__MODEL_VARIANT"
        )
    log.info("engine %s: loading %s variant of %s", engine, variant, graph)
    return path
