"""hibari: the bundled English voice, end to end on the real model."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from clarion.config import OnnxOptions, Settings
from clarion.engines.base import Engine, Segment
from clarion.engines.hibari import HibariEngine
from clarion.engines.onnx import ShrinkingSession
from clarion.errors import VoiceNotFound
from tests.asr import assert_english_speech

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


@pytest.mark.slow
def test_english_is_real_intelligible_speech(fox: np.ndarray) -> None:
    assert_english_speech(fox, 24_000, FOX)


def test_speed_shortens(hibari_engine: HibariEngine, fox: np.ndarray) -> None:
    fast = hibari_engine.synthesize([Segment(FOX, "heart", speed=1.5)])[0]
    assert len(fast) < 0.85 * len(fox)


def test_same_text_same_audio(hibari_engine: HibariEngine, fox: np.ndarray) -> None:
    np.testing.assert_array_equal(hibari_engine.synthesize([Segment(FOX, "heart")])[0], fox)


def test_unknown_voice(hibari_engine: HibariEngine) -> None:
    with pytest.raises(VoiceNotFound):
        hibari_engine.synthesize([Segment("Hello.", "no_such_voice")])


def test_sessions_follow_the_onnx_settings(hibari_engine: HibariEngine) -> None:
    # The package's own sessions keep memory patterns on and never shrink their arena.
    tts = hibari_engine._models["heart"]
    for sess in (tts.sess, tts.g2p.oov.sess):
        assert isinstance(sess, ShrinkingSession)
        assert sess.get_session_options().enable_mem_pattern is False
    other = HibariEngine(Settings(onnx=OnnxOptions(arena_shrinkage=False, mem_pattern=True)))
    other.load("cpu", 1)
    sess = other._models["heart"].sess
    assert isinstance(sess, ort.InferenceSession)
    assert sess.get_session_options().enable_mem_pattern is True


def test_unknown_words_are_read_by_the_oov_net(hibari_engine: HibariEngine) -> None:
    known = hibari_engine.synthesize([Segment("Hello.", "heart")])[0]
    # A made-up word is not in the lexicon: only the OOV session can give it phonemes.
    assert hibari_engine._models["heart"].g2p("blorvintash") != ""
    longer = hibari_engine.synthesize([Segment("Hello blorvintash.", "heart")])[0]
    assert len(longer) > len(known) + 0.3 * 24_000
