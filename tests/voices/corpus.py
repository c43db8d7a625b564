"""A corpus of hostile and broken uploads, each with the status and the words the server must
answer it with. Each file is made when a test first reads it, not when tests are collected:
some (an hour of FLAC) take seconds to encode, which every pytest process would pay."""

from __future__ import annotations

import functools
import io
import struct
import wave
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clarion.audio.encoders import encode
from clarion.audio.formats import AudioFormat


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    make: Callable[[], bytes]
    status: int
    says: str  # a phrase the error message must contain

    @functools.cached_property
    def data(self) -> bytes:
        return self.make()


def speech_like(seconds: float, rate: int = 16_000, channels: int = 1) -> np.ndarray:
    """A voiced, amplitude-modulated tone: loud enough not to be trimmed as silence."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (
        np.repeat(x[:, None], channels, axis=1).astype(np.float32) if channels > 1 else x.astype(np.float32)
    )


def wav_bytes(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def good_wav(seconds: float = 4.0, rate: int = 16_000) -> bytes:
    return wav_bytes(speech_like(seconds, rate), rate)


def _with_data_size(wav: bytes, size: int) -> bytes:
    pos = wav.index(b"data")
    return wav[: pos + 4] + struct.pack("<I", size) + wav[pos + 8 :]


def _corrupt(data: bytes, at: float, length: int = 200, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    start = int(len(out) * at)
    out[start : start + length] = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
    return bytes(out)


@functools.cache
def _clip() -> np.ndarray:
    return speech_like(4.0)


@functools.cache
def _wav() -> bytes:
    return good_wav()


def _zipped() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("voice.wav", _wav())
    return out.getvalue()


def _nan_wav() -> bytes:
    clip = _clip()
    return _float_wav(np.where(np.arange(len(clip)) % 100 == 0, np.nan, clip).astype(np.float32), 16_000)


def _random_bytes() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 50_000, dtype=np.uint8).tobytes()


def hostile_corpus() -> list[Case]:
    return [
        Case("zero-length", "voice.wav", lambda: b"", 400, "empty"),
        Case("random-bytes", "voice.wav", _random_bytes, 415, "not audio"),
        Case("zip", "voice.zip", _zipped, 415, "zip archive"),
        Case(
            "html", "voice.wav", lambda: b"<!DOCTYPE html><html><body>hello</body></html>" * 50, 415, "HTML"
        ),
        Case("png", "voice.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(2000), 415, "PNG image"),
        Case("text", "voice.txt", lambda: b"just some words, not a recording\n" * 100, 415, "text file"),
        Case("elf", "voice", lambda: b"\x7fELF\x02\x01\x01" + bytes(4000), 415, "executable"),
        Case(
            "mp3-named-wav",
            "voice.wav",
            lambda: encode(_clip(), 16_000, AudioFormat.MP3),
            415,
            "named .wav but contains MP3",
        ),
        Case("truncated-wav", "voice.wav", lambda: _wav()[: len(_wav()) // 10], 422, "truncated or corrupt"),
        Case(
            "header-claims-4gb",
            "voice.wav",
            lambda: _with_data_size(_wav(), 4_000_000_000),
            422,
            "declares 4000000000 bytes",
        ),
        Case("header-only-wav", "voice.wav", lambda: _wav()[:44], 422, "truncated or corrupt"),
        Case(
            "one-hour",
            "voice.flac",
            # Silent, so it compresses to little.
            lambda: encode(np.zeros(8_000 * 3600, np.float32), 8_000, AudioFormat.FLAC),
            422,
            "longer than 60 s",
        ),
        Case(
            "eight-channels",
            "voice.wav",
            lambda: wav_bytes(speech_like(4.0, 16_000, 8), 16_000, 8),
            422,
            "8 channels",
        ),
        Case("1-hz-rate", "voice.wav", lambda: wav_bytes(speech_like(4.0, 16_000), 1), 422, "1 Hz"),
        Case(
            "flac-broken-frames",
            "voice.flac",
            lambda: _corrupt(encode(_clip(), 16_000, AudioFormat.FLAC), 0.5),
            422,
            "damaged",
        ),
        Case(
            "ogg-broken-pages",
            "voice.ogg",
            lambda: _corrupt(encode(_clip(), 16_000, AudioFormat.OPUS), 0.3, seed=1),
            422,
            "damaged",
        ),
        Case(
            "mp3-garbage-after-tag",
            "voice.mp3",
            lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(5000),
            422,
            "decode",
        ),
        Case(
            "silent",
            "voice.wav",
            lambda: wav_bytes(np.zeros(16_000 * 5, np.float32), 16_000),
            422,
            "silent",
        ),
        Case("too-short", "voice.wav", lambda: good_wav(0.6), 422, "at least 2 s"),
        Case("nan-samples", "voice.wav", _nan_wav, 422, "NaN"),
        Case(
            "unknown-wav-codec",
            "voice.wav",
            lambda: _unknown_codec(encode(_clip(), 16_000, AudioFormat.WAV)),
            422,
            "decode",
        ),
        Case(
            "too-large",
            "voice.wav",
            lambda: bytes(44) + bytes(21_000_000),
            413,
            "CLARION_MAX_UPLOAD_BYTES",
        ),
    ]


def _float_wav(samples: np.ndarray, rate: int) -> bytes:
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", len(data)) + data)
    )


def _unknown_codec(wav: bytes) -> bytes:
    pos = wav.index(b"fmt ") + 8
    return wav[:pos] + struct.pack("<H", 0x7777) + wav[pos + 2 :]
