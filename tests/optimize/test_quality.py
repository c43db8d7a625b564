"""Mel-cepstral distortion: zero for the same audio, small for a faint change, large for
different sound, and defined for renderings of different length."""

from __future__ import annotations

import numpy as np

from clarion.optimize.quality import mcd

RATE = 16_000


def voiced(seconds: float = 1.5, f0: float = 140.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    harmonics = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12))
    return (0.1 * harmonics * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def test_identical_audio_has_no_distortion() -> None:
    x = voiced()
    assert mcd(x, x, RATE) == 0.0


def test_distortion_grows_with_the_change() -> None:
    x = voiced()
    rng = np.random.default_rng(0)
    faint = mcd(x, x + 1e-4 * rng.standard_normal(len(x)).astype(np.float32), RATE)
    strong = mcd(x, x + 3e-2 * rng.standard_normal(len(x)).astype(np.float32), RATE)
    other = mcd(x, voiced(f0=230.0), RATE)
    assert 0 < faint < 1.0 < strong
    assert other > 3.0


def test_different_lengths_are_aligned_first() -> None:
    x = voiced(1.0)
    slower = np.repeat(x, 2)[: int(1.1 * len(x))]  # same content, another length
    assert mcd(x, x[:-800], RATE) < mcd(x, voiced(1.0, f0=300.0)[:-800], RATE)
    assert np.isfinite(mcd(x, slower, RATE))
