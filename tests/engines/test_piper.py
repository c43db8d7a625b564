"""Piper en_US-joe-medium on the real model: audio, true batching, speed, voices.

All marked slow: loading the voice (graph edit + session) takes ~2.5 s on 2 cores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import Engine, Segment
from clarion.engines.piper import LICENCE, VOICE, PiperEngine
from clarion.errors import VoiceNotFound
from tests.asr import assert_english_speech

pytest.importorskip("piper", reason="the piper extra is not installed")

RATE = 22_050
FOX = "The quick brown fox jumps over the lazy dog."
# Zero noise makes piper deterministic, so batched and single runs can be compared sample by sample.
QUIET: dict[str, Any] = {"noise_scale": 0.0, "noise_w_scale": 0.0}


@pytest.fixture(scope="module")
def fox(piper_engine: PiperEngine) -> np.ndarray:
    return piper_engine.synthesize([Segment(FOX, VOICE)])[0]


@pytest.mark.slow
def test_is_an_engine_and_probes_ok(piper_engine: PiperEngine) -> None:
    assert isinstance(piper_engine, Engine)
    assert PiperEngine.probe(Settings()) is None
    caps = PiperEngine.capabilities
    assert (caps.max_batch_size, caps.batch_axis, caps.languages) == (8, True, ("en",))


@pytest.mark.slow
def test_voice_and_licence(piper_engine: PiperEngine) -> None:
    [voice] = piper_engine.voices()
    assert (voice.id, voice.language, voice.sample_rate) == (VOICE, "en-US", RATE)
    assert voice.licence == LICENCE == "MIT (voice), GPL-3.0 (piper-tts runtime)"
    assert piper_engine.sample_rate == RATE and piper_engine.default_voice("en") == VOICE


@pytest.mark.slow
def test_english_is_real_intelligible_speech(fox: np.ndarray) -> None:
    assert_english_speech(fox, RATE, FOX)


@pytest.mark.slow
def test_batch_equals_single_runs(piper_engine: PiperEngine) -> None:
    texts = [
        FOX,
        "Hello.",
        "This sentence is a good deal longer than the others in the batch.",
        "Two. Sentences.",
    ]
    segs = [Segment(t, VOICE, extras=QUIET) for t in texts]
    segs[1] = Segment("Hello.", VOICE, speed=1.5, extras=QUIET)  # a different speed runs as its own group
    singles = [piper_engine.synthesize([s])[0] for s in segs]
    batched = piper_engine.synthesize(segs)
    assert [len(b) for b in batched] == [len(s) for s in singles]
    for b, s in zip(batched, singles, strict=True):
        np.testing.assert_allclose(b, s, atol=1e-3)  # measured max difference: ~1e-4


@pytest.mark.slow
def test_single_run_matches_piper_itself(piper_engine: PiperEngine) -> None:
    from piper.config import SynthesisConfig

    voice = piper_engine._voice
    [phonemes] = voice.phonemize(FOX)
    ref = voice.phoneme_ids_to_audio(
        voice.phonemes_to_ids(phonemes), SynthesisConfig(noise_scale=0, noise_w_scale=0)
    )
    ours = piper_engine.synthesize([Segment(FOX, VOICE, extras=QUIET)])[0]
    # Same length: the duration-based trim keeps every sample of an unpadded run.
    assert len(ours) == len(ref)
    np.testing.assert_allclose(ours, np.clip(ref, -1, 1), atol=1e-5)


@pytest.mark.slow
def test_zero_noise_is_deterministic(piper_engine: PiperEngine) -> None:
    a, b = (piper_engine.synthesize([Segment(FOX, VOICE, extras=QUIET)])[0] for _ in range(2))
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_speed_shortens(piper_engine: PiperEngine) -> None:
    normal, fast = piper_engine.synthesize(
        [Segment(FOX, VOICE, extras=QUIET), Segment(FOX, VOICE, speed=1.5, extras=QUIET)]
    )
    assert len(fast) < 0.8 * len(normal)


@pytest.mark.slow
def test_empty_text_gives_empty_audio(piper_engine: PiperEngine) -> None:
    out = piper_engine.synthesize([Segment("", VOICE), Segment("Hi.", VOICE)])
    assert out[0].size == 0 and out[1].size > 0


@pytest.mark.slow
def test_unknown_voice(piper_engine: PiperEngine) -> None:
    with pytest.raises(VoiceNotFound):
        piper_engine.synthesize([Segment(FOX, VOICE), Segment(FOX, "en_US-lessac-medium")])
