"""Checking an uploaded reference clip before anything else touches it.

Order matters: cheap checks on the raw bytes first (size, what the bytes really are,
whether the name agrees), then decoding in a sandboxed child process, then checks on
the decoded audio (rate, channels, length, silence)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import PurePath

from clarion.audio.resample import resample
from clarion.audio.sandbox import DecodeFailed, DecodeTimeout, decode_untrusted
from clarion.audio.sniff import AUDIO_EXTENSIONS, sniff
from clarion.config import Settings
from clarion.errors import InputTooLarge, InvalidRequest, Unprocessable, UnsupportedMedia
from clarion.types import Audio
from clarion.voices.store import trim_silence

MIN_RATE, MAX_RATE = 8_000, 192_000
STORE_RATE_CAP = 48_000  # engines want 16 to 24 kHz; more only costs disk
MAX_CHANNELS = 2
ACCEPTED = "WAV, FLAC, MP3, Ogg (Vorbis or Opus), M4A/AAC or WebM"


@dataclass(frozen=True, slots=True)
class Clip:
    samples: Audio
    sample_rate: int
    source_format: str


def check_clip(data: bytes, filename: str | None, settings: Settings) -> Clip:
    """The clip, mono float32, silence trimmed; or a 4xx error that says what to fix."""
    if not data:
        raise InvalidRequest("the uploaded file is empty", param="file")
    if len(data) > settings.max_upload_bytes:
        raise InputTooLarge(
            f"the file is {len(data)} bytes; uploads are limited to {settings.max_upload_bytes} "
            "(CLARION_MAX_UPLOAD_BYTES); a reference clip needs only a few seconds",
            param="file",
        )
    kind = sniff(data)
    if not kind.audio or kind.demuxer is None:
        raise UnsupportedMedia(f"the file is {kind.kind}, not audio; upload {ACCEPTED}", param="file")
    ext = PurePath(filename or "").suffix.lower().lstrip(".")
    if ext in AUDIO_EXTENSIONS and ext not in kind.extensions:
        raise UnsupportedMedia(
            f"the file is named .{ext} but contains {kind.kind.upper()} data; rename or re-export it",
            param="file",
        )
    if kind.kind == "wav":
        _check_wav_header(data)
    try:
        decoded = decode_untrusted(
            data,
            kind.demuxer,
            max_seconds=settings.voice_max_s,
            timeout_s=settings.upload_decode_timeout_s,
        )
    except DecodeFailed as e:
        if e.header is not None:
            _check_header(*e.header)  # a clearer reason than "the decoder failed", if there is one
        hint = "" if isinstance(e, DecodeTimeout) else f"; upload {ACCEPTED}"
        raise Unprocessable(f"{e}{hint}", param="file") from None
    _check_header(decoded.sample_rate, decoded.channels)
    if decoded.damage:
        raise Unprocessable(
            f"the file is damaged: {decoded.damage}; re-export it from the original recording", param="file"
        )
    rate = decoded.sample_rate
    if decoded.truncated or len(decoded.samples) > settings.voice_max_s * rate:
        raise Unprocessable(
            f"the clip is longer than {settings.voice_max_s:g} s (CLARION_VOICE_MAX_S); "
            "cut 5 to 20 s of clear speech",
            param="file",
        )
    samples = trim_silence(decoded.samples, rate)
    if len(samples) == 0:
        raise Unprocessable("the clip is silent", param="file")
    seconds = len(samples) / rate
    if seconds < settings.voice_min_s:
        raise Unprocessable(
            f"the clip has {seconds:.1f} s of sound; at least {settings.voice_min_s:g} s is needed "
            "(5 to 20 s of clear speech works best)",
            param="file",
        )
    if rate > STORE_RATE_CAP:
        samples, rate = resample(samples, rate, STORE_RATE_CAP), STORE_RATE_CAP
    return Clip(samples, rate, kind.kind)


def _check_wav_header(data: bytes) -> None:
    """A WAV whose header promises more audio than the file holds is truncated or crafted
    (a header claiming gigabytes makes naive readers allocate them). Streaming writers
    that do not know the length write 0 or 0xFFFFFFFF: those are fine."""
    pos = 12
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"data":
            held = len(data) - pos - 8
            if size not in (0, 0xFFFFFFFF) and size > held + 1024:
                raise Unprocessable(
                    f"the WAV header declares {size} bytes of audio but the file holds {held}: "
                    "it is truncated or corrupt",
                    param="file",
                )
            return
        pos += 8 + size + (size & 1)
    raise Unprocessable("the WAV file has no audio data chunk", param="file")


def _check_header(rate: int, channels: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise Unprocessable(
            f"the clip's sample rate is {rate} Hz; reference clips need {MIN_RATE} to {MAX_RATE} Hz",
            param="file",
        )
    if channels > MAX_CHANNELS:
        raise Unprocessable(
            f"the clip has {channels} channels; a reference voice must be mono or stereo", param="file"
        )
