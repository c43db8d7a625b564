"""Decoding any supported format back to mono float32 audio."""

from __future__ import annotations

import io

import av
import numpy as np
from av.error import FFmpegError

from clarion.audio.resample import check_rate
from clarion.types import Audio

# Format names (ours and file extensions) to FFmpeg demuxer names; others go to FFmpeg as-is.
_DEMUXERS = {
    "wav": "wav",
    "mp3": "mp3",
    "opus": "ogg",
    "ogg": "ogg",
    "flac": "flac",
    "aac": "aac",  # FFmpeg's ADTS demuxer is called "aac"
    "adts": "aac",
}


def decode_pcm(data: bytes, sample_rate: int) -> tuple[Audio, int]:
    """Raw 16-bit little-endian mono PCM, which carries no rate of its own."""
    sample_rate = check_rate("sample_rate", sample_rate)
    if len(data) % 2:
        raise ValueError(f"16-bit PCM must have an even number of bytes, got {len(data)}")
    audio = np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)
    return audio, sample_rate


def decode(data: bytes, fmt_hint: str | None = None, sample_rate: int | None = None) -> tuple[Audio, int]:
    """Decode an encoded file to (mono float32 audio, sample rate).

    Several channels are averaged. The rate is the decoder's: Ogg Opus always decodes at
    48 kHz whatever rate it was encoded from. ``fmt_hint`` skips format probing; raw PCM
    ("pcm") cannot be probed and needs ``sample_rate``.
    """
    hint = fmt_hint.lower().lstrip(".") if fmt_hint else None
    if hint in ("pcm", "raw"):
        if sample_rate is None:
            raise ValueError("raw PCM has no header: pass sample_rate (or use decode_pcm)")
        return decode_pcm(data, sample_rate)
    if not data:
        raise ValueError("no audio data to decode")
    demuxer = _DEMUXERS.get(hint, hint) if hint else None
    try:
        with av.open(io.BytesIO(data), "r", format=demuxer) as container:
            if not container.streams.audio:
                raise ValueError("the data has no audio stream")
            stream = container.streams.audio[0]
            # Planar float keeps every channel apart, whatever the codec's native format.
            to_float = av.AudioResampler(format="fltp")
            chunks: list[Audio] = []
            rate = stream.codec_context.sample_rate
            for frame in container.decode(stream):
                rate = frame.sample_rate
                for converted in to_float.resample(frame):
                    chunks.append(converted.to_ndarray().mean(axis=0, dtype=np.float32))
            for converted in to_float.resample(None):
                chunks.append(converted.to_ndarray().mean(axis=0, dtype=np.float32))
    except FFmpegError as exc:
        raise ValueError(f"could not decode audio ({fmt_hint or 'probed format'}): {exc}") from exc
    if not rate:
        raise ValueError("the audio stream has no sample rate")
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return audio.astype(np.float32, copy=False), rate
