"""ONNX Runtime sessions built one way for every ONNX engine: threads, providers, device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clarion.errors import EngineUnavailable


def providers_for(device: str) -> list[Any]:
    import onnxruntime as ort

    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise EngineUnavailable(
                "device 'cuda' was requested but this onnxruntime has no CUDAExecutionProvider; "
                "install onnxruntime-gpu or set CLARION_DEVICE=cpu"
            )
        # The arena grows in powers of two by default; same-size growth keeps VRAM predictable.
        return [
            ("CUDAExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"}),
            "CPUExecutionProvider",
        ]
    return ["CPUExecutionProvider"]


def session(model: str | Path | bytes, device: str, threads: int) -> Any:
    """An InferenceSession with ``threads`` intra-op threads; one session may be run from
    several Python threads at once (onnxruntime guarantees Run is thread-safe)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    src = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(src, sess_options=so, providers=providers_for(device))
