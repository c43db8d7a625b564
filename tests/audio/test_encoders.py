"""Encoders, checked by decoding their output with PyAV: duration, content, pitch, streaming."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.audio import AudioFormat, StreamEncoder, decode, decode_pcm, encode, supported_rate
from clarion.engines.base import Audio
from tests.signals import dominant_freq, rms, tone

FREQ = 440.0
SECONDS = 1.5
RATES = [24000, 22050]
ALL = list(AudioFormat)
LOSSLESS = [AudioFormat.WAV, AudioFormat.PCM, AudioFormat.FLAC]
LOSSY = [AudioFormat.MP3, AudioFormat.OPUS, AudioFormat.AAC]


def slack(fmt: AudioFormat, streamed: bool, rate: int) -> float:
    """Seconds a decoded file may exceed the input, encoded at ``rate``."""
    if fmt is AudioFormat.AAC:
        # 1024 samples of encoder priming plus padding to a 1024-sample frame; ADTS cannot
        # tell the decoder to trim them.
        return 2048 / rate
    if fmt is AudioFormat.MP3 and streamed:
        # Without the Xing/LAME frame (needs a seekable output) the 1105-sample encoder delay
        # and the last frame's padding (< 1152 samples) stay in.
        return (1105 + 1152) / rate
    return 0.002  # everything else decodes sample-exact (up to rounding of resampled lengths)


def decoded(data: bytes, fmt: AudioFormat, rate: int) -> tuple[Audio, int]:
    return decode(data, fmt, sample_rate=rate)


def stream_in_pieces(encoder: StreamEncoder, audio: Audio, pieces: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, audio.size), pieces - 1, replace=False))
    out = [encoder.write(piece) for piece in np.split(audio, cuts)]
    out.append(encoder.write(np.zeros(0, dtype=np.float32)))  # empty writes are harmless
    out.append(encoder.close())
    return out


def opus_head_rate(data: bytes) -> int:
    """The "input sample rate" field of the OpusHead packet."""
    at = data.index(b"OpusHead")
    rate: int = struct.unpack_from("<I", data, at + 12)[0]
    return rate


def flac_total_samples(data: bytes) -> int:
    assert data[:4] == b"fLaC"
    streaminfo = data[8:42]
    return int.from_bytes(streaminfo[10:18], "big") & ((1 << 36) - 1)


# Whole files


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("fmt", ALL)
def test_whole_file_decodes_to_the_same_tone(fmt: AudioFormat, rate: int) -> None:
    data = encode(tone(rate), rate, fmt)
    out_rate = supported_rate(fmt, rate)
    # Every format but raw PCM is recognised without a hint.
    audio, got_rate = decode_pcm(data, rate) if fmt is AudioFormat.PCM else decode(data)

    if fmt is AudioFormat.OPUS:
        assert got_rate == 48000  # Ogg Opus always decodes at 48 kHz
        assert opus_head_rate(data) == out_rate == (24000 if rate == 22050 else rate)
    else:
        assert got_rate == out_rate == rate
    assert 0 <= audio.size / got_rate - SECONDS <= slack(fmt, streamed=False, rate=out_rate)
    assert rms(audio) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)
    assert dominant_freq(audio, got_rate) == pytest.approx(FREQ, abs=3)


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_lossless_formats_are_exact_to_16_bits(fmt: AudioFormat) -> None:
    audio = tone(24000)
    decoded_audio, _ = decoded(encode(audio, 24000, fmt), fmt, 24000)
    np.testing.assert_array_equal(decoded_audio, np.round(audio * 32768) / 32768)


def test_whole_wav_header_has_exact_sizes() -> None:
    data = encode(tone(24000), 24000, "wav")
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert wav.getnframes() == 36000
    assert len(data) == 44 + 2 * 36000
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8


def test_whole_flac_knows_its_length_and_has_no_padding_block() -> None:
    data = encode(tone(24000), 24000, "flac")
    assert flac_total_samples(data) == 36000
    assert len(encode(np.zeros(0, dtype=np.float32), 24000, "flac")) < 200


def test_pcm_is_headerless_s16le() -> None:
    data = encode(np.array([0.0, 0.5, -0.5, 1.0, -1.0], dtype=np.float32), 8000, "pcm")
    assert struct.unpack("<5h", data) == (0, 16384, -16384, 32767, -32768)


def test_out_of_range_and_nan_samples_are_clipped() -> None:
    samples = np.array([2.0, -3.0, np.nan, np.inf, -np.inf, 0.25], dtype=np.float32)
    assert struct.unpack("<6h", encode(samples, 8000, "pcm")) == (32767, -32768, 0, 32767, -32768, 8192)
    audio, _ = decode(encode(np.concatenate([tone(24000), samples]), 24000, "mp3"))
    assert np.isfinite(audio).all()


# Streaming


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("fmt", ALL)
def test_streaming_in_pieces_matches_the_whole_file(fmt: AudioFormat, rate: int) -> None:
    audio = tone(rate)
    encoder = StreamEncoder(fmt, rate)
    streamed = b"".join(stream_in_pieces(encoder, audio, pieces=37))
    whole, whole_rate = decoded(encode(audio, rate, fmt), fmt, rate)
    got, got_rate = decoded(streamed, fmt, encoder.output_rate)

    assert got_rate == whole_rate
    assert abs(got.size - whole.size) / got_rate <= slack(fmt, streamed=True, rate=encoder.output_rate)
    assert 0 <= got.size / got_rate - SECONDS <= slack(fmt, streamed=True, rate=encoder.output_rate)
    assert dominant_freq(got, got_rate) == pytest.approx(FREQ, abs=3)
    if fmt in LOSSLESS:
        np.testing.assert_array_equal(got, whole)
    else:
        # The codec sees the same frames however the input was cut, so the audio is the same.
        one_piece = StreamEncoder(fmt, rate)
        reference, _ = decoded(one_piece.write(audio) + one_piece.close(), fmt, rate)
        np.testing.assert_allclose(got, reference, atol=1e-3)


@pytest.mark.parametrize("fmt", [AudioFormat.WAV, AudioFormat.PCM])
def test_first_write_already_returns_audio(fmt: AudioFormat) -> None:
    encoder = StreamEncoder(fmt, 24000)
    first = encoder.write(tone(24000)[:100])
    header = 44 if fmt is AudioFormat.WAV else 0
    assert len(first) == header + 200
    assert encoder.write(tone(24000)[:10]) != b""


def test_streamed_wav_declares_unknown_length() -> None:
    encoder = StreamEncoder("wav", 24000)
    data = encoder.write(tone(24000)) + encoder.close()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and data[36:40] == b"data"
    assert struct.unpack_from("<I", data, 4)[0] == 0xFFFFFFFF
    assert struct.unpack_from("<I", data, 40)[0] == 0xFFFFFFFF
    audio, _ = decode(data)  # FFmpeg reads such a file to EOF
    assert audio.size == 36000


def test_streamed_flac_leaves_the_total_unknown() -> None:
    # A stream cannot go back to patch STREAMINFO; 0 means "unknown" to decoders.
    encoder = StreamEncoder("flac", 24000)
    data = encoder.write(tone(24000)) + encoder.close()
    assert flac_total_samples(data) == 0
    assert decode(data)[0].size == 36000


@pytest.mark.parametrize("fmt", ALL)
def test_bytes_before_close_hold_most_of_the_audio(fmt: AudioFormat) -> None:
    # Streaming latency: after 1 s of input, nearly all of it must already be decodable.
    rate = 24000
    encoder = StreamEncoder(fmt, rate)
    sent = b"".join(encoder.write(piece) for piece in np.array_split(tone(rate, seconds=1.0), 10))
    audio, got_rate = decoded(sent, fmt, rate)
    assert audio.size / got_rate >= 0.85
    assert dominant_freq(audio, got_rate) == pytest.approx(FREQ, abs=5)
    rest = encoder.close()
    assert decoded(sent + rest, fmt, rate)[0].size >= audio.size


@pytest.mark.parametrize("fmt", [AudioFormat.OPUS, AudioFormat.MP3, AudioFormat.AAC])
def test_lossy_streams_emit_audio_well_before_one_second(fmt: AudioFormat) -> None:
    encoder = StreamEncoder(fmt, 24000)
    header = encoder.write(np.zeros(0, dtype=np.float32))
    audio = tone(24000)
    # 200 ms of audio in 20 ms writes must already produce encoded frames beyond any header.
    produced = b"".join(encoder.write(audio[i : i + 480]) for i in range(0, 4800, 480))
    assert len(produced) > 500, (len(header), len(produced))


def test_ogg_pages_are_flushed_per_packet() -> None:
    encoder = StreamEncoder("opus", 24000)
    data = encoder.write(tone(24000)) + encoder.close()
    # Two header pages, then one page per 20 ms packet (1.5 s = 75 packets, plus the tail).
    assert data.count(b"OggS") >= 2 + 75


def test_write_after_close_fails_and_close_is_idempotent() -> None:
    encoder = StreamEncoder("mp3", 24000)
    encoder.write(tone(24000))
    assert encoder.close() != b""
    assert encoder.closed
    assert encoder.close() == b""
    with pytest.raises(ValueError, match="closed"):
        encoder.write(tone(24000))


@pytest.mark.parametrize("fmt", [AudioFormat.WAV, AudioFormat.FLAC])
def test_an_empty_stream_is_a_valid_empty_file(fmt: AudioFormat) -> None:
    encoder = StreamEncoder(fmt, 24000)
    audio, rate = decode(encoder.close())
    assert audio.size == 0 and rate == 24000


@settings(max_examples=40, deadline=None)
@given(
    fmt=st.sampled_from([AudioFormat.WAV, AudioFormat.PCM]),
    out_rate=st.sampled_from([None, 16000, 44100]),
    sizes=st.lists(st.integers(min_value=0, max_value=2500), max_size=12),
)
def test_wav_pcm_chunking_never_changes_the_output(
    fmt: AudioFormat, out_rate: int | None, sizes: list[int]
) -> None:
    audio = np.random.default_rng(len(sizes)).uniform(-1, 1, 6000).astype(np.float32)
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < audio.size]
    encoder = StreamEncoder(fmt, 22050, out_rate)
    streamed = b"".join(encoder.write(piece) for piece in np.split(audio, cuts)) + encoder.close()
    whole = encode(audio, 22050, fmt, out_rate)
    header = 44 if fmt is AudioFormat.WAV else 0  # the headers differ only in the size fields
    assert streamed[header:] == whole[header:]


# Resampling on output


@pytest.mark.parametrize("out_rate", [16000, 44100, 48000])
@pytest.mark.parametrize("fmt", ALL)
def test_out_rate_resamples_and_keeps_duration_and_pitch(fmt: AudioFormat, out_rate: int) -> None:
    encoder = StreamEncoder(fmt, 24000, out_rate=out_rate)
    # Opus has no 44.1 kHz mode and goes up to 48 kHz; every other codec takes these rates.
    expected = 48000 if fmt is AudioFormat.OPUS and out_rate == 44100 else out_rate
    assert encoder.output_rate == expected
    data = b"".join(stream_in_pieces(encoder, tone(24000), pieces=9))
    audio, got_rate = decoded(data, fmt, expected)
    if fmt is AudioFormat.OPUS:
        assert got_rate == 48000 and opus_head_rate(data) == expected
    else:
        assert got_rate == expected
    assert 0 <= audio.size / got_rate - SECONDS <= slack(fmt, streamed=True, rate=expected)
    assert dominant_freq(audio, got_rate) == pytest.approx(FREQ, abs=3)
    whole_audio, _ = decoded(encode(tone(24000), 24000, fmt, out_rate=out_rate), fmt, out_rate)
    assert abs(whole_audio.size - audio.size) / got_rate <= slack(fmt, streamed=True, rate=expected)


def test_resampled_stream_has_no_seams() -> None:
    # Cut into pieces, the resampled stream is the same signal as resampled in one go.
    audio = tone(22050)
    encoder = StreamEncoder("wav", 22050, out_rate=48000)
    pieces, _ = decode(b"".join(stream_in_pieces(encoder, audio, pieces=37)))
    one_piece, _ = decode(encode(audio, 22050, "wav", out_rate=48000))
    np.testing.assert_array_equal(pieces, one_piece)
    # No step anywhere inside: no sample-to-sample jump beyond the sine's own steepest slope
    # (the edges ring a little, as any band-limited resampling of a sine cut off there does).
    max_slope = 2 * np.pi * FREQ / 48000 * 0.5
    assert np.abs(np.diff(pieces[100:-100])).max() < max_slope * 1.01


def test_supported_rate_picks_the_nearest_rate_the_codec_takes() -> None:
    assert supported_rate("opus", 22050) == 24000
    assert supported_rate("opus", 44100) == 48000
    assert supported_rate("opus", 96000) == 48000
    assert supported_rate("opus", 8000) == 8000
    assert supported_rate("mp3", 23000) == 24000
    assert supported_rate("mp3", 96000) == 48000
    assert supported_rate("aac", 7000) == 7350
    assert supported_rate("aac", 96000) == 96000
    assert supported_rate("wav", 12345) == 12345
    assert supported_rate("flac", 96000) == 96000
    assert supported_rate("flac", 70001) == 70001
    assert StreamEncoder("opus", 22050).output_rate == 24000
    assert StreamEncoder("mp3", 22050, out_rate=44100).output_rate == 44100


# Invalid input


@pytest.mark.parametrize("rate", [0, -24000, 24000.0, "24000", True, None])
def test_invalid_sample_rates_are_rejected(rate: object) -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        StreamEncoder("wav", rate)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample_rate"):
        encode(tone(24000), rate, "mp3")  # type: ignore[arg-type]


def test_invalid_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="out_rate"):
        StreamEncoder("wav", 24000, out_rate=0)
    with pytest.raises(ValueError, match="unsupported audio format"):
        StreamEncoder("ogg", 24000)
    with pytest.raises(ValueError, match="1-D"):
        encode(np.zeros((2, 100), dtype=np.float32), 24000, "wav")
    with pytest.raises(ValueError, match="FLAC"):
        supported_rate("flac", 2_000_000)
    with pytest.raises(ValueError):
        decode_pcm(b"\x00\x00\x00", 24000)
    with pytest.raises(ValueError, match="sample_rate"):
        decode(b"\x00\x00", "pcm")
    with pytest.raises(ValueError):
        decode(b"")
    with pytest.raises(ValueError, match="could not decode"):
        decode(b"definitely not audio" * 50)


# Formats


def test_media_types() -> None:
    assert {f.value: f.media_type for f in AudioFormat} == {
        "wav": "audio/wav",
        "pcm": "audio/pcm",
        "mp3": "audio/mpeg",
        "opus": "audio/ogg",
        "flac": "audio/flac",
        "aac": "audio/aac",
    }
    assert StreamEncoder("opus", 24000).media_type == "audio/ogg"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.wav", AudioFormat.WAV),
        ("dir.x/a.PCM", AudioFormat.PCM),
        ("a.raw", AudioFormat.PCM),
        ("a.mp3", AudioFormat.MP3),
        ("a.opus", AudioFormat.OPUS),
        ("a.ogg", AudioFormat.OPUS),
        ("a.Flac", AudioFormat.FLAC),
        ("a.aac", AudioFormat.AAC),
    ],
)
def test_from_filename(name: str, fmt: AudioFormat) -> None:
    assert AudioFormat.from_filename(name) is fmt


@pytest.mark.parametrize("name", ["a.m4a", "a.txt", "noext"])
def test_from_filename_rejects_unknown_extensions(name: str) -> None:
    with pytest.raises(ValueError, match=r"m4a|cannot infer"):
        AudioFormat.from_filename(name)
