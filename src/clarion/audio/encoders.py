"""Encoding mono float32 audio to the output formats, as a whole file or incrementally.

Everything goes through :class:`StreamEncoder`. ``encode`` uses the same code with a seekable
in-memory file, which lets the muxers go back and complete their headers: exact sizes in the
WAV header, total samples and MD5 in FLAC's STREAMINFO, and the Xing/LAME frame of MP3 that
tells decoders the encoder delay and padding (gapless decoding, exact duration). A stream has
no way back, so streamed WAV carries 0xFFFFFFFF sizes (read until EOF, as OpenAI's streaming
WAV does), streamed FLAC leaves the total unknown and streamed MP3 decodes with the encoder's
delay and padding left in (up to about two MP3 frames longer).
"""

from __future__ import annotations

import functools
import io
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Protocol

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

from clarion.audio.formats import AudioFormat
from clarion.audio.resample import StreamResampler, as_mono, check_rate
from clarion.types import Audio

__all__ = ["StreamEncoder", "encode", "supported_rate", "to_s16", "wav_header"]

_UNKNOWN_SIZE = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class _CodecSpec:
    muxer: str
    codec: str
    sample_format: str  # what we hand the encoder, so PyAV has nothing to convert
    bit_rate: int | None
    container_options: tuple[tuple[str, str], ...] = ()
    codec_options: tuple[tuple[str, str], ...] = ()


# Bit rates are for speech: transparent enough for TTS, small enough to stream.
_CODECS: dict[AudioFormat, _CodecSpec] = {
    AudioFormat.MP3: _CodecSpec("mp3", "libmp3lame", "fltp", 64_000),
    # The Ogg muxer holds packets until a page is 1 s long by default; one 20 ms Opus packet
    # per page gets audio out at once, for ~1.4 kB/s of page headers.
    AudioFormat.OPUS: _CodecSpec("ogg", "libopus", "flt", 32_000, (("page_duration", "20000"),)),
    # Without this the FLAC muxer reserves an 8 KiB padding block for later tag edits.
    AudioFormat.FLAC: _CodecSpec("flac", "flac", "s16", None, (("metadata_header_padding", "0"),)),
    # FFmpeg's default AAC coder ("twoloop") glitches on steady tones at 44.1/48 kHz (errors of
    # half full scale on a 440 Hz sine); "fast" does not, and measured no worse on a synthetic voice.
    AudioFormat.AAC: _CodecSpec("adts", "aac", "fltp", 64_000, codec_options=(("aac_coder", "fast"),)),
}

_FLAC_MAX_RATE = (1 << 20) - 1  # STREAMINFO's rate field has 20 bits
_WAV_MAX_RATE = 0x7FFFFFFF  # the byte rate (2 * rate) is a 32-bit field


@functools.cache
def _codec_rates(codec: str) -> tuple[int, ...] | None:
    rates = av.codec.Codec(codec, "w").audio_rates
    return tuple(sorted(rates)) if rates else None


def supported_rate(fmt: AudioFormat | str, rate: int) -> int:
    """The rate a ``fmt`` stream is written at when ``rate`` is asked for.

    Codecs with a fixed set of rates (MP3, Opus, AAC) get the nearest supported rate at or
    above ``rate`` (never lose bandwidth), or their highest one. WAV, PCM and FLAC take any
    rate their headers can hold; beyond that this raises ValueError.
    """
    fmt = AudioFormat(fmt)
    rate = check_rate("rate", rate)
    if fmt in (AudioFormat.WAV, AudioFormat.PCM):
        if rate > _WAV_MAX_RATE:
            raise ValueError(f"{rate} Hz is too high a sample rate for {fmt}")
        return rate
    if fmt is AudioFormat.FLAC:
        if rate > _FLAC_MAX_RATE:
            raise ValueError(f"FLAC cannot store a sample rate of {rate} Hz; pass another out_rate")
        return rate
    rates = _codec_rates(_CODECS[fmt].codec)
    if rates is None:
        return rate
    return next((r for r in rates if r >= rate), rates[-1])


def to_s16(audio: Audio) -> npt.NDArray[np.int16]:
    """Float [-1, 1] to 16-bit the way libswresample does it (scale by 2^15, round, clip)."""
    pcm: npt.NDArray[np.int16] = np.clip(np.rint(audio * 32768.0), -32768, 32767).astype(np.int16)
    return pcm


def wav_header(sample_rate: int, data_bytes: int | None) -> bytes:
    """A 44-byte RIFF/WAVE header for 16-bit mono; ``None`` means the length is unknown."""
    if data_bytes is None or data_bytes > _UNKNOWN_SIZE - 36:
        riff_size = data_size = _UNKNOWN_SIZE
    else:
        riff_size, data_size = 36 + data_bytes, data_bytes
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        riff_size,
        b"WAVE",
        b"fmt ",
        16,  # fmt chunk size
        1,  # PCM
        1,  # channels
        sample_rate,
        sample_rate * 2,  # byte rate
        2,  # block align
        16,  # bits per sample
        b"data",
        data_size,
    )


def _sanitize(audio: Audio) -> Audio:
    # Resampling can overshoot full scale slightly, and one NaN would poison a lossy encoder.
    cleaned = np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(cleaned, -1.0, 1.0, out=cleaned)


class _Writer(Protocol):
    def feed(self, audio: Audio) -> bytes: ...
    def finish(self) -> bytes: ...


class _RawWriter:
    """WAV and PCM: 16-bit little-endian samples, written directly."""

    def __init__(self, rate: int, wav: bool, whole_file: bool) -> None:
        self._rate = rate
        self._wav = wav
        self._whole_file = whole_file
        self._header_sent = not wav
        self._data = bytearray()  # only used for a whole file

    def feed(self, audio: Audio) -> bytes:
        pcm = to_s16(audio).astype("<i2", copy=False).tobytes()
        if self._whole_file:
            self._data += pcm
            return b""
        if not self._header_sent:
            self._header_sent = True
            return wav_header(self._rate, None) + pcm
        return pcm

    def finish(self) -> bytes:
        if self._whole_file:
            header = wav_header(self._rate, len(self._data)) if self._wav else b""
            return header + bytes(self._data)
        return self.feed(np.zeros(0, dtype=np.float32))  # an empty stream still gets its header


class _Sink:
    """A write-only file object with no seek(): what a network response looks like to a muxer."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class _AVWriter:
    """MP3, Opus, FLAC and AAC through PyAV (FFmpeg's encoders and muxers)."""

    def __init__(self, spec: _CodecSpec, rate: int, whole_file: bool) -> None:
        self._spec = spec
        self._rate = rate
        self._time_base = Fraction(1, rate)
        self._pts = 0
        self._file: io.BytesIO | None = io.BytesIO() if whole_file else None
        self._sink = _Sink()
        options = {"flush_packets": "1", **dict(spec.container_options)}
        target = self._sink if self._file is None else self._file
        self._container = av.open(target, "w", format=spec.muxer, container_options=options)
        try:
            stream = self._container.add_stream(spec.codec, rate=rate, options=dict(spec.codec_options))
            assert isinstance(stream, AudioStream)
            stream.layout = "mono"
            stream.format = spec.sample_format
            if spec.bit_rate is not None:
                # AAC carries at most 6144 bits per 1024-sample frame and channel.
                limit = 6 * rate if spec.codec == "aac" else spec.bit_rate
                stream.bit_rate = min(spec.bit_rate, limit)
            # Write the header now, so the first bytes can go out before any audio is ready.
            self._container.start_encoding()
        except BaseException:
            self._container.close()
            raise
        self._stream = stream

    def feed(self, audio: Audio) -> bytes:
        if audio.size:
            data: npt.NDArray[np.float32] | npt.NDArray[np.int16]
            data = to_s16(audio) if self._spec.sample_format == "s16" else np.ascontiguousarray(audio)
            frame = av.AudioFrame.from_ndarray(
                data.reshape(1, -1), format=self._spec.sample_format, layout="mono"
            )
            frame.sample_rate = self._rate
            frame.pts = self._pts
            frame.time_base = self._time_base
            self._pts += audio.size
            # PyAV cuts frames to the codec's frame size and keeps the remainder for the next call.
            self._container.mux(self._stream.encode(frame))
        return self._sink.take()

    def finish(self) -> bytes:
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
        if self._file is not None:
            return self._file.getvalue()
        return self._sink.take()


class StreamEncoder:
    """Encodes one audio stream incrementally.

    ``write`` returns the bytes that can be sent now (possibly ``b""``: codecs and the
    resampler hold back a few ms); ``close`` returns the rest. Concatenated, they form one
    valid file. Writing in pieces gives the same audio as writing everything at once.
    """

    _whole_file: ClassVar[bool] = False

    def __init__(self, fmt: AudioFormat | str, sample_rate: int, out_rate: int | None = None) -> None:
        try:
            self.format = AudioFormat(fmt)
        except ValueError:
            known = ", ".join(f.value for f in AudioFormat)
            raise ValueError(f"unsupported audio format {fmt!r}; expected one of {known}") from None
        self.sample_rate = check_rate("sample_rate", sample_rate)
        requested = self.sample_rate if out_rate is None else check_rate("out_rate", out_rate)
        self.output_rate = supported_rate(self.format, requested)
        self._resampler = StreamResampler(self.sample_rate, self.output_rate)
        self._writer: _Writer
        if self.format in (AudioFormat.WAV, AudioFormat.PCM):
            self._writer = _RawWriter(self.output_rate, self.format is AudioFormat.WAV, self._whole_file)
        else:
            self._writer = _AVWriter(_CODECS[self.format], self.output_rate, self._whole_file)
        self._closed = False

    @property
    def media_type(self) -> str:
        return self.format.media_type

    @property
    def closed(self) -> bool:
        return self._closed

    def write(self, samples: npt.ArrayLike) -> bytes:
        """Encode mono float samples at ``sample_rate``; returns the bytes ready to send."""
        if self._closed:
            raise ValueError("write() on a closed StreamEncoder")
        return self._writer.feed(_sanitize(self._resampler.process(as_mono(samples))))

    def close(self) -> bytes:
        """Flush the resampler, the encoder and the muxer; returns the final bytes."""
        if self._closed:
            return b""
        self._closed = True
        tail = self._writer.feed(_sanitize(self._resampler.flush()))
        return tail + self._writer.finish()


class _FileEncoder(StreamEncoder):
    # Same pipeline, but into a seekable buffer returned whole by close().
    _whole_file = True


def encode(
    samples: npt.ArrayLike, sample_rate: int, fmt: AudioFormat | str, out_rate: int | None = None
) -> bytes:
    """Encode a whole clip to a complete file in ``fmt``."""
    encoder = _FileEncoder(fmt, sample_rate, out_rate)
    return encoder.write(samples) + encoder.close()
