"""All of Clarion's configuration: one Settings object, built once and passed down.

Every field can be set from the environment with the ``CLARION_`` prefix, e.g.
``CLARION_PORT=9000`` or, for nested engine options,
``CLARION_ENGINE_OPTIONS__KOKORO__WORKERS=2``. An engine's own options (model path, sampling,
Chatterbox's watermark) share that namespace, ``CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK=false``:
``EngineOptions`` keeps them as they came and the engine's own options model validates them
(``clarion.engines.base.EngineOwnOptions``), at start-up for every engine loaded.

This is the one module that reads the environment. The older per-engine names
(``CLARION_CHATTTS_*``, ``CLARION_CHATTERBOX_*``, ``CLARION_INDEXTTS_*``) are still read for one
release, mapped into that namespace (``LEGACY_ENGINE_PREFIXES``); the new name wins when both are set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# Engines whose own options had a namespace of their own before they joined
# CLARION_ENGINE_OPTIONS__<ENGINE>__<OPTION>; still read, with a deprecation warning, for one release.
LEGACY_ENGINE_PREFIXES: dict[str, str] = {
    "chattts": "CLARION_CHATTTS_",
    "chatterbox": "CLARION_CHATTERBOX_",
    "indextts": "CLARION_INDEXTTS_",
}


def engine_option_variable(engine: str, option: str) -> str:
    """The environment variable that sets one option of one engine."""
    return f"CLARION_ENGINE_OPTIONS__{engine.upper()}__{option.upper()}"


@dataclass(frozen=True, slots=True)
class LegacyVariable:
    """An old-style engine variable found in the environment."""

    old: str  # as set, e.g. CLARION_CHATTERBOX_WATERMARK
    engine: str
    option: str
    value: str
    shadowed: bool  # the new variable is set too, and wins

    @property
    def new(self) -> str:
        return engine_option_variable(self.engine, self.option)

    def warning(self) -> str:
        what = (
            f"{self.new} is set too and wins, so {self.old} is ignored"
            if self.shadowed
            else f"set {self.new} instead"
        )
        return f"{self.old} is deprecated and will stop working in the next release: {what}"


def legacy_engine_variables(environ: dict[str, str] | None = None) -> list[LegacyVariable]:
    """Old-style engine variables in the environment (names compared case-insensitively, as
    pydantic-settings compares them)."""
    env = {k.upper(): (k, v) for k, v in (os.environ if environ is None else environ).items()}
    found: list[LegacyVariable] = []
    for upper, (name, value) in sorted(env.items()):
        for engine, prefix in LEGACY_ENGINE_PREFIXES.items():
            option = upper[len(prefix) :].lower()
            if upper.startswith(prefix) and option:
                shadowed = engine_option_variable(engine, option) in env
                found.append(LegacyVariable(name, engine, option, value, shadowed))
    return found


class _LegacyEngineVariables(PydanticBaseSettingsSource):
    """``CLARION_CHATTTS_*`` and its kind as ``engine_options`` entries; below the environment
    source, so a new-style variable wins (pydantic-settings merges the sources' nested dicts)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole value

    def __call__(self) -> dict[str, Any]:
        options: dict[str, dict[str, str]] = {}
        for var in legacy_engine_variables():
            options.setdefault(var.engine, {})[var.option] = var.value
        return {"engine_options": options} if options else {}


def _xdg_data() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"))


def _default_models_dir() -> Path:
    return _xdg_data() / "clarion" / "models"


def _default_data_dir() -> Path:
    return _xdg_data() / "clarion" / "data"


class EngineOptions(BaseModel):
    """Scheduling options for one engine; unset fields fall back to the engine's own defaults.

    Any other key is one of the engine's own options (``own()``), kept as given here and
    validated by the engine's options model when the engine is loaded."""

    model_config = ConfigDict(extra="allow")

    max_batch_size: int | Literal["auto"] | None = Field(
        default=None,
        description="Largest batch handed to the engine; 'auto' calibrates at warm-up.",
    )
    max_wait_ms: float | None = Field(default=None, ge=0, description="How long a batch waits to fill.")
    workers: int | None = Field(default=None, ge=1, le=64, description="Parallel executors for this engine.")
    threads: int | None = Field(default=None, ge=1, le=256, description="Intra-op threads per executor.")
    queue_size: int | None = Field(default=None, ge=1, description="Queued segments before 503.")
    text_frontend: bool = Field(
        default=True, description="False for engines with their own normaliser: clean-up and splitting only."
    )
    erhua: Literal["keep", "merge"] = Field(default="keep", description="'merge' drops erhua 儿 suffixes.")
    yao: bool = Field(
        default=True, description="Read 1 as 幺 in phone numbers and codes, as Mandarin speakers say them."
    )
    max_segment_chars: int | None = Field(default=None, ge=20, description="Longest segment sent at once.")
    model_variant: str | None = Field(
        default=None,
        description="Precision variant to run (e.g. 'int8-dynamic', made by `clarion optimize`); unset: the "
        "variant `clarion optimize` enabled, else the shipped model. 'shipped' forces the shipped model.",
    )
    idle_unload_s: float | None = Field(
        default=None, gt=0, description="Unload after this long unused (overrides the global setting)."
    )
    keep_warm: bool = Field(default=False, description="Never unload this engine when idle.")
    isolation: Literal["thread", "process"] | None = Field(
        default=None, description="Run this engine in worker processes (overrides the global setting)."
    )
    worker_timeout_s: float | None = Field(
        default=None, gt=0, description="Watchdog deadline for one batch (overrides the global setting)."
    )

    @field_validator("max_batch_size")
    @classmethod
    def _positive(cls, v: int | str | None) -> int | str | None:
        if isinstance(v, int) and v < 1:
            raise ValueError("max_batch_size must be >= 1 or 'auto'")
        return v

    def own(self) -> dict[str, Any]:
        """The engine's own options (everything that is not a scheduling field), as given."""
        return dict(self.model_extra or {})


class OnnxOptions(BaseModel):
    """ONNX Runtime session settings shared by every ONNX engine (CLARION_ONNX__<FIELD>)."""

    inter_op_threads: int = Field(
        default=1, ge=1, le=256, description="Threads across independent graph nodes."
    )
    execution_mode: Literal["sequential", "parallel"] = Field(
        default="sequential",
        description="'parallel' runs independent branches at once (uses inter-op threads).",
    )
    graph_optimization: Literal["disable", "basic", "extended", "all"] = Field(
        default="all", description="ONNX Runtime graph optimisation level."
    )
    cpu_mem_arena: bool = Field(
        default=True, description="Arena allocator for CPU tensors (faster, holds memory)."
    )
    mem_pattern: bool = Field(
        # Off: patterns are planned per input shape, and a TTS server sees every text length;
        # with them on, Kokoro's server sat about 300 MB higher and grew longer (benchmarks/onnx_memory.py).
        default=False,
        description="Pre-plan memory per input shape (pays off only when shapes repeat).",
    )
    arena_shrinkage: bool = Field(
        # On: with the fixed mmap threshold (malloc_mmap_threshold_kb) the server goes back to
        # about its start-up size when idle instead of keeping its largest run's memory, at
        # about 2 % of throughput (benchmarks/onnx_memory.py).
        default=True,
        description="After every run, give the CPU arena's unused memory back (flat memory under "
        "varied input lengths, for some speed).",
    )
    shared_cpu_arena: bool = Field(
        # A session's own arena never gives back its first region (up to 32 MiB and more per
        # session), whose resident part climbs as longer inputs land in it.
        default=True,
        description="One CPU arena for all sessions of a process, grown by what each run asks, so "
        "shrinking can give every part of it back.",
    )
    narrow_session: bool = Field(
        default=True,
        description="On CPU, a second session of each multi-threaded graph with one intra-op thread, "
        "built the first time two runs overlap: a run that starts while another is running uses it, "
        "so a lone segment gets every core and several at once do not split every op between them.",
    )
    graph_cache: bool = Field(
        # Optimising Kokoro's graph is 0.5 s of each session's 0.7 s (benchmarks/cold_start.py).
        default=True,
        description="Keep each graph as ONNX Runtime optimised it for this CPU under "
        "data_dir/onnx-graphs, so later starts load it without optimising again (CPU only).",
    )
    providers: list[Literal["tensorrt", "cuda", "cpu"]] | None = Field(
        default=None,
        description="Execution providers in order; unset: cuda then cpu on CUDA devices, cpu otherwise. "
        "'tensorrt' is used only where onnxruntime has it.",
    )
    cuda_arena_extend_strategy: Literal["kNextPowerOfTwo", "kSameAsRequested"] = "kSameAsRequested"
    cuda_mem_limit_mb: int | None = Field(
        default=None, ge=64, description="Cap on the CUDA arena per session."
    )
    cudnn_conv_algo_search: Literal["EXHAUSTIVE", "HEURISTIC", "DEFAULT"] = "HEURISTIC"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLARION_",
        env_nested_delimiter="__",
        env_file=None,
        extra="ignore",
    )

    # -- server ----------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    shutdown_grace_s: float = Field(
        default=30.0, ge=0, description="On SIGTERM: how long in-flight requests may run before exit."
    )
    keep_alive_s: int = Field(
        default=75,
        ge=1,
        description="How long an idle HTTP connection stays open. Longer than clients' and load "
        "balancers' own idle limits (httpx and the OpenAI SDK 5 s, AWS ALB 60 s), so that they, not "
        "the server, close it: a server closing a connection a client has just reused loses that request.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest a client may take to send a request's headers (from connecting, or from "
        "its first byte on a kept-alive connection); then 408 and the connection is closed.",
    )
    body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest a client may take to send a request's whole body, once its headers are "
        "in; then 408 and the connection is closed.",
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections at most; one more is answered 503 and closed at once.",
    )
    log_text: bool = Field(default=False, description="Put request input text in the access log (privacy).")
    malloc_mmap_threshold_kb: int = Field(
        # Fixed, so glibc's dynamic threshold cannot move; at 32 MiB a run's tensors come from
        # the heaps and their pages serve the next run, until a trim (clarion.allocator).
        default=32768,
        ge=0,
        le=32768,
        description="glibc: blocks this large (KiB) get their own mapping, returned to the system "
        "when freed. 0: glibc's dynamic threshold.",
    )
    malloc_trim_threshold_kb: int = Field(
        # glibc's 128 KiB gives a run's freed tensors back at once, and the next run faults every
        # page in again: about a tenth of a Piper sentence's time (benchmarks/vs_piper_http.py).
        default=1 << 20,
        ge=0,
        le=(1 << 21) - 1,
        description="glibc: free space at a heap's top beyond this (KiB) is returned to the system "
        "at once; below it, at the next trim (malloc_trim_idle_s, malloc_trim_busy_s; with trims "
        "off, this is not set). 0: glibc's own.",
    )
    malloc_arena_max: int = Field(
        # Each thread that allocates may get a heap of its own, up to eight per core, and each
        # heap keeps pages a trim cannot return; with two, quiet RSS stopped creeping
        # (benchmarks/soak.py, benchmarks/onnx_memory.py).
        default=2,
        ge=0,
        le=1024,
        description="glibc: most heaps (arenas) the process's threads share. 0: glibc's eight per core.",
    )
    malloc_trim_idle_s: float = Field(
        default=1.0,
        ge=0,
        description="glibc: when synthesis has been idle this long (seconds), hand the heaps' free "
        "pages back to the system, in the server and in each worker process. 0: never.",
    )
    malloc_trim_busy_s: float = Field(
        # A server that is never idle for malloc_trim_idle_s would otherwise never trim.
        default=60.0,
        ge=0,
        description="glibc: under a load with no idle spell, hand the heaps' free pages back at "
        "most this often (seconds) anyway. 0: only when idle. Needs malloc_trim_idle_s.",
    )

    # -- engines ---------------------------------------------------------------
    engines: list[str] = Field(
        default_factory=lambda: ["hibari", "kokoro"],
        description="Engines to load at start. Engines whose extra or model files are missing are "
        "skipped with a warning unless listed in required_engines.",
    )
    required_engines: list[str] = Field(default_factory=list)
    default_engine: str = "hibari"
    model_aliases: dict[str, str] = Field(
        default_factory=lambda: {"tts-1": "auto", "tts-1-hd": "auto", "gpt-4o-mini-tts": "auto"},
        description="OpenAI model names and what they map to; 'auto' picks the engine by voice.",
    )
    voice_aliases: dict[str, str] = Field(
        default_factory=lambda: {
            # OpenAI's voice names, mapped to the Kokoro pack of the same name where one exists,
            # else to one of the same gender.
            "alloy": "af_alloy",
            "echo": "am_echo",
            "fable": "bm_fable",
            "onyx": "am_onyx",
            "nova": "af_nova",
            "shimmer": "af_sky",
            "ash": "am_adam",
            "coral": "af_heart",
            "sage": "af_sarah",
            "ballad": "bm_george",
            "verse": "am_michael",
            "marin": "af_bella",
            "cedar": "am_fenrir",
        }
    )
    language_voices: dict[str, str] = Field(
        default_factory=lambda: {"zh": "zf_xiaoxiao"},
        description="Voice that reads segments in a language the requested voice cannot speak "
        "(e.g. Chinese sentences in a request for an English-only voice); unset: 400.",
    )
    models_dir: Path = Field(default_factory=_default_models_dir)
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    cudnn_benchmark: bool = Field(
        default=False,
        description="On a CUDA device, let cuDNN time its algorithms and keep the fastest per input "
        "shape (torch.backends.cudnn.benchmark); pays off when shapes repeat, e.g. fixed batch sizes.",
    )
    cuda_module_loading: Literal["LAZY", "EAGER"] | None = Field(
        default=None,
        description="CUDA_MODULE_LOADING for the process that loads a torch engine on CUDA: LAZY loads "
        "kernels on first use (less GPU memory, faster start), EAGER all at start. Unset: CUDA's default.",
    )
    onnx: OnnxOptions = Field(default_factory=OnnxOptions)
    optimized_dir: Path | None = Field(
        default=None, description="Where `clarion optimize` keeps variants; unset: <models_dir>/optimized."
    )
    optimize_max_mcd_db: float = Field(
        default=6.0, gt=0, description="Largest mel-cepstral distortion from fp32 a variant may have."
    )
    optimize_max_wer_increase: float = Field(
        default=0.05, ge=0, description="Largest rise in round-trip word error rate a variant may cause."
    )
    optimize_min_speedup: float = Field(
        default=1.05,
        gt=0,
        description="How much faster than the current model a variant must be to be enabled.",
    )
    engine_options: dict[str, EngineOptions] = Field(default_factory=dict)
    warmup: bool = True
    warmup_other_languages: Literal["background", "before-ready"] = Field(
        # Kokoro's Mandarin front end is about 1 s of Python that holds the interpreter: in the
        # background, ready comes that much sooner, but a request in those first seconds waits
        # for it (docs/benchmarks.md, cold start).
        default="background",
        description="When an engine's other languages' front ends load (phonemisers, dictionaries): "
        "after the engine is ready, or before it counts as ready.",
    )
    idle_unload_s: float | None = Field(
        default=None,
        gt=0,
        description="Unload an engine unused this long (seconds); it reloads on the next request. "
        "Unset: never.",
    )

    isolation: Literal["thread", "process"] = Field(
        default="thread",
        description="'process' runs each engine worker in a child process under a watchdog, so a crash "
        "or hang in a model fails only the requests it held and the worker is restarted.",
    )
    worker_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="With process isolation: longest one batch may take before its worker counts as hung.",
    )
    worker_start_timeout_s: float = Field(
        default=600.0, gt=0, description="With process isolation: longest a worker may take to load."
    )
    worker_nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="With process isolation: how much lower the workers' CPU priority is than the "
        "server's, so that when the CPU is saturated the server still answers health checks and "
        "refuses excess requests at once instead of queueing them behind synthesis.",
    )

    # -- scheduling (per-engine values in engine_options override each engine's own defaults) --
    queue_size: int = Field(default=256, ge=1, description="Queued segments per engine before 503.")
    admission_control: bool = Field(
        default=True,
        description="Refuse (429) requests the measured throughput says would miss their deadline.",
    )
    admission_headroom: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Admit a request only if its estimated completion is within this share of its "
        "deadline: the rest is room for estimation error and jitter.",
    )
    calibration_latency_s: float = Field(
        default=1.0, gt=0, description="Longest batch latency that 'auto' batch calibration may choose."
    )
    lookahead: int = Field(default=4, ge=1, le=64, description="Segments of one request in flight at once.")
    queue_order: Literal["first", "playback", "arrival"] = Field(
        # 'first' over 'playback': as quick a first audio, and when the engine cannot keep up
        # with every listener it does not make every stream stall by turns (stream_ttfa.py).
        default="first",
        description="'first': a streamed request's first segment queues ahead of every later one, "
        "so a new stream's first audio does not wait behind other streams' later sentences; later "
        "ones keep their request's place in line. 'playback': a streamed request's segments queue "
        "by when a listener needs them (its first one at once, each later one when the audio "
        "before it has played). 'arrival': every segment keeps its request's place in line "
        "(first come, first served).",
    )

    # -- security ----------------------------------------------------------------
    api_keys: list[SecretStr] = Field(
        default_factory=list, description="Keys accepted as 'Authorization: Bearer'; none: no auth."
    )
    api_keys_file: Path | None = Field(default=None, description="One key per line (a mounted secret).")
    rate_limit_per_minute: float | None = Field(default=None, gt=0, description="Per API key; unset: none.")
    rate_limit_burst: int = Field(default=10, ge=1)
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS; '*' for any.")

    # -- request limits --------------------------------------------------------
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_concurrent_streams: int = Field(default=64, ge=1, description="Streamed responses at once; then 503.")
    # OpenAI's own speech endpoint streams chunked audio, so clients that play bytes as they come
    # never ask for it; such a deployment turns this on rather than change every client.
    stream_default: bool = Field(
        default=False,
        description="A speech request that leaves out 'stream' is streamed (chunked, first audio as "
        "soon as its first sentence is ready); 'stream': false still gives a whole file.",
    )
    request_timeout_s: float = Field(default=60.0, gt=0, description="Default per-request deadline.")
    max_request_timeout_s: float = Field(default=600.0, gt=0, description="Cap on a request's own timeout.")
    max_input_chars: int = Field(default=50_000, ge=1)
    max_get_input_chars: int = Field(default=1_000, ge=1)
    max_segment_chars: int = Field(default=300, ge=20)
    text_markup: bool = Field(
        default=True,
        description="Read plain text's Markdown and HTML for their words only (no '#', '**', "
        "tags) and drop emoji; false reads every character as sent.",
    )
    ws_idle_flush_ms: float = Field(
        default=500.0,
        ge=0,
        description="WS /v1/audio/speech/stream: text held this long with no new text is spoken "
        "without waiting for a sentence end (0: only at boundaries, flush and close).",
    )

    # -- uploaded voices -------------------------------------------------------
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Writable state: uploaded voices, the audio cache's disk tier, batch jobs.",
    )
    max_upload_bytes: int = Field(default=20_000_000, ge=1024, description="Largest reference clip upload.")
    voice_min_s: float = Field(
        default=2.0, gt=0, description="Shortest usable reference clip (after trimming)."
    )
    voice_max_s: float = Field(default=60.0, gt=0, description="Longest reference clip accepted.")
    upload_decode_timeout_s: float = Field(
        default=1.5,
        gt=0,
        description=(
            "CPU-time limit for decoding one upload, in a sandboxed child process "
            "(by the clock: ten times this, at least 30 s)."
        ),
    )

    # -- audio result cache ----------------------------------------------------
    cache_memory_mb: float = Field(
        default=256.0, ge=0, description="In-memory LRU of synthesised audio (MB of float32 samples); 0: off."
    )
    cache_disk_mb: float = Field(
        default=0.0, ge=0, description="On-disk tier under data_dir/cache (MB); 0: off. Survives restarts."
    )

    # -- batch jobs ------------------------------------------------------------
    batch_inline_max_items: int = Field(
        default=8, ge=0, description="Batches up to this many items are answered with a zip at once."
    )
    batch_max_items: int = Field(default=10_000, ge=1, description="Most items one batch may hold.")
    batch_concurrency: int = Field(
        default=2, ge=1, le=64, description="Items of a batch job in flight at once."
    )
    batch_max_body_bytes: int = Field(default=16_000_000, ge=1024, description="Largest batch request body.")
    batch_disk_mb: float = Field(
        default=10_000.0,
        ge=0,
        description="Most disk (MB) batch jobs may hold under data_dir/jobs: past it new jobs get 507 "
        "and items that would not fit fail with the reason. 0: no limit.",
    )

    # -- text front end --------------------------------------------------------
    lexicon_path: Path | None = Field(
        default=None, description="User lexicon (YAML or TSV), re-read when it changes."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        legacy = _LegacyEngineVariables(settings_cls)
        return init_settings, env_settings, legacy, dotenv_settings, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _legacy_watermark(cls, data: Any) -> Any:
        """``Settings(chatterbox_watermark=...)``, the field this option used to be (deprecated)."""
        if not isinstance(data, dict) or "chatterbox_watermark" not in data:
            return data
        data = dict(data)
        value = data.pop("chatterbox_watermark")
        options = dict(data.get("engine_options") or {})
        chatterbox = options.get("chatterbox") or {}
        if isinstance(chatterbox, EngineOptions):
            chatterbox = chatterbox.model_dump(exclude_unset=True)
        options["chatterbox"] = {"watermark": value, **chatterbox}
        data["engine_options"] = options
        return data

    def legacy_variables(self) -> list[LegacyVariable]:
        """Old-style engine variables in the environment, for the start-up's deprecation warnings."""
        return legacy_engine_variables()

    @property
    def optimized_root(self) -> Path:
        return self.optimized_dir or self.models_dir / "optimized"

    def options_for(self, engine: str) -> EngineOptions:
        return self.engine_options.get(engine, EngineOptions())

    @property
    def resolved_device(self) -> str:
        if self.device != "auto":
            return self.device
        try:
            import onnxruntime as ort

            if "CUDAExecutionProvider" in ort.get_available_providers():
                return "cuda"
        except ImportError:  # pragma: no cover - onnxruntime is a base dependency
            pass
        return "cpu"
