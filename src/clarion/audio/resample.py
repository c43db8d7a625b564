"""Sample-rate conversion with libsoxr."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

from clarion.types import Audio

# soxr "HQ" is 20-bit precision: well below the 16-bit floor of every output format.
_QUALITY = "HQ"


def check_rate(name: str, value: object) -> int:
    """``value`` as a positive int sample rate, or a ValueError naming the parameter."""
    # bool is an int subclass, but True is never a sample rate.
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_mono(samples: npt.ArrayLike) -> Audio:
    """``samples`` as a 1-D float32 array (no copy when it already is one)."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio as a 1-D array, got shape {audio.shape}")
    return audio


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> Audio:
    """Resample mono audio; returns the input itself when the rates are equal."""
    from_rate = check_rate("from_rate", from_rate)
    to_rate = check_rate("to_rate", to_rate)
    audio = as_mono(samples)
    if from_rate == to_rate:
        return audio
    if audio.size == 0:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(soxr.resample(audio, from_rate, to_rate, quality=_QUALITY), dtype=np.float32)


class StreamResampler:
    """Resamples a stream given in arbitrary pieces, with no seams at the piece boundaries.

    soxr works in internal blocks, so ``process`` may return fewer samples than the piece
    implies (even none); ``flush`` returns the rest at the end of the stream.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = check_rate("from_rate", from_rate)
        self.to_rate = check_rate("to_rate", to_rate)
        self._stream: soxr.ResampleStream | None = None
        if self.from_rate != self.to_rate:
            self._stream = soxr.ResampleStream(
                self.from_rate, self.to_rate, 1, dtype="float32", quality=_QUALITY
            )
        self._flushed = False

    def process(self, samples: npt.ArrayLike) -> Audio:
        if self._flushed:
            raise ValueError("process() called after flush()")
        audio = as_mono(samples)
        if self._stream is None or audio.size == 0:
            return audio
        return np.asarray(self._stream.resample_chunk(audio), dtype=np.float32)

    def flush(self) -> Audio:
        """The samples still held back; the resampler cannot be used afterwards."""
        if self._flushed:
            return np.zeros(0, dtype=np.float32)
        self._flushed = True
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        tail = self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        return np.asarray(tail, dtype=np.float32)
