"""Sample-rate conversion: lengths, pitch, anti-aliasing and seamless streaming."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.audio import StreamResampler, resample
from tests import signals
from tests.signals import dominant_freq, rms

tone = functools.partial(signals.tone, seconds=1.0)  # one-second tones keep sizes round


def test_equal_rates_return_the_input() -> None:
    audio = tone(24000)
    assert resample(audio, 24000, 24000) is audio
    stream = StreamResampler(24000, 24000)
    assert stream.process(audio) is audio
    assert stream.flush().size == 0


@pytest.mark.parametrize(("src", "dst"), [(22050, 24000), (24000, 16000), (24000, 48000), (44100, 24000)])
def test_resample_keeps_duration_pitch_and_level(src: int, dst: int) -> None:
    out = resample(tone(src), src, dst)
    assert out.dtype == np.float32
    assert abs(out.size - dst) <= 1
    assert dominant_freq(out, dst) == pytest.approx(440.0, abs=2)
    assert rms(out[200:-200]) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_downsampling_removes_content_above_the_new_nyquist() -> None:
    # 6 kHz would alias to 2 kHz at 8 kHz; a proper low-pass removes it instead.
    out = resample(tone(24000, freq=6000.0), 24000, 8000)
    assert rms(out) < 0.005


def test_empty_input() -> None:
    assert resample(np.zeros(0, dtype=np.float32), 22050, 24000).size == 0
    stream = StreamResampler(22050, 24000)
    assert stream.process(np.zeros(0, dtype=np.float32)).size == 0
    assert stream.flush().size == 0


@settings(max_examples=30, deadline=None)
@given(
    rates=st.sampled_from([(22050, 24000), (24000, 16000), (16000, 48000), (48000, 44100)]),
    sizes=st.lists(st.integers(min_value=0, max_value=3000), max_size=15),
)
def test_streaming_in_pieces_equals_resampling_in_one_go(rates: tuple[int, int], sizes: list[int]) -> None:
    src, dst = rates
    audio = np.random.default_rng(len(sizes)).uniform(-0.9, 0.9, 8000).astype(np.float32)
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < audio.size]
    stream = StreamResampler(src, dst)
    pieces = [stream.process(piece) for piece in np.split(audio, cuts)]
    streamed = np.concatenate([*pieces, stream.flush()])
    whole = resample(audio, src, dst)
    assert streamed.size == whole.size
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


def test_stream_cannot_be_used_after_flush() -> None:
    stream = StreamResampler(22050, 24000)
    stream.process(tone(22050))
    assert stream.flush().size > 0
    assert stream.flush().size == 0
    with pytest.raises(ValueError, match="flush"):
        stream.process(tone(22050))


@pytest.mark.parametrize(("src", "dst"), [(0, 24000), (24000, -1), (24000.0, 16000), (24000, None)])
def test_invalid_rates_are_rejected(src: object, dst: object) -> None:
    with pytest.raises(ValueError, match="rate"):
        resample(tone(24000), src, dst)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        StreamResampler(src, dst)  # type: ignore[arg-type]


def test_multichannel_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="1-D"):
        resample(np.zeros((100, 2), dtype=np.float32), 24000, 16000)
