"""Format sniffing looks at the bytes, never the name."""

from __future__ import annotations

import numpy as np
import pytest

from clarion.audio.encoders import encode
from clarion.audio.formats import AudioFormat
from clarion.audio.sniff import sniff

TONE = (0.2 * np.sin(np.arange(16_000) / 16_000 * 2 * np.pi * 220)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        (AudioFormat.WAV, "wav"),
        (AudioFormat.FLAC, "flac"),
        (AudioFormat.OPUS, "ogg"),
        (AudioFormat.MP3, "mp3"),
    ],
)
def test_real_audio_is_recognised(fmt: AudioFormat, kind: str) -> None:
    got = sniff(encode(TONE, 16_000, fmt))
    assert got.audio and got.kind == kind and got.demuxer


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"PK\x03\x04rest", "a zip archive"),
        (b"  <!DOCTYPE html><html>", "an HTML or XML document"),
        (b"%PDF-1.7", "a PDF document"),
        (b"hello, plain words\n", "a text file"),
        (bytes([0x00, 0x01, 0xFE, 0x80]) * 10, "unrecognised data"),
        (b"", "unrecognised data"),
    ],
)
def test_other_files_are_named(data: bytes, what: str) -> None:
    got = sniff(data)
    assert not got.audio and got.kind == what
