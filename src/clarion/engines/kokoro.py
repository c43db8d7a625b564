"""Kokoro-82M v1.0 (int8, Apache-2.0) through kokoro-onnx: English, Mandarin, and Spanish,
French, Hindi, Italian and Brazilian Portuguese phonemised by espeak-ng as upstream Kokoro does
(those five were checked to phonemise and render; the test ASR is English-only).

Model and voice packs live in ``<models_dir>/kokoro`` (``clarion models pull kokoro``, see
clarion.models). The voice decides the phonemiser: English and the espeak languages go through
kokoro-onnx's espeak tokenizer (which serialises espeak behind its own lock), Mandarin through
misaki's ZHG2P (espeak's ``cmn`` reads Mandarin wrongly). ZHG2P (the v1.0 path) reads every 儿 as
a syllable of its own (玩儿 -> wa↗n ɚ↗); with ``erhua: merge`` the erhua suffixes that
clarion.text.zh finds are folded into the syllable before (玩儿 -> waɚ↗), lexical 儿 (女儿,
儿子) untouched. Japanese voices are not offered: their
G2P needs pyopenjtalk, which the ``kokoro`` extra does not install, and espeak's ``ja`` reads kanji
as "Chinese letter". The graph is fixed at batch 1, so batches are looped.

Word timings (``synthesize_timed``) come from the model's own per-token durations, which the
loaded graph gains as an extra output (clarion.engines.kokoro_graph); clarion.engines.phoneme_words
maps them onto the text's words, as it does for Piper."""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineIdentity,
    SchedulingDefaults,
    Segment,
    Streaming,
    TimedAudio,
    VoiceInfo,
    WordTiming,
    files_fingerprint,
)
from clarion.engines.kokoro_graph import DURATIONS_EDIT, add_durations_output
from clarion.engines.mixing import is_mix, parse_mix
from clarion.engines.onnx import (
    EditedGraph,
    cpu_threads,
    graph_cache_dir,
    graph_path,
    selected_variant,
    session,
)
from clarion.engines.onnx import (
    thread_policy as onnx_thread_policy,
)
from clarion.engines.phoneme_words import (
    Phone,
    align_words,
    is_separator,
    phoneme_count,
    spoken_groups,
    text_words,
)
from clarion.errors import EngineError, EngineUnavailable, VoiceNotFound
from clarion.models import KOKORO_MODEL_FILE, KOKORO_VOICES, KOKORO_VOICES_FILE, kokoro_dir, kokoro_missing
from clarion.text.lang import has_han
from clarion.text.spans import language_spans
from clarion.text.zh import erhua_suffixes

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
LICENCE = "Apache-2.0"
PACKAGE = "kokoro-onnx"
SPEED_RANGE = (0.5, 2.0)  # kokoro-onnx rejects anything outside

# Voice prefix letter -> (BCP-47 language, espeak language or None for misaki's Mandarin G2P).
# Prefixes missing here (j = Japanese) have no working phonemiser in this install.
PREFIXES: dict[str, tuple[str, str | None]] = {
    "a": ("en-US", "en-us"),
    "b": ("en-GB", "en-gb"),
    "z": ("zh-CN", None),
    "e": ("es-ES", "es"),
    "f": ("fr-FR", "fr-fr"),
    "h": ("hi-IN", "hi"),
    "i": ("it-IT", "it"),
    "p": ("pt-BR", "pt-br"),
}
_GENDERS = {"f": "female", "m": "male"}
_LANGUAGE_NAMES = {
    "en-US": "American English",
    "en-GB": "British English",
    "zh-CN": "Mandarin Chinese",
    "es-ES": "Spanish",
    "fr-FR": "French",
    "hi-IN": "Hindi",
    "it-IT": "Italian",
    "pt-BR": "Brazilian Portuguese",
}
DEFAULT_VOICES = {
    "en": "af_heart",
    "en-gb": "bf_emma",
    "zh": "zf_xiaoxiao",
    "es": "ef_dora",
    "fr": "ff_siwis",
    "hi": "hf_alpha",
    "it": "if_sara",
    "pt": "pf_dora",
}


def _voice_info(name: str) -> VoiceInfo:
    language, _ = PREFIXES[name[0]]
    gender = _GENDERS.get(name[1])
    desc = f"Kokoro v1.0, {_LANGUAGE_NAMES[language]}, {gender or 'unknown gender'}"
    return VoiceInfo(name, "kokoro", language, LICENCE, SAMPLE_RATE, gender, desc)


# What `clarion[kokoro]` installs for synthesis (misaki[zh] brings the last four).
_REQUIRED_MODULES = ("kokoro_onnx", "misaki", "jieba", "pypinyin", "pypinyin_dict", "cn2an")

MAX_CACHED_MIXES = 16
SUPPORTED_VOICES: tuple[str, ...] = tuple(v for v in KOKORO_VOICES if v[0] in PREFIXES)

# What kokoro-onnx's create() puts after a batch when a segment is longer than one model pass
# (its defaults); the timed path renders the same audio, so it pauses the same.
SENTENCE_PAUSE = 0.25
CLAUSE_PAUSE = 0.1
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


_SYLLABLE_END = re.compile(r"(ɨ|(?<=[aeəɤo])i)?([→↗↓↘]?)[nŋ]?$")


def spoken_words(text: str) -> list[str]:
    """phoneme_words.text_words, keeping combining marks inside a word: Devanagari's vowel
    signs are not ``\\w``, so नमस्ते would fall apart into नमस and त."""
    words = text_words(text)
    if all(unicodedata.category(ch)[0] != "M" for ch in text):
        return words
    out: list[str] = []
    run: list[str] = []
    for i, ch in enumerate(text):
        kind = unicodedata.category(ch)[0]
        inner = (
            ch in "'’" and bool(run) and i + 1 < len(text) and unicodedata.category(text[i + 1])[0] in "LN"
        )
        if kind in "LNM" or inner:
            run.append(ch)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def rhotacise(phonemes: str) -> str:
    """Erhua on misaki's IPA: the last syllable takes an r-coloured ɚ before its tone mark,
    losing a nasal coda or an i offglide (wa↗n -> waɚ↗, xai↗ -> xaɚ↗) and turning the
    apical ɨ into ɚ (ʂɨ↘ -> ʂɚ↘), as Beijing erhua does."""
    m = _SYLLABLE_END.search(phonemes)
    if m is None or not phonemes:  # pragma: no cover - the pattern matches any string's end
        return phonemes
    return phonemes[: m.start()] + "ɚ" + m.group(2)


class KokoroEngine:
    name: ClassVar[str] = "kokoro"
    onnx_exported: ClassVar[bool] = False  # its graph is the shipped one (ExportsOnnx)
    thread_policy = staticmethod(onnx_thread_policy)  # /v1/models: how its workers use the cores
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en", "zh", "es", "fr", "hi", "it", "pt"),
        max_batch_size=1,
        batch_axis=False,
        streaming=Streaming.SENTENCE,
        speed_range=SPEED_RANGE,
        thread_safe=True,
        voice_mixing=True,
    )

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._dir = kokoro_dir(settings)
        self._kokoro: Any = None  # kokoro_onnx.Kokoro
        self._styles: dict[str, Any] = {}  # voice -> float32 [510, 1, 256]
        self._mixes: dict[str, Any] = {}  # blended voices ("a(0.7)+b(0.3)") made so far
        # misaki.zh.ZHG2P with jieba's dictionary loaded, built on first use (_zh).
        self._zh_g2p: Any = None
        self._zh_build = threading.Lock()  # one build; who comes meanwhile waits for it
        self._zh_lock = threading.Lock()  # jieba and misaki keep unguarded caches
        self._erhua_merge = settings.options_for(self.name).erhua == "merge"
        self._identity: EngineIdentity | None = None  # set by load()
        # Set by load(): the graph's token input, audio output and per-token durations output.
        self._token_input = "tokens"
        self._audio_output = "audio"
        self._durations: str | None = None

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        absent = [m for m in _REQUIRED_MODULES if importlib.util.find_spec(m) is None]
        if absent:
            return f"Kokoro's packages are not installed ({', '.join(absent)}): pip install 'clarion[kokoro]'"
        missing = kokoro_missing(kokoro_dir(settings))
        if missing:
            return (
                f"Kokoro model files are missing from {kokoro_dir(settings)} ({', '.join(missing)}): "
                "run `clarion models pull kokoro`"
            )
        return None

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # Batch 1 (the graph is fixed at batch 1), one worker per core, all sharing one session
        # on every core without spinning (onnx.cpu_threads; docs/scheduling.md#cores).
        return SchedulingDefaults(
            max_batch_size=1, max_wait_ms=0.0, workers=max(1, cores), threads=cpu_threads(cores)
        )

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def loaded(self) -> bool:
        return self._kokoro is not None

    def load(self, device: str, threads: int) -> None:
        missing = kokoro_missing(self._dir)
        if missing:
            raise EngineUnavailable(
                f"Kokoro files are missing from {self._dir} ({', '.join(missing)}): "
                "run `clarion models pull kokoro`"
            )
        try:
            from kokoro_onnx import Kokoro
        except ImportError as e:
            raise EngineUnavailable(
                f"kokoro-onnx is not installed ({e}): pip install 'clarion[kokoro]'"
            ) from e

        voices_path = self._dir / KOKORO_VOICES_FILE
        with np.load(voices_path) as npz:
            # Held as arrays and passed to create(): kokoro-onnx would otherwise re-read the npz
            # member from the zip on every call.
            styles = {v: np.asarray(npz[v], np.float32) for v in SUPPORTED_VOICES if v in npz.files}
        model = graph_path(self._settings, self.name, "model", self._dir / KOKORO_MODEL_FILE)
        # The durations output is patched in memory (~0.2 s for the int8 graph, unless the
        # optimised-graph cache has it); the session computes the same audio either way, so the
        # plain path runs on the same session.
        graph = EditedGraph(model, add_durations_output, DURATIONS_EDIT)
        sess = session(graph, device, threads, self._settings.onnx, cache_dir=graph_cache_dir(self._settings))
        # The patch appends the durations (int64) as the last output: a graph from the cache
        # names them too, without the file being read and scanned again.
        durations = next((o.name for o in sess.get_outputs()[1:] if o.type == "tensor(int64)"), None)
        if durations is None:
            log.warning("kokoro: no per-token durations found in %s; word timings are off", model)
        # kokoro-onnx checks that the session's model file exists; one built from bytes has none.
        sess._model_path = str(model)
        kokoro = Kokoro.from_session(sess, str(voices_path))
        names = {i.name for i in sess.get_inputs()}
        # Older exports name the token input "tokens", newer ones "input_ids" (as kokoro-onnx reads it).
        self._token_input = "input_ids" if "input_ids" in names else "tokens"
        self._audio_output = sess.get_outputs()[0].name
        self._durations = durations
        self._styles = styles
        self._kokoro = kokoro
        self._identity = EngineIdentity.of(
            PACKAGE,
            files_fingerprint([model, voices_path]),
            variant=selected_variant(self._settings, self.name),
            erhua_merge=self._erhua_merge,
        )

    @staticmethod
    def _make_zh_g2p() -> Any:
        # jieba imports pkg_resources, whose deprecation notice would be the server log's one
        # warning at every start, with nothing for an operator to do about it.
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning, r"jieba\.")
        try:
            import jieba  # type: ignore[import-untyped]  # no stubs
            from misaki.zh import ZHG2P
        except ImportError as e:
            raise EngineUnavailable(
                f"misaki[zh] is not installed ({e}): pip install 'clarion[kokoro]'"
            ) from e
        # Imported here, after the engine is ready (0.12 s of a cold start otherwise): jieba's
        # own stderr handler and debug level, set on import, would print its records as plain
        # text beside the server's log, in a worker process too. They go the root's way instead.
        jieba.default_logger.removeHandler(jieba.log_console)
        jieba.default_logger.setLevel(logging.NOTSET)
        g2p = ZHG2P()
        jieba.initialize()  # its dictionary, which it would otherwise load on the first text
        return g2p

    def _zh(self) -> Any:
        """The Mandarin G2P, built on first use: about 1 s of Python (pypinyin's tables, jieba's
        dictionary), which the runtime spends after the engine is ready (``prepare``)."""
        with self._zh_build:
            if self._zh_g2p is None:
                self._zh_g2p = self._make_zh_g2p()
            return self._zh_g2p

    def unload(self) -> None:
        self._kokoro = None
        self._styles = {}
        self._mixes = {}
        self._zh_g2p = None

    @classmethod
    def onnx_graphs(cls, settings: Settings) -> dict[str, Path]:
        """The shipped ONNX graphs, by name (what `clarion optimize` makes variants of)."""
        return {"model": kokoro_dir(settings) / KOKORO_MODEL_FILE}

    def _present(self) -> list[str]:
        if self._styles:
            return list(self._styles)
        path = self._dir / KOKORO_VOICES_FILE
        if not path.is_file():
            return []
        try:
            with np.load(path) as npz:  # reads the zip directory only, not the arrays
                names = set(npz.files)
        except (OSError, ValueError):
            return []
        return [v for v in SUPPORTED_VOICES if v in names]

    def voices(self) -> list[VoiceInfo]:
        return [_voice_info(v) for v in self._present()]

    def identity(self) -> EngineIdentity:
        return self._identity or EngineIdentity.of(PACKAGE, erhua_merge=self._erhua_merge)

    def default_voice(self, language: str | None = None) -> str:
        lang = (language or "en").lower()
        return DEFAULT_VOICES.get(lang) or DEFAULT_VOICES.get(lang.split("-")[0], DEFAULT_VOICES["en"])

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        if self._kokoro is None:
            raise EngineUnavailable("the kokoro engine is not loaded")
        return [self._one(seg) for seg in batch]

    def prepare(self, segment: Segment) -> None:
        if self._kokoro is None:
            raise EngineUnavailable("the kokoro engine is not loaded")
        self._phonemes(segment)  # loads the voice's phonemiser: espeak, or misaki and jieba

    def _phonemes(self, seg: Segment) -> str:
        _, espeak = PREFIXES[seg.voice[0]]
        if espeak is not None:
            # The voice, not seg.language, picks the phonemiser: an English voice reads as English.
            return str(self._kokoro.tokenizer.phonemize(seg.text, espeak))
        # Mandarin voices read embedded English too: Latin runs go to espeak's English,
        # since misaki's Mandarin G2P passes them through unread.
        parts = []
        for span in language_spans(seg.text):
            if span.language == "en" and any(ch.isalpha() for ch in span.text):
                parts.append(str(self._kokoro.tokenizer.phonemize(span.text, "en-us")))
            else:
                parts.append(self._zh_phonemes(span.text))
        return " ".join(p.strip() for p in parts if p.strip())

    def _zh_phonemes(self, text: str) -> str:
        cuts = erhua_suffixes(text) if self._erhua_merge and "儿" in text else []
        pieces: list[str] = []
        start = 0
        g2p = self._zh()
        with self._zh_lock:
            for cut in cuts:
                # The text up to the suffix, with its last syllable r-coloured; the 儿 is not read.
                pieces.append(rhotacise(str(g2p(text[start:cut])[0] or "")))
                start = cut + 1
            pieces.append(str(g2p(text[start:])[0] or "") if start < len(text) else "")
        return " ".join(p.strip() for p in pieces if p.strip())

    def _style(self, voice: str) -> Any:
        style = self._styles.get(voice)
        if style is None:
            style = self._mixes.get(voice)
        if style is None and is_mix(voice):
            parts = parse_mix(voice)
            if all(name in self._styles for name, _ in parts):
                # A weighted sum of style vectors (0.5 MB each): a few recent ones are kept.
                style = sum(w * self._styles[name] for name, w in parts).astype(np.float32)
                if len(self._mixes) >= MAX_CACHED_MIXES:
                    self._mixes.pop(next(iter(self._mixes)))
                self._mixes[voice] = style
        if style is None:
            raise VoiceNotFound(f"kokoro has no voice {voice!r}; available: {', '.join(self._present())}")
        return style

    def _one(self, seg: Segment) -> Audio:
        style = self._style(seg.voice)
        phonemes = self._phonemes(seg).strip()
        if not any(ch.isalpha() for ch in phonemes):  # punctuation only: the model would only click
            return np.zeros(0, np.float32)
        speed = min(max(seg.speed, SPEED_RANGE[0]), SPEED_RANGE[1])
        try:
            audio, _ = self._kokoro.create(phonemes, voice=style, speed=speed, is_phonemes=True)
        except ValueError as e:  # e.g. phonemes outside the model's vocabulary
            raise EngineError(f"kokoro could not render {seg.text[:40]!r}: {e}") from e
        return np.asarray(audio, np.float32)

    def synthesize_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        """``synthesize``'s audio, to the sample, with when each word of the text is heard."""
        if self._kokoro is None:
            raise EngineUnavailable("the kokoro engine is not loaded")
        if self._durations is None:
            raise EngineError("this Kokoro graph has no per-token durations to time words with")
        return [self._one_timed(seg) for seg in batch]

    def _one_timed(self, seg: Segment) -> TimedAudio:
        style = self._style(seg.voice)
        phonemes = self._phonemes(seg).strip()
        if not any(ch.isalpha() for ch in phonemes):
            return TimedAudio(np.zeros(0, np.float32))
        speed = min(max(seg.speed, SPEED_RANGE[0]), SPEED_RANGE[1])
        audio, phones = self._render_timed(phonemes, style, speed, seg.text)
        return TimedAudio(audio, self._timings(seg, phones))

    def _timings(self, seg: Segment, phones: Sequence[Phone]) -> tuple[WordTiming, ...]:
        """The phonemiser's words (spaces and punctuation between phones) matched to the text's.
        Espeak joins some ("of the" -> ʌvðə), so each text word's length alone guides the
        match; phonemising one word costs microseconds."""
        words = self._words(seg)
        expected = [
            phoneme_count([c for c in self._alone(word, seg.voice) if not is_separator(c)]) for word in words
        ]
        return tuple(align_words(words, expected, spoken_groups(phones)))

    def _render_timed(self, phonemes: str, style: Any, speed: float, text: str) -> tuple[Audio, list[Phone]]:
        """What kokoro-onnx's create() renders (the same passes, trimming and pauses between
        passes), with each phoneme token's span in seconds. kokoro-onnx reads durations only
        from an output named "duration" and then also re-times pauses, changing the audio; so
        the durations output keeps its own name and this path runs the passes itself."""
        from kokoro_onnx.chunker import pause_after, split_phonemes
        from kokoro_onnx.trim import trim

        kokoro = self._kokoro
        passes = split_phonemes(" ".join(phonemes.split()))
        parts: list[Audio] = []
        phones: list[Phone] = []
        offset = 0
        for k, chunk in enumerate(passes):
            ids = kokoro.tokenizer.tokenize(chunk)
            if not ids:
                raise EngineError(f"kokoro could not render {text[:40]!r}: no phonemes in its vocabulary")
            feeds = {
                self._token_input: np.array([[0, *ids, 0]], np.int64),
                "style": np.asarray(style[min(len(ids), len(style)) - 1], np.float32),
                "speed": np.array([speed], np.float32),
            }
            raw, frames = kokoro.sess.run([self._audio_output, self._durations], feeds)
            raw = np.asarray(raw, np.float32).ravel()
            frames = np.asarray(frames).ravel()
            # Frame counts for the leading pad, each token and the trailing pad. The decoder
            # makes 600 samples a frame (sum of frames x 600 == audio length, checked in the
            # tests); dividing by this run's own lengths keeps another export's hop right too.
            edges = np.concatenate([[0], np.cumsum(frames)]) * (len(raw) / max(int(frames.sum()), 1))
            audio, (head, _) = trim(raw)
            starts = np.clip(edges[1:] - head, 0, len(audio)) + offset
            known = kokoro.tokenizer.known(chunk)
            phones.extend(
                Phone(ch, float(a) / SAMPLE_RATE, float(b) / SAMPLE_RATE)
                for ch, a, b in zip(known, starts[:-1], starts[1:], strict=False)
            )
            if k < len(passes) - 1:
                pause = pause_after(chunk, SENTENCE_PAUSE, CLAUSE_PAUSE)
                audio = np.concatenate([audio, np.zeros(int(pause * SAMPLE_RATE), audio.dtype)])
                phones.append(Phone(" ", 0.0, 0.0))  # a word never runs across two passes
            parts.append(np.asarray(audio, np.float32))
            offset += len(audio)
        return np.concatenate(parts), phones

    def _words(self, seg: Segment) -> list[str]:
        """The text's words in the order the phonemiser reads them: for Mandarin voices, the
        jieba words misaki's G2P phonemises one by one, and English runs as words."""
        _, espeak = PREFIXES[seg.voice[0]]
        if espeak is not None:
            return spoken_words(seg.text)
        words: list[str] = []
        for span in language_spans(seg.text):
            if span.language == "en" and any(ch.isalpha() for ch in span.text):
                words += spoken_words(span.text)
            else:
                words += self._zh_words(span.text)
        return words

    def _zh_words(self, text: str) -> list[str]:
        import jieba

        cuts = erhua_suffixes(text) if self._erhua_merge and "儿" in text else []
        # The same pieces _zh_phonemes reads (a merged 儿 is not read), each cut by jieba as
        # misaki's G2P cuts it.
        bounds = [0, *(c + 1 for c in cuts)]
        ends = [*cuts, len(text)]
        words: list[str] = []
        with self._zh_lock:
            for start, end in zip(bounds, ends, strict=True):
                for run in _HAN_RUN.findall(text[start:end]):
                    words += jieba.lcut(run, cut_all=False)
        return words

    def _alone(self, word: str, voice: str) -> str:
        """One word phonemised by itself, to weigh it when the word counts differ."""
        _, espeak = PREFIXES[voice[0]]
        if espeak is None and has_han(word):
            g2p = self._zh()
            with self._zh_lock:
                return str(g2p(word)[0] or "")
        return str(self._kokoro.tokenizer.phonemize(word, espeak or "en-us"))
