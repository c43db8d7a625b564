"""Round-trip speech checks for tests; recognition itself lives in clarion.optimize.asr."""

from __future__ import annotations

import numpy as np

from clarion.optimize.asr import transcribe, wer

__all__ = ["assert_english_speech", "transcribe", "wer"]


def assert_english_speech(audio: np.ndarray, rate: int, text: str, max_wer: float = 0.2) -> None:
    """Real speech for ``text``: float32 mono, a plausible length, audible, and heard back
    by Whisper with at most ``max_wer`` word error rate."""
    from tests.signals import rms

    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.04 * len(text) <= len(audio) / rate <= 0.2 * len(text)
    assert rms(audio) > 0.01
    heard = transcribe(audio, rate)
    assert wer(text, heard) <= max_wer, heard
