"""Tempo change without pitch change, for speeds an engine cannot produce natively."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
from av.filter import Graph

from clarion.audio.resample import as_mono, check_rate
from clarion.types import Audio

MIN_FACTOR = 0.1
MAX_FACTOR = 100.0
# One atempo stage takes 0.5..100; slower tempi chain several stages.
_ATEMPO_MIN = 0.5


def _atempo_stages(factor: float) -> list[float]:
    stages: list[float] = []
    while factor < _ATEMPO_MIN:
        stages.append(_ATEMPO_MIN)
        factor /= _ATEMPO_MIN
    stages.append(factor)
    return stages


def time_stretch(samples: npt.ArrayLike, sample_rate: int, factor: float) -> Audio:
    """Play ``samples`` ``factor`` times faster (2.0 = half the duration) at the same pitch.

    Uses FFmpeg's WSOLA-based ``atempo`` filter. The result has exactly
    ``round(len(samples) / factor)`` samples (atempo's own count is off by a few ms at the
    edges; the difference is trimmed or zero-padded at the end). A factor of 1.0 returns
    the input unchanged.
    """
    rate = check_rate("sample_rate", sample_rate)
    audio = as_mono(samples)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not math.isfinite(factor):
        raise ValueError(f"factor must be a finite number, got {factor!r}")
    if not MIN_FACTOR <= factor <= MAX_FACTOR:
        raise ValueError(f"factor must be between {MIN_FACTOR} and {MAX_FACTOR}, got {factor}")
    if factor == 1.0:
        return audio
    target = round(audio.size / factor)
    if audio.size == 0:
        return np.zeros(0, dtype=np.float32)

    graph = Graph()
    nodes = [graph.add_abuffer(sample_rate=rate, format="flt", layout="mono", time_base=Fraction(1, rate))]
    nodes += [graph.add("atempo", tempo=repr(stage)) for stage in _atempo_stages(float(factor))]
    nodes.append(graph.add("abuffersink"))
    graph.link_nodes(*nodes).configure()

    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(audio).reshape(1, -1), format="flt", layout="mono"
    )
    frame.sample_rate = rate
    frame.pts = 0
    frame.time_base = Fraction(1, rate)
    graph.push(frame)
    graph.push(None)  # end of stream: atempo flushes its last window

    chunks: list[Audio] = []
    while True:
        try:
            out = graph.pull()
        except (EOFError, BlockingIOError):
            break
        assert isinstance(out, av.AudioFrame)
        chunks.append(np.asarray(out.to_ndarray()[0], dtype=np.float32))
    stretched = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    if stretched.size >= target:
        return stretched[:target]
    return np.concatenate([stretched, np.zeros(target - stretched.size, dtype=np.float32)])
