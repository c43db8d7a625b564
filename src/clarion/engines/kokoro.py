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
as "Chinese letter". The graph is fixed at batch 1, so batches are looped."""

from __future__ import annotations

import importlib.util
import re
import threading
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
    VoiceInfo,
    files_fingerprint,
)
from clarion.engines.mixing import is_mix, parse_mix
from clarion.engines.onnx import (
    cpu_threads,
    graph_path,
    selected_variant,
    session,
)
from clarion.engines.onnx import (
    thread_policy as onnx_thread_policy,
)
from clarion.errors import EngineError, EngineUnavailable, VoiceNotFound
from clarion.models import KOKORO_MODEL_FILE, KOKORO_VOICES, KOKORO_VOICES_FILE, kokoro_dir, kokoro_missing
from clarion.text.spans import language_spans
from clarion.text.zh import erhua_suffixes

if TYPE_CHECKING:
    from clarion.config import Settings

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


_SYLLABLE_END = re.compile(r"(ɨ|(?<=[aeəɤo])i)?([→↗↓↘]?)[nŋ]?$")


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
        self._zh_g2p: Any = None  # misaki.zh.ZHG2P, built at load when Mandarin voices exist
        self._zh_lock = threading.Lock()  # jieba and misaki keep unguarded caches
        self._erhua_merge = settings.options_for(self.name).erhua == "merge"
        self._identity: EngineIdentity | None = None  # set by load()

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
        sess = session(model, device, threads, self._settings.onnx)
        kokoro = Kokoro.from_session(sess, str(voices_path))
        if any(v.startswith("z") for v in styles):
            self._zh_g2p = self._make_zh_g2p()
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
        try:
            from misaki.zh import ZHG2P
        except ImportError as e:
            raise EngineUnavailable(
                f"misaki[zh] is not installed ({e}): pip install 'clarion[kokoro]'"
            ) from e
        return ZHG2P()

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
        with self._zh_lock:
            for cut in cuts:
                # The text up to the suffix, with its last syllable r-coloured; the 儿 is not read.
                pieces.append(rhotacise(str(self._zh_g2p(text[start:cut])[0] or "")))
                start = cut + 1
            pieces.append(str(self._zh_g2p(text[start:])[0] or "") if start < len(text) else "")
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
