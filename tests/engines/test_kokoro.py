"""Kokoro-82M int8 on the real model: English and Mandarin, voices, speed, threads, probe.

Everything that needs the pulled model is marked slow: the pull and load alone take ~5 s on
2 cores, and one sentence takes about as long to render as to play (RTF ~1.1 on one thread)."""

from __future__ import annotations

import concurrent.futures
import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import Engine, Segment, TimesWords
from clarion.engines.kokoro import KokoroEngine, spoken_words
from clarion.engines.kokoro_graph import with_durations_output
from clarion.engines.phoneme_words import Phone, text_words
from clarion.errors import VoiceNotFound
from clarion.models import KOKORO_VOICES as MODELS_VOICES
from clarion.types import WordTiming
from tests.asr import assert_english_speech
from tests.signals import rms

RATE = 24_000
FOX = "The quick brown fox jumps over the lazy dog."
ZH = "今天天气很好，我们去公园散步。"
ZH_CHARS = sum(1 for c in ZH if "\u4e00" <= c <= "\u9fff")


@pytest.fixture(scope="module")
def fox(kokoro_engine: KokoroEngine) -> np.ndarray:
    return kokoro_engine.synthesize([Segment(FOX, "af_heart")])[0]


@pytest.fixture(scope="module")
def zh(kokoro_engine: KokoroEngine) -> np.ndarray:
    return kokoro_engine.synthesize([Segment(ZH, "zf_xiaoxiao", language="zh")])[0]


def test_the_mandarin_front_end_starts_without_a_warning() -> None:
    # Built in a fresh interpreter: jieba, once imported by another test, warns no more.
    code = "from clarion.engines.kokoro import KokoroEngine; KokoroEngine._make_zh_g2p()"
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Warning" not in done.stderr, done.stderr[-2000:]


def test_probe_names_what_is_missing(tmp_path: Path) -> None:
    why = KokoroEngine.probe(Settings(models_dir=tmp_path))
    assert why is not None
    assert "clarion models pull kokoro" in why
    assert "voices-v1.0.npz" in why and str(tmp_path / "kokoro") in why


@pytest.mark.slow
def test_probe_ok_when_pulled(kokoro_models_dir: Path) -> None:
    assert KokoroEngine.probe(Settings(models_dir=kokoro_models_dir)) is None


@pytest.mark.slow
def test_is_an_engine(kokoro_engine: KokoroEngine) -> None:
    assert isinstance(kokoro_engine, Engine)
    assert kokoro_engine.loaded and kokoro_engine.sample_rate == RATE
    assert {"en", "zh"} <= set(KokoroEngine.capabilities.languages)


@pytest.mark.slow
def test_voices_carry_language_gender_licence(kokoro_engine: KokoroEngine) -> None:
    voices = {v.id: v for v in kokoro_engine.voices()}
    # 54 packs minus the five Japanese ones, which have no working phonemiser here.
    assert len(voices) == 49 and not any(v.startswith("j") for v in voices)
    assert (voices["af_heart"].language, voices["af_heart"].gender) == ("en-US", "female")
    assert (voices["bm_george"].language, voices["bm_george"].gender) == ("en-GB", "male")
    assert voices["zf_xiaoxiao"].language == "zh-CN" and voices["zm_yunxi"].gender == "male"
    assert {v.licence for v in voices.values()} == {"Apache-2.0"}
    assert {v.sample_rate for v in voices.values()} == {RATE}
    assert {v.lang for v in voices.values()} == set(KokoroEngine.capabilities.languages)


@pytest.mark.slow
def test_the_readme_counts_the_voices_the_server_serves(kokoro_engine: KokoroEngine) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| Kokoro-82M"))
    said = re.search(r"^\| Kokoro-82M[^|]*\| (\d+),", row)
    assert said is not None, row
    served = kokoro_engine.voices()
    assert int(said.group(1)) == len(served)
    # The packs it does not serve are the Japanese ones, and the README says why.
    assert len(MODELS_VOICES) - len(served) == sum(v.startswith("j") for v in MODELS_VOICES)
    assert "Japanese" in row


def test_voices_listed_before_load(kokoro_models_dir: Path) -> None:
    assert len(KokoroEngine(Settings(models_dir=kokoro_models_dir)).voices()) == 49


@pytest.mark.slow
def test_default_voices(kokoro_engine: KokoroEngine) -> None:
    assert kokoro_engine.default_voice() == "af_heart"
    assert kokoro_engine.default_voice("zh") == "zf_xiaoxiao"
    assert kokoro_engine.default_voice("en-GB") == "bf_emma"
    assert kokoro_engine.default_voice("xx") == "af_heart"


@pytest.mark.slow
def test_english_is_real_intelligible_speech(fox: np.ndarray) -> None:
    assert_english_speech(fox, RATE, FOX)


@pytest.mark.slow
def test_mandarin_is_audible_and_plausibly_long(zh: np.ndarray) -> None:
    assert 0.15 * ZH_CHARS <= len(zh) / RATE <= 0.5 * ZH_CHARS
    assert rms(zh) > 0.01


@pytest.mark.slow
def test_speed_shortens(kokoro_engine: KokoroEngine, fox: np.ndarray) -> None:
    fast = kokoro_engine.synthesize([Segment(FOX, "af_heart", speed=1.5)])[0]
    assert len(fast) < 0.85 * len(fox)


@pytest.mark.slow
def test_concurrent_calls_match_sequential(
    kokoro_engine: KokoroEngine, fox: np.ndarray, zh: np.ndarray
) -> None:
    # The scheduler calls synthesize from several threads (thread_safe=True): espeak and the
    # Mandarin G2P are serialised, inference is not, and the output must not change.
    segs = [Segment(FOX, "af_heart"), Segment(ZH, "zf_xiaoxiao", language="zh")]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda s: kokoro_engine.synthesize([s])[0], segs))
    np.testing.assert_array_equal(got[0], fox)
    np.testing.assert_array_equal(got[1], zh)


@pytest.mark.slow
def test_punctuation_only_is_silent(kokoro_engine: KokoroEngine) -> None:
    assert kokoro_engine.synthesize([Segment("...", "af_heart")])[0].size == 0


@pytest.mark.slow
def test_unknown_and_japanese_voices_are_not_found(kokoro_engine: KokoroEngine) -> None:
    for voice in ("af_nobody", "jf_alpha"):
        with pytest.raises(VoiceNotFound):
            kokoro_engine.synthesize([Segment("Hello.", voice)])


@pytest.mark.slow
def test_mandarin_voice_reads_embedded_english(kokoro_engine: KokoroEngine) -> None:
    # misaki's Mandarin G2P drops Latin text; the engine sends it to espeak's English instead.
    plain, mixed = kokoro_engine.synthesize(
        [
            Segment("我很喜欢这个。", "zf_xiaoxiao", language="zh"),
            Segment("我很喜欢这个Wonderful Computer。", "zf_xiaoxiao", language="zh"),
        ]
    )
    assert len(mixed) > len(plain) + 0.4 * RATE


def test_a_voice_mix_blends_style_vectors(kokoro_engine: KokoroEngine) -> None:
    text = "Mixing voices."

    def say(voice: str) -> np.ndarray:
        return kokoro_engine.synthesize([Segment(text, voice, "en")])[0]

    heart, bella = say("af_heart"), say("af_bella")
    # Half of one voice plus half of itself is that voice, to the last sample: the
    # weighted sum is what reaches the model.
    np.testing.assert_array_equal(say("af_heart(0.5)+af_heart(0.5)"), heart)
    blend = say("af_heart(0.7)+af_bella(0.3)")
    assert len(blend) > 0.3 * 24_000
    assert not np.array_equal(blend, heart) and not np.array_equal(blend, bella)
    np.testing.assert_array_equal(say("af_heart(0.7)+af_bella(0.3)"), blend)  # cached mix, same result


@pytest.mark.slow
def test_a_kept_arena_gives_the_same_audio_as_the_shrinking_default(
    kokoro_models_dir: Path, kokoro_engine: KokoroEngine, fox: np.ndarray
) -> None:
    """By default (CLARION_ONNX__ARENA_SHRINKAGE) Kokoro's session is wrapped so every run
    hands the arena's unused memory back; kokoro-onnx drives the wrapper like its own session,
    and the audio is what the plain session makes."""
    assert type(kokoro_engine._kokoro.sess).__name__ == "ShrinkingSession"
    settings = Settings(models_dir=kokoro_models_dir, onnx={"arena_shrinkage": False})
    engine = KokoroEngine(settings)
    engine.load("cpu", 1)
    try:
        assert type(engine._kokoro.sess).__name__ == "InferenceSession"
        again = engine.synthesize([Segment(FOX, "af_heart")])[0]
    finally:
        engine.unload()
    np.testing.assert_allclose(again, fox, atol=1e-4)


@pytest.mark.slow
def test_a_start_from_the_kept_optimised_graph_speaks_as_a_fresh_one(
    kokoro_models_dir: Path, tmp_path: Path
) -> None:
    timings: list[tuple[WordTiming, ...]] = []

    def load(**onnx: Any) -> tuple[np.ndarray, np.ndarray]:
        engine = KokoroEngine(Settings(models_dir=kokoro_models_dir, data_dir=tmp_path, onnx=onnx))
        engine.load("cpu", 1)
        try:
            segments = [Segment(FOX, "af_heart"), Segment(ZH, "zf_xiaoxiao", language="zh")]
            en, zh = engine.synthesize(segments)
            # The durations output, which a kept graph names without the patch being made again.
            timings.append(engine.synthesize_timed([Segment(FOX, "af_heart")])[0].words)
            return en, zh
        finally:
            engine.unload()

    fresh = load(graph_cache=False)
    assert not (tmp_path / "onnx-graphs").exists()
    first = load()  # optimises, and keeps the result
    [kept] = list((tmp_path / "onnx-graphs").glob("*.onnx"))
    written = kept.stat().st_mtime_ns
    again = load()  # loads what was kept
    assert kept.stat().st_mtime_ns == written
    for a, b, c in zip(fresh, first, again, strict=True):
        np.testing.assert_array_equal(b, c)
        np.testing.assert_allclose(a, c, atol=1e-4)
    assert len(timings[0]) == len(FOX.split())
    assert [w.word for w in timings[2]] == [w.word for w in timings[0]]
    assert timings[2] == timings[1]


def test_erhua_merge_gives_one_r_coloured_syllable() -> None:
    """On misaki's real Mandarin G2P (no model needed): ZHG2P reads 儿 as a syllable of its own;
    with erhua: merge the suffix folds into the syllable before, lexical 儿 stays a syllable."""
    pytest.importorskip("misaki.zh")
    from clarion.config import EngineOptions

    keep = KokoroEngine(Settings())
    merge = KokoroEngine(Settings(engine_options={"kokoro": EngineOptions(erhua="merge")}))
    keep._zh_g2p = merge._zh_g2p = KokoroEngine._make_zh_g2p()

    def phonemes(engine: KokoroEngine, text: str) -> str:
        return engine._phonemes(Segment(text, "zf_xiaoxiao", language="zh"))

    assert phonemes(keep, "玩儿") == "wa↗nɚ↗"  # two syllables: wán ér
    assert phonemes(merge, "玩儿") == "waɚ↗"  # one: wánr
    assert phonemes(merge, "玩") == "wa↗n"
    said = phonemes(merge, "他的女儿在哪儿玩儿")
    assert "ny↓ɚ↗" in said  # 女儿 keeps ér
    assert "naɚ↓" in said and "waɚ↗" in said
    assert said.count("ɚ") == 3


# -- word timings from the model's durations --------------------------------------------------

FOX_WORDS = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]
JOINED = "He has been there for a long time, as a matter of fact."  # espeak: hˈæzbiːn, fɚɹə


@pytest.fixture(scope="module")
def fox_timed(kokoro_engine: KokoroEngine) -> tuple[np.ndarray, tuple[WordTiming, ...]]:
    timed = kokoro_engine.synthesize_timed([Segment(FOX, "af_heart")])[0]
    return timed.samples, timed.words


def _assert_well_formed(words: tuple[WordTiming, ...], samples: np.ndarray) -> None:
    seconds = len(samples) / RATE
    starts = [w.start for w in words]
    assert starts == sorted(starts), words
    assert all(0.0 <= w.start < w.end <= seconds + 1e-9 for w in words), words
    # Consecutive words do not overlap: the next starts where this one ends or later.
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(words)), words


@pytest.mark.slow
def test_the_patched_graph_names_the_duration_predictors_frame_counts(kokoro_models_dir: Path) -> None:
    """Checked with the onnx package, independently of the wire-format patcher: the added
    output is a graph output, and it is the rounded, clipped duration prediction that the
    length regulator's CumSum adds up."""
    onnx = pytest.importorskip("onnx")
    shipped = (kokoro_models_dir / "kokoro" / "kokoro-v1.0.int8.onnx").read_bytes()
    patched, name = with_durations_output(shipped)
    assert name is not None and patched.startswith(shipped)
    model = onnx.load_from_string(patched)
    assert [o.name for o in model.graph.output] == ["audio", name]
    producer = {out: node for node in model.graph.node for out in node.output}
    assert any(n.op_type == "CumSum" and n.input[0] == name for n in model.graph.node)
    chain = []
    node = producer[name]
    while node.op_type not in ("Round", "Ceil") and len(chain) < 8:
        chain.append(node.op_type)
        node = producer[node.input[0]]
    assert node.op_type == "Round" and chain == ["Gather", "Cast", "Clip"]
    # Round(sum of the predictor's sigmoid bins / speed): the frames at the requested speed.
    divide = producer[node.input[0]]
    assert divide.op_type == "Div" and divide.input[1] == "speed"
    sigmoid = producer[producer[divide.input[0]].input[0]]
    assert sigmoid.op_type == "Sigmoid" and "duration_proj" in sigmoid.input[0]
    # Patching an already patched graph adds nothing.
    assert with_durations_output(patched) == (patched, name)


@pytest.fixture(scope="module")
def shipped_session(kokoro_models_dir: Path) -> Any:
    """The graph as shipped, unpatched, in a plain one-thread session."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(kokoro_models_dir / "kokoro" / "kokoro-v1.0.int8.onnx"), options)


@pytest.mark.slow
@pytest.mark.parametrize("speed", [1.0, 1.5])
def test_durations_count_600_samples_a_frame_and_leave_the_audio_alone(
    shipped_session: Any, kokoro_engine: KokoroEngine, speed: float
) -> None:
    tokenizer = kokoro_engine._kokoro.tokenizer
    ids = tokenizer.tokenize(tokenizer.phonemize(FOX, "en-us"))
    feeds = {
        "tokens": np.array([[0, *ids, 0]], np.int64),
        "style": kokoro_engine._style("af_heart")[len(ids) - 1],
        "speed": np.array([speed], np.float32),
    }
    (plain,) = shipped_session.run(None, feeds)
    audio, frames = kokoro_engine._kokoro.sess.run(None, feeds)
    np.testing.assert_array_equal(audio, plain)
    assert frames.shape == (len(ids) + 2,) and frames.min() >= 1
    assert int(frames.sum()) * 600 == audio.size


@pytest.mark.slow
def test_timed_audio_is_the_plain_audio(kokoro_engine: KokoroEngine, fox: np.ndarray) -> None:
    assert isinstance(kokoro_engine, TimesWords)
    segs = [Segment(FOX, "af_heart"), Segment(JOINED, "af_heart", speed=1.5)]
    timed = kokoro_engine.synthesize_timed(segs)
    np.testing.assert_array_equal(timed[0].samples, fox)
    np.testing.assert_array_equal(timed[1].samples, kokoro_engine.synthesize([segs[1]])[0])


@pytest.mark.slow
def test_one_timing_per_spoken_word_in_order(fox_timed: tuple[np.ndarray, tuple[WordTiming, ...]]) -> None:
    samples, words = fox_timed
    assert [w.word for w in words] == FOX_WORDS
    _assert_well_formed(words, samples)
    seconds = len(samples) / RATE
    assert words[0].start < 0.25  # the trimmed audio starts with the first word
    assert words[-1].end == pytest.approx(seconds, abs=0.05)
    spoken = sum(w.end - w.start for w in words)
    assert 0.8 * seconds <= spoken <= seconds


@pytest.mark.slow
def test_speed_scales_the_timings(
    kokoro_engine: KokoroEngine, fox_timed: tuple[np.ndarray, tuple[WordTiming, ...]]
) -> None:
    _, normal = fox_timed
    fast = kokoro_engine.synthesize_timed([Segment(FOX, "af_heart", speed=1.5)])[0]
    assert [w.word for w in fast.words] == FOX_WORDS
    _assert_well_formed(fast.words, fast.samples)
    # Frame counts are rounded per token at each speed, and trimming moves the start a little.
    errors = [abs(f.start - n.start / 1.5) for f, n in zip(fast.words, normal, strict=True)]
    assert float(np.median(errors)) < 0.04, errors
    assert fast.words[-1].end == pytest.approx(normal[-1].end / 1.5, abs=0.08)


@pytest.mark.slow
def test_words_espeak_joins_are_still_one_timing_each(kokoro_engine: KokoroEngine) -> None:
    timed = kokoro_engine.synthesize_timed([Segment(JOINED, "af_heart")])[0]
    assert [w.word for w in timed.words] == text_words(JOINED)
    _assert_well_formed(timed.words, timed.samples)


@pytest.mark.slow
def test_mandarin_words_are_the_g2p_words(kokoro_engine: KokoroEngine, zh: np.ndarray) -> None:
    timed = kokoro_engine.synthesize_timed([Segment(ZH, "zf_xiaoxiao", language="zh")])[0]
    np.testing.assert_array_equal(timed.samples, zh)
    assert "".join(w.word for w in timed.words) == re.sub(r"[^\u4e00-\u9fff]", "", ZH)
    assert [w.word for w in timed.words][:3] == ["今天天气", "很", "好"]
    _assert_well_formed(timed.words, timed.samples)
    mixed = kokoro_engine.synthesize_timed(
        [Segment("我很喜欢这个Wonderful Computer。", "zf_xiaoxiao", "zh")]
    )[0]
    assert [w.word for w in mixed.words] == ["我", "很", "喜欢", "这个", "Wonderful", "Computer"]
    _assert_well_formed(mixed.words, mixed.samples)


@pytest.mark.slow
def test_punctuation_only_has_no_words(kokoro_engine: KokoroEngine) -> None:
    timed = kokoro_engine.synthesize_timed([Segment("...", "af_heart")])[0]
    assert timed.samples.size == 0 and timed.words == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # espeak-ng joins these in the sentence: hˈæzbiːn, fɚɹə, ðˌæɾə, ʌvðə, ɪnðə
        ("He has been there for a long time.", [("has", "hˈæz"), ("been", "biːn"), ("long", "lˈɔŋ")]),
        ("Is that a cat or a dog?", [("that", "ðˌæ"), ("a", "ɾə"), ("cat", "kˈæt"), ("a", "ɐ")]),
        ("It is one of the best things in the world.", [("of", "ʌv"), ("the", "ðə"), ("in", "ɪn")]),
    ],
)
@pytest.mark.slow
def test_joined_words_are_cut_where_each_one_sounds(
    kokoro_engine: KokoroEngine, text: str, expected: list[tuple[str, str]]
) -> None:
    """On the real espeak phonemiser, with one phoneme a tenth of a second: each text word gets
    the phonemes it is read with, also inside a word espeak joined."""
    seg = Segment(text, "af_heart")
    phonemes = kokoro_engine._kokoro.tokenizer.known(kokoro_engine._phonemes(seg))
    phones = [Phone(ch, i / 10, (i + 1) / 10) for i, ch in enumerate(phonemes)]
    timings = kokoro_engine._timings(seg, phones)
    assert [w.word for w in timings] == text_words(text)
    heard = [(w.word, phonemes[round(w.start * 10) : round(w.end * 10)]) for w in timings]
    rest = iter(heard)
    assert all(pair in rest for pair in expected), heard  # in this order


@pytest.mark.slow
def test_word_starts_agree_with_whisper(kokoro_engine: KokoroEngine) -> None:
    """Against Whisper tiny.en's word timestamps (faster-whisper) on a few sentences, espeak's
    joined words among them: median absolute error of word starts at most 80 ms (20 sentences,
    238 words measured 47 ms here; docs/engines/kokoro.md)."""
    pytest.importorskip("faster_whisper", reason="the quality extra is not installed")
    import difflib

    from clarion.optimize.asr import word_times

    sentences = [
        FOX,
        "As a matter of fact, I was going to tell you about it before you left.",
        "It is one of the best things in the world to watch the sun rise over the mountains.",
    ]
    errors: list[float] = []
    for text in sentences:
        timed = kokoro_engine.synthesize_timed([Segment(text, "af_heart")])[0]
        ours = [(w.word.lower(), w.start) for w in timed.words]
        heard = word_times(timed.samples, RATE)
        match = difflib.SequenceMatcher(a=[w for w, _ in ours], b=[w for w, _, _ in heard], autojunk=False)
        for block in match.get_matching_blocks():
            errors += [abs(ours[block.a + k][1] - heard[block.b + k][1]) for k in range(block.size)]
    assert len(errors) >= 0.8 * sum(len(text_words(t)) for t in sentences), errors
    assert float(np.median(errors)) <= 0.080, errors


def test_words_keep_their_combining_marks() -> None:
    # Devanagari vowel signs and a decomposed accent are marks, not \w: still inside the word.
    assert spoken_words("नमस्ते, आप कैसे हैं?") == ["नमस्ते", "आप", "कैसे", "हैं"]
    assert spoken_words("Cafe\u0301 l'été") == ["Cafe\u0301", "l'été"]
    assert spoken_words("Don't stop, it's well-known.") == text_words("Don't stop, it's well-known.")
