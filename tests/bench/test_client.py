"""Counting audio seconds from response bytes as they arrive, on files Clarion's own
encoders and Python's wave module write."""

from __future__ import annotations

import io
import itertools
import struct
import wave

import numpy as np
import pytest

from clarion.audio.encoders import StreamEncoder, encode
from clarion.bench.client import AudioMeter
from clarion.bench.errors import BenchError

RATE = 22_050


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


def splits(data: bytes, seed: int) -> list[bytes]:
    """``data`` cut at random places, some pieces a single byte (a header split mid-field)."""
    rng = np.random.default_rng(seed)
    cuts = sorted(set(rng.integers(1, len(data), size=40).tolist()) | {1, 2, 13, 41, 43})
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whole_wav_in_pieces(seed: int) -> None:
    data = encode(tone(1.5), RATE, "wav")
    meter = AudioMeter("wav")
    fed = [meter.feed(piece) for piece in splits(data, seed)]
    assert sum(fed) == pytest.approx(1.5, abs=1 / RATE)
    assert meter.finish() == pytest.approx(1.5, abs=1 / RATE)
    assert fed[0] == 0  # the first byte is header, not audio


def test_streamed_wav_of_unknown_length() -> None:
    encoder = StreamEncoder("wav", RATE)
    meter = AudioMeter("wav")
    piece = tone(0.25)
    delivered = [meter.feed(encoder.write(piece)) for _ in range(4)]
    meter.feed(encoder.close())
    assert delivered == pytest.approx([len(piece) / RATE] * 4)
    assert meter.finish() == pytest.approx(4 * len(piece) / RATE)


def test_wav_with_other_chunks_around_the_data() -> None:
    samples = (tone(0.5) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, RATE, RATE * 2, 2, 16)

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return tag + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) % 2)  # even padding

    # An odd-sized chunk (padded) before the samples, and one after them that is not audio.
    body = (
        b"WAVE"
        + chunk(b"fmt ", fmt)
        + chunk(b"LIST", b"abc")
        + chunk(b"data", samples)
        + chunk(b"LIST", b"INFO")
    )
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    meter = AudioMeter("wav")
    for piece in splits(data, 5):
        meter.feed(piece)
    assert meter.finish() == pytest.approx(0.5, abs=1 / RATE)


def test_stereo_wav_counts_frames_not_samples() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(b"\0\0" * 2 * 16_000)
    meter = AudioMeter("wav")
    meter.feed(buf.getvalue())
    assert meter.finish() == pytest.approx(1.0)


def test_bad_wav_is_an_error() -> None:
    with pytest.raises(ValueError, match="RIFF"):
        AudioMeter("wav").feed(b"<html>not audio at all</html>")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 800)
    with pytest.raises(ValueError, match="16-bit"):
        AudioMeter("wav").feed(buf.getvalue())
    cut = AudioMeter("wav")
    cut.feed(encode(tone(0.1), RATE, "wav")[:30])
    with pytest.raises(ValueError, match="ended before"):
        cut.finish()


def test_pcm_needs_its_rate() -> None:
    meter = AudioMeter("pcm", 24_000)
    assert meter.feed(b"\0\0" * 12_000) == pytest.approx(0.5)
    assert meter.feed(b"\0\0" * 6_000) == pytest.approx(0.25)
    assert meter.finish() == pytest.approx(0.75)
    with pytest.raises(BenchError, match="sample rate"):
        AudioMeter("pcm")
    with pytest.raises(BenchError, match="unknown audio format"):
        AudioMeter("ogg")


@pytest.mark.parametrize("fmt", ["mp3", "opus", "flac", "aac"])
def test_compressed_formats_are_measured_once_complete(fmt: str) -> None:
    data = encode(tone(2.0, 24_000), 24_000, fmt)
    meter = AudioMeter(fmt)
    assert not meter.incremental
    assert all(meter.feed(piece) == 0 for piece in splits(data, 3))
    # Codec frames and priming add or trim a few tens of ms.
    assert meter.finish() == pytest.approx(2.0, abs=0.06)
