"""How far a variant's audio is from the reference: mel-cepstral distortion (MCD, in dB)
after dynamic time warping, the usual objective measure for TTS vocoder changes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.fft import dct

FloatArray = npt.NDArray[np.float64]

N_MELS = 40
N_CEPS = 24  # c1..c24; c0 (energy) is left out, as usual for MCD
_K = 10.0 / np.log(10.0) * np.sqrt(2.0)


def _mel_filterbank(sample_rate: int, n_fft: int, n_mels: int = N_MELS) -> FloatArray:
    def hz_to_mel(f: FloatArray | float) -> FloatArray:
        return np.asarray(2595.0 * np.log10(1.0 + np.asarray(f) / 700.0), dtype=np.float64)

    def mel_to_hz(m: FloatArray) -> FloatArray:
        return np.asarray(700.0 * (10.0 ** (m / 2595.0) - 1.0), dtype=np.float64)

    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    bank = np.zeros((n_mels, len(bins)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        rising = (bins - lo) / max(mid - lo, 1e-9)
        falling = (hi - bins) / max(hi - mid, 1e-9)
        bank[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return bank


def _mel_power(audio: npt.ArrayLike, sample_rate: int) -> FloatArray:
    x = np.asarray(audio, np.float64)
    win, hop = int(0.025 * sample_rate), int(0.010 * sample_rate)
    n_fft = 1 << (win - 1).bit_length()
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop] * np.hanning(win)
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
    return np.asarray(power @ _mel_filterbank(sample_rate, n_fft).T, dtype=np.float64)


def mel_cepstrum(audio: npt.ArrayLike, sample_rate: int, floor: float | None = None) -> FloatArray:
    """Frames x N_CEPS mel cepstra of the log amplitude (25 ms windows, 10 ms hop).

    ``floor`` bounds the power from below (default: 60 dB under the loudest band), so
    near-silent bands do not dominate the distance with log-of-nearly-zero noise."""
    mel = _mel_power(audio, sample_rate)
    floor = floor if floor is not None else max(float(mel.max()) * 1e-6, 1e-12)
    log_amp = 0.5 * np.log(np.maximum(mel, floor))
    return np.asarray(dct(log_amp, type=2, norm="ortho", axis=1)[:, 1 : N_CEPS + 1], dtype=np.float64)


def _dtw_path_cost(a: FloatArray, b: FloatArray) -> tuple[float, int]:
    """Summed frame distance along the best monotonic alignment, and the path length."""
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    n, m = dist.shape
    cost = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1))
    cost[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = (cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1])
            k = int(np.argmin(options))
            prev = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            cost[i, j] = options[k] + dist[i - 1, j - 1]
            steps[i, j] = steps[prev] + 1
    return float(cost[n, m]), int(steps[n, m])


def mcd(reference: npt.ArrayLike, test: npt.ArrayLike, sample_rate: int) -> float:
    """Mel-cepstral distortion in dB between two renderings of the same text (0: identical)."""
    floor = max(float(_mel_power(reference, sample_rate).max()) * 1e-6, 1e-12)  # one floor for both
    a, b = mel_cepstrum(reference, sample_rate, floor), mel_cepstrum(test, sample_rate, floor)
    if a.shape == b.shape:
        # Same length (the usual case for a precision change): frame by frame, no warping.
        per_frame = np.sqrt(((a - b) ** 2).sum(axis=1))
        return float(_K * per_frame.mean())
    total, length = _dtw_path_cost(a, b)
    return float(_K * total / max(length, 1))
