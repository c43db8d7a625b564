"""Test signals and the measurements taken on them, shared by the audio and engine tests."""

from __future__ import annotations

import os

import numpy as np

from clarion.engines.base import Audio


def tone(rate: int = 24000, seconds: float = 1.5, freq: float = 440.0) -> Audio:
    t = np.arange(round(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(audio: Audio, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size), n=8 * audio.size))
    return float(np.argmax(spectrum) * rate / (8 * audio.size))


def rms(audio: Audio) -> float:
    """Root-mean-square level, to tell speech from silence."""
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB, from /proc."""
    with open(f"/proc/{pid or 'self'}/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
