"""GPU memory, where a GPU exists. Read through PyTorch when an engine already imported it
(its own allocator's view), else through NVML (``clarion[gpu]``); neither present, or no
device: nothing is reported, rather than zeros that would look like an idle GPU."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GpuMemory:
    device: str
    used_bytes: int
    total_bytes: int
    allocated_bytes: int | None = None  # held by PyTorch's allocator, when known


def gpu_memory() -> list[GpuMemory]:
    return _from_torch() or _from_nvml()


def _from_torch() -> list[GpuMemory]:
    torch: Any = sys.modules.get("torch")  # never imported just for metrics: it is heavy
    if torch is None:
        return []
    try:
        if not torch.cuda.is_available():
            return []
        out = []
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            out.append(
                GpuMemory(f"cuda:{i}", int(total - free), int(total), int(torch.cuda.memory_allocated(i)))
            )
        return out
    except Exception:  # a driver problem must not break /metrics
        return []


def _from_nvml() -> list[GpuMemory]:
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # no driver, no device
        return []
    try:
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            info = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i))
            out.append(GpuMemory(f"cuda:{i}", int(info.used), int(info.total)))
        return out
    except Exception:
        return []
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
