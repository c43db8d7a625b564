"""Time-stretching: duration changes by the factor, pitch does not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.audio import time_stretch
from tests.signals import dominant_freq, rms, tone

RATE = 24000


@pytest.mark.parametrize("factor", [0.3, 0.5, 0.8, 1.25, 2.0, 3.0])
@pytest.mark.parametrize("freq", [220.0, 440.0])
def test_duration_scales_and_pitch_stays(factor: float, freq: float) -> None:
    audio = tone(freq=freq)
    out = time_stretch(audio, RATE, factor)
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.size == pytest.approx(audio.size / factor, rel=0.03)
    assert dominant_freq(out, RATE) == pytest.approx(freq, abs=3)
    # The tone is still there at full level, not smeared into silence.
    assert rms(out[: int(out.size * 0.9)]) == pytest.approx(rms(audio), rel=0.1)


def test_speech_like_signal_keeps_its_harmonics() -> None:
    # A 150 Hz voice with harmonics: after stretching, the fundamental must still be 150 Hz.
    t = np.arange(RATE * 2) / RATE
    voice = np.sum([np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8)], axis=0)
    audio = (0.2 * voice).astype(np.float32)
    for factor in (0.7, 1.6):
        out = time_stretch(audio, RATE, factor)
        spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size)))
        freqs = np.fft.rfftfreq(out.size, 1 / RATE)
        assert freqs[np.argmax(spectrum)] == pytest.approx(150, abs=2)


def test_factor_one_returns_the_input() -> None:
    audio = tone()
    assert time_stretch(audio, RATE, 1.0) is audio


def test_empty_input() -> None:
    assert time_stretch(np.zeros(0, dtype=np.float32), RATE, 1.5).size == 0


@pytest.mark.parametrize("factor", [0.0, -1.0, 0.05, 101.0, math.nan, math.inf, "2"])
def test_invalid_factors_are_rejected(factor: object) -> None:
    with pytest.raises(ValueError, match="factor"):
        time_stretch(tone(), RATE, factor)  # type: ignore[arg-type]


def test_invalid_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        time_stretch(tone(), 0, 1.5)
