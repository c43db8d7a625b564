"""hibari: the bundled English voice, end to end on the real model."""

from __future__ import annotations

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import Engine, Segment
from clarion.engines.hibari import HibariEngine
from clarion.errors import VoiceNotFound
from tests.asr import transcribe, wer
from tests.signals import rms

FOX = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def fox(hibari_engine: HibariEngine) -> np.ndarray:
    return hibari_engine.synthesize([Segment(FOX, "heart")])[0]


def test_is_an_engine_and_probes_ok() -> None:
    assert isinstance(HibariEngine(Settings()), Engine)
    assert HibariEngine.probe(Settings()) is None


def test_lists_heart_with_licence(hibari_engine: HibariEngine) -> None:
    heart = {v.id: v for v in hibari_engine.voices()}["heart"]
    assert (heart.language, heart.licence, heart.sample_rate) == ("en-US", "Apache-2.0", 24_000)


def test_english_is_audible_and_plausibly_long(fox: np.ndarray) -> None:
    assert fox.dtype == np.float32 and fox.ndim == 1
    assert 0.04 * len(FOX) <= len(fox) / 24_000 <= 0.2 * len(FOX)
    assert rms(fox) > 0.01


@pytest.mark.slow
def test_english_round_trip(fox: np.ndarray) -> None:
    heard = transcribe(fox, 24_000)
    assert wer(FOX, heard) <= 0.2, heard


def test_speed_shortens(hibari_engine: HibariEngine, fox: np.ndarray) -> None:
    fast = hibari_engine.synthesize([Segment(FOX, "heart", speed=1.5)])[0]
    assert len(fast) < 0.85 * len(fox)


def test_same_text_same_audio(hibari_engine: HibariEngine, fox: np.ndarray) -> None:
    np.testing.assert_array_equal(hibari_engine.synthesize([Segment(FOX, "heart")])[0], fox)


def test_unknown_voice(hibari_engine: HibariEngine) -> None:
    with pytest.raises(VoiceNotFound):
        hibari_engine.synthesize([Segment("Hello.", "no_such_voice")])
