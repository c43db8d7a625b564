"""What every PyTorch engine needs from the machine: the device, the precision, thread and
GPU-memory limits, and torchaudio imported in a way that works beside a CPU build of torch.

Imports of torch stay inside the functions: engines import this module at discovery time,
when torch may not be installed at all."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import logging
import os
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from clarion.errors import EngineUnavailable

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

Precision = Literal["auto", "fp32", "fp16", "bf16"]


def torch_device(requested: str) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (CUDA when torch sees a GPU) as a torch device;
    a CUDA device that is not there is refused with the reason, never silently replaced."""
    import torch

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as e:
        raise EngineUnavailable(f"unknown torch device {requested!r}: use cpu, cuda, cuda:N or auto") from e
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise EngineUnavailable(
                f"device {requested!r} was requested but this torch build sees no GPU "
                f"(torch {torch.__version__}); set CLARION_DEVICE=cpu"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise EngineUnavailable(
                f"device {requested!r} does not exist: torch sees {torch.cuda.device_count()} GPU(s)"
            )
    elif device.type != "cpu":
        raise EngineUnavailable(f"device {requested!r} is not supported: use cpu, cuda, cuda:N or auto")
    return device


def torch_dtype(device: torch.device, precision: Precision) -> torch.dtype:
    """The floating-point type to run the heavy layers in. Half precision is a GPU feature:
    on the CPU it is slower and less exact, so asking for it there is an error; ``auto``
    picks bf16 where the GPU supports it, else fp16 on a GPU, and fp32 on the CPU."""
    import torch

    if device.type != "cuda":
        if precision in ("fp16", "bf16"):
            raise EngineUnavailable(
                f"precision {precision} needs a CUDA device; this engine runs on {device}"
            )
        return torch.float32
    if precision == "fp32":
        return torch.float32
    if precision == "fp16":
        return torch.float16
    bf16 = torch.cuda.is_bf16_supported()
    if precision == "bf16":
        if not bf16:
            raise EngineUnavailable(
                f"precision bf16 is not supported by {torch.cuda.get_device_name(device)}"
            )
        return torch.bfloat16
    return torch.bfloat16 if bf16 else torch.float16


def limit_gpu_memory(device: torch.device, fraction: float | None) -> None:
    """Cap this process's share of the GPU's memory (caching allocator), so several
    replicas or engines can share one card; allocations past it raise out-of-memory."""
    if fraction is None or device.type != "cuda":
        return
    if not 0 < fraction <= 1:
        raise EngineUnavailable(f"GPU memory fraction must be in (0, 1], got {fraction}")
    import torch

    torch.cuda.set_per_process_memory_fraction(fraction, device)


def set_threads(threads: int) -> None:
    """Intra-op threads for torch's CPU kernels. Process-wide in torch, so the last engine
    loaded in a process sets it for all torch engines there."""
    import torch

    if threads >= 1 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


# -- the loading skeleton every torch engine follows ------------------------------------------


def require_files(label: str, engine: str, model_dir: Path, missing: list[str]) -> None:
    """Refuse to load (EngineUnavailable, pointing at `clarion models check`) when model files
    are missing."""
    if missing:
        raise EngineUnavailable(
            f"{label} model files are missing from {model_dir}: {', '.join(missing)} "
            f"(`clarion models check {engine} --path {model_dir}` says more)"
        )


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def cuda_module_loading(requested: str, module_loading: str | None = None) -> None:
    """Export CUDA_MODULE_LOADING (setting ``cuda_module_loading``, CLARION_CUDA_MODULE_LOADING)
    before CUDA starts in this process: the CUDA runtime reads it once, at initialisation. A value
    already in the environment wins, and nothing is set for a CPU device."""
    if requested == "cpu":
        return
    value = module_loading or os.environ.get("CLARION_CUDA_MODULE_LOADING", "").strip().upper()
    if value:
        if value not in ("LAZY", "EAGER"):
            raise EngineUnavailable(f"CUDA module loading must be LAZY or EAGER, got {value!r}")
        os.environ.setdefault("CUDA_MODULE_LOADING", value)


def configure_cuda(device: torch.device, cudnn_benchmark: bool | None = None) -> None:
    """On a CUDA device, torch.backends.cudnn.benchmark from setting ``cudnn_benchmark``
    (CLARION_CUDNN_BENCHMARK, read from the environment of the process that loads the engine,
    so engine worker processes see it too). Process-wide in torch; left alone on the CPU."""
    if device.type != "cuda":
        return
    import torch

    enabled = _env_flag("CLARION_CUDNN_BENCHMARK") if cudnn_benchmark is None else cudnn_benchmark
    if enabled:
        torch.backends.cudnn.benchmark = True
        log.info("cudnn.benchmark on for %s", device)


def prepare(device: str, threads: int, gpu_memory_fraction: float | None) -> torch.device:
    """The device to load on, with torch's threads, the GPU memory cap and the CUDA settings
    (module loading, cudnn.benchmark) set for it."""
    cuda_module_loading(device)
    dev = torch_device(device)
    set_threads(threads)
    limit_gpu_memory(dev, gpu_memory_fraction)
    configure_cuda(dev)
    return dev


@contextlib.contextmanager
def loading(
    label: str,
    engine: str,
    model_dir: Path,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> Iterator[None]:
    """Turn a package's failure to load a checkpoint (shape mismatches, damaged files) into
    EngineUnavailable that says where to look."""
    try:
        yield
    except EngineUnavailable:
        raise
    except errors as e:
        raise EngineUnavailable(
            f"{label} could not load {model_dir}: {type(e).__name__}: {str(e)[:500]} "
            f"(`clarion models check {engine} --path {model_dir}` says what is wrong)"
        ) from e


@contextlib.contextmanager
def inference() -> Iterator[None]:
    """No autograd bookkeeping: no graph is kept, so memory does not grow per request."""
    import torch

    with torch.inference_mode():
        yield


def release_memory(device: torch.device | None = None) -> None:
    """Return freed tensors' memory after an unload (the CUDA cache keeps it otherwise)."""
    gc.collect()
    if device is not None and device.type == "cuda":
        import torch

        torch.cuda.empty_cache()


def import_torchaudio() -> Any:
    """torchaudio, usable beside a CPU-only torch.

    PyPI's torchaudio wheels are CUDA builds whose C++ extension links libc10_cuda; next to
    the CPU torch (the only torch this project installs without gigabytes of CUDA) that
    extension cannot load and ``import torchaudio`` fails. The parts the speech packages use
    here (mel spectrograms, mel-scale helpers) are plain Python over torch, so on that failure
    torchaudio is imported again with its extension marked unavailable: functions that need
    the extension (forced alignment, filters written in C++) then raise their own "not
    available" errors instead of breaking the import of everything."""
    try:
        import torchaudio

        return torchaudio
    except OSError as e:
        causes: list[BaseException] = [e]
        while causes[-1].__cause__ is not None and len(causes) < 8:
            causes.append(causes[-1].__cause__)
        reason = "; ".join(str(c) for c in causes)
        if not any(lib in reason for lib in ("libc10_cuda", "libtorch_cuda", "libcudart")):
            raise EngineUnavailable(f"torchaudio cannot be imported: {reason}") from e
    for name in [m for m in sys.modules if m == "torchaudio" or m.startswith("torchaudio.")]:
        del sys.modules[name]
    spec = importlib.util.find_spec("torchaudio")
    if spec is None or spec.origin is None:
        raise EngineUnavailable("torchaudio is not installed")

    def unavailable(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"torchaudio.{func.__name__} needs torchaudio's C++ extension: {reason}")

        return fail

    # What torchaudio's Python modules import from the extension module (torchaudio 2.9-2.11).
    stub = types.ModuleType("torchaudio._extension")
    stub.__path__ = [str(Path(spec.origin).parent / "_extension")]
    stub._IS_TORCHAUDIO_EXT_AVAILABLE = False  # type: ignore[attr-defined]
    stub._IS_ALIGN_AVAILABLE = False  # type: ignore[attr-defined]
    stub.fail_if_no_align = unavailable  # type: ignore[attr-defined]
    sys.modules["torchaudio._extension"] = stub
    import torchaudio

    log.info("torchaudio imported without its C++ extension (%s)", reason[:300])
    return torchaudio
