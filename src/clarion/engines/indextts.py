"""IndexTTS-2 (Bilibili; code and weights under the bilibili IndexTTS licence) through the package's
own loader, ``indextts.infer_v2.IndexTTS2``: Chinese and English, zero-shot voice cloning from a
reference clip, and emotion control by a second reference clip, an 8-value emotion vector or a
text description. The code comes from PyPI's ``indextts2-inference`` 2.1.1, which repackages the
official repository's ``indextts`` module.

Model directory (``<models_dir>/indextts``, or ``CLARION_ENGINE_OPTIONS__INDEXTTS__PATH``), what
``IndexTTS2`` reads, plus the four models it fetches from the Hugging Face hub by name, kept in a
hub cache inside the directory (``hf/``) and served from there offline. Nothing is written there::

    config.yaml  gpt.pth  s2mel.pth  bpe.model  wav2vec2bert_stats.pt  feat1.pt  feat2.pt
    qwen0.6bemo4-merge/   the emotion-from-text model (``qwen_emo_path`` in config.yaml)
    hf/models--facebook--w2v-bert-2.0/snapshots/<rev>/{config.json,preprocessor_config.json,model.safetensors}
    hf/models--amphion--MaskGCT/snapshots/<rev>/semantic_codec/model.safetensors
    hf/models--funasr--campplus/snapshots/<rev>/campplus_cn_common.bin
    hf/models--nvidia--bigvgan_v2_22khz_80band_256x/snapshots/<rev>/{config.json,bigvgan_generator.pt}
    hf/models--*/refs/main  the snapshot's <rev>
    voices/default.wav    optional: the built-in voice "default"; without it set
                          CLARION_ENGINE_OPTIONS__INDEXTTS__DEFAULT_VOICE to an uploaded voice

The hub cache can live elsewhere (``CLARION_ENGINE_OPTIONS__INDEXTTS__HUB_CACHE``, e.g. an existing
``~/.cache/huggingface/hub``). While the model loads, and only then, ``HF_HUB_OFFLINE`` and
``HF_HUB_CACHE`` point the hub client there, so a missing file is an error naming it, never a
download.

Segments are batched across requests (``indextts_batch``): the speech tokens of every segment of a
batch come from one ``generate`` call of the package's GPT, each row with its own voice, emotion
and text, stopping at its own stop token; the latent pass, s2mel and BigVGAN then run per segment,
as ``IndexTTS2.infer_generator`` runs them. Segments whose sampling knobs differ run as separate
calls within the batch, and a seeded segment runs alone. Clarion streams sentence by sentence.
Each voice's conditioning is computed by the package once per clip content and kept per voice;
the package also keeps the last clip's on itself (keyed by its path), so each worker has its own
instance, and a clip re-uploaded under the same name (same path, new sha256) clears that first.

Request extras (``IndexTTSExtras``): one emotion mode at most, ``emo_voice`` (an uploaded clip or
"default" as the emotion reference, mixed in by ``emo_alpha``), ``emo_vector`` (8 weights, in the
package's order happy, angry, sad, afraid, disgusted, melancholic, surprised, calm; biased and
capped at a sum of 0.8 by the package's ``normalize_emo_vec``, as its web UI does) or ``emo_text``
(the Qwen emotion model reads it; its generation is capped); and the sampling knobs of
``infer``: temperature, top_p, top_k, num_beams, repetition_penalty, length_penalty and
max_mel_tokens (capped by ``CLARION_ENGINE_OPTIONS__INDEXTTS__MAX_MEL_TOKENS``). ``seed`` makes a
segment reproducible."""

from __future__ import annotations

import collections
import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineExtras,
    EngineIdentity,
    EngineOwnOptions,
    KeepsVoiceStore,
    SchedulingDefaults,
    Segment,
    Streaming,
    VoiceInfo,
    files_fingerprint,
)
from clarion.engines.torch_util import (
    import_torchaudio,
    inference,
    loading,
    prepare,
    release_memory,
)
from clarion.errors import EngineError, EngineUnavailable, VoiceNotFound

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 22_050  # BigVGAN's output rate, fixed in IndexTTS2.infer
LICENCE = "bilibili IndexTTS licence (indextts code and the official IndexTTS-2 weights)"
PACKAGE = "indextts2-inference"
PACKAGE_VERSION = "2.1.1"
MODEL_FILES: tuple[str, ...] = (
    "config.yaml",
    "gpt.pth",
    "s2mel.pth",
    "bpe.model",
    "wav2vec2bert_stats.pt",
    "feat1.pt",
    "feat2.pt",
)
HUB_DIR = "hf"
# What IndexTTS2 fetches from the hub by name (infer_v2.py, maskgct_utils.py, bigvgan.py): repo id
# and the files it reads. The vocoder's id comes from config.yaml (vocoder.name); this is the
# official one.
HUB_FILES: dict[str, tuple[str, ...]] = {
    "facebook/w2v-bert-2.0": ("config.json", "preprocessor_config.json", "model.safetensors"),
    "amphion/MaskGCT": ("semantic_codec/model.safetensors",),
    "funasr/campplus": ("campplus_cn_common.bin",),
}
DEFAULT_VOCODER = "nvidia/bigvgan_v2_22khz_80band_256x"
VOCODER_FILES = ("config.json", "bigvgan_generator.pt")
QWEN_FILES = ("config.json", "tokenizer_config.json")
BUILTIN_VOICE = "default"
BUILTIN_CLIP = "voices/default.wav"
EMOTIONS = ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")
PACKAGE_MAX_MEL_TOKENS = 1500  # infer's default; the GPT's table (gpt.max_mel_tokens) bounds it too
MAX_TEXT_TOKENS = 120  # infer's max_text_tokens_per_segment: longer texts are split into parts
VOICE_CACHE = 16  # reference clips whose conditioning stays in memory
MAX_BATCH = 8
# What `clarion[indextts]` plus `scripts/install-indextts.sh` install, by import name.
_REQUIRED_MODULES = (
    "indextts",
    "torch",
    "torchaudio",
    "transformers",
    "huggingface_hub",
    "safetensors",
    "sentencepiece",
    "librosa",
    "omegaconf",
    "einops",
    "munch",
    "accelerate",
    "nemo_text_processing",
)
_INSTALL_HINT = f"pip install 'clarion[indextts]' && pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
_HUB_ENV = ("HF_HUB_OFFLINE", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE")
_load_lock = threading.Lock()  # the hub client's environment is process-wide


class IndexTTSOptions(EngineOwnOptions):
    """IndexTTS-2's own options, ``CLARION_ENGINE_OPTIONS__INDEXTTS__<OPTION>`` next to its
    scheduling ones (workers, threads); ``CLARION_INDEXTTS_<OPTION>`` is deprecated."""

    engine: ClassVar[str] = "indextts"

    path: Path | None = Field(default=None, description="Model directory; default <models_dir>/indextts.")
    hub_cache: Path | None = Field(
        default=None,
        description="Hugging Face hub cache holding w2v-bert-2.0, MaskGCT, campplus and BigVGAN; "
        "default <model dir>/hf.",
    )
    default_voice: str = Field(
        default=BUILTIN_VOICE,
        description="'default' (the checkpoint's voices/default.wav) or an uploaded voice.",
    )
    normalizer: Literal["clarion", "package"] = Field(
        default="clarion",
        description="'clarion': the package's text normaliser with NeMo's grammars left out, since "
        "Clarion's front end has already written out numbers, dates and units; 'package': NeMo's "
        "too (compiling its grammars takes minutes at the first load in a fresh environment).",
    )
    language: Literal["auto", "en", "zh", "es"] = Field(
        default="auto",
        description="The package's text normaliser: auto handles Chinese and English and picks per "
        "sentence; with normalizer=package one language loads faster.",
    )
    precision: Literal["auto", "fp32", "fp16"] = Field(
        default="auto", description="auto (fp16 on CUDA, fp32 on CPU), fp32 or fp16 (CUDA only)."
    )
    max_mel_tokens: int = Field(
        default=PACKAGE_MAX_MEL_TOKENS,
        ge=1,
        le=4096,
        description="Most speech tokens per segment; requests may ask for fewer.",
    )
    emo_text_max_new_tokens: int = Field(
        default=128,
        ge=8,
        le=2048,
        description="Cap on the Qwen emotion model's output for emo_text (the package asks for 32768).",
    )
    gpu_memory_fraction: float | None = Field(
        default=None, gt=0, le=1, description="Cap on GPU memory share."
    )


class IndexTTSExtras(EngineExtras):
    """Per-request controls; sampling defaults are ``IndexTTS2.infer``'s."""

    emo_voice: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Uploaded voice (or 'default') whose clip sets the emotion; mixed by emo_alpha.",
    )
    emo_vector: list[float] | None = Field(
        default=None,
        min_length=8,
        max_length=8,
        description="Emotion weights, each 0-1: " + ", ".join(EMOTIONS) + " (the package biases "
        "them and scales the sum down to 0.8).",
    )
    emo_text: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Describe the emotion in words; the emotion model turns it into a vector.",
    )
    emo_alpha: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Strength of the emotion from emo_voice, emo_vector or emo_text (default 1).",
    )
    temperature: float = Field(default=0.8, ge=0.05, le=2.0, description="Sampling temperature.")
    top_p: float = Field(default=0.8, gt=0.0, le=1.0, description="Nucleus sampling threshold.")
    top_k: int = Field(default=30, ge=0, le=1000, description="Sample among this many tokens (0: all).")
    num_beams: int = Field(default=3, ge=1, le=8, description="Beams of the speech-token search.")
    repetition_penalty: float = Field(default=10.0, ge=1.0, le=20.0, description="Penalty on repeats.")
    length_penalty: float = Field(default=0.0, ge=-5.0, le=5.0, description="Beam length penalty.")
    max_mel_tokens: int | None = Field(
        default=None, ge=1, le=4096, description="Cap on speech tokens, within the server's cap."
    )

    @model_validator(mode="after")
    def _one_emotion_mode(self) -> IndexTTSExtras:
        modes = [n for n in ("emo_voice", "emo_vector", "emo_text") if getattr(self, n) is not None]
        if len(modes) > 1:
            raise ValueError(f"use one emotion control at a time, not {' and '.join(modes)}")
        if self.emo_alpha is not None and not modes:
            raise ValueError("emo_alpha needs emo_voice, emo_vector or emo_text")
        if self.emo_vector is not None:
            bad = [f"{EMOTIONS[i]}={v}" for i, v in enumerate(self.emo_vector) if not 0.0 <= v <= 1.0]
            if bad:
                raise ValueError(f"emo_vector values must be between 0 and 1: {', '.join(bad)}")
            if sum(self.emo_vector) <= 0:
                raise ValueError("emo_vector must have a weight above 0")
        return self


@dataclass(frozen=True, slots=True)
class Generation:
    """What one segment handed to ``IndexTTS2.infer``."""

    text: str
    voice: str
    prompt: str  # the speaker reference clip's path
    emo_prompt: str | None
    emo_alpha: float
    emo_vector: tuple[float, ...] | None  # after the package's normalize_emo_vec
    emo_text: str | None
    max_mel_tokens: int
    seed: int | None
    samples: int
    codes: tuple[tuple[int, ...], ...] = ()  # speech tokens, per part of the text
    batch_size: int = 1  # segments that shared its generate() call
    emo_weights: tuple[float, ...] | None = None  # the weights mixed in (emo_vector or emo_text, x alpha)
    emotion_reference: str = ""  # the clip the emotion conditioning came from (the speaker's by default)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A segment resolved for the model (``indextts_batch.Item``) plus what its record reports."""

    segment: Segment
    item: Any  # indextts_batch.Item
    sampling: Any  # indextts_batch.Sampling
    seed: int | None
    prompt: str
    emo_prompt: str | None
    emo_alpha: float
    emo_vector: list[float] | None
    emo_text: str | None
    emotion_reference: str


@dataclass
class IndexTTSStats:
    """What reached the model: tests and operators read these."""

    generations: int = 0
    cache_resets: int = 0  # reference clips replaced under the same path
    recent: collections.deque[Generation] = field(default_factory=lambda: collections.deque(maxlen=256))


def model_dir(settings: Settings) -> Path:
    return settings.models_dir / "indextts"


def import_indextts() -> Any:
    """The indextts package's inference module, imported beside the CPU torch build."""
    # infer_v2 turns off every FutureWarning and UserWarning process-wide when first imported;
    # the rest of the server gets its warnings back.
    filters = list(warnings.filters)
    try:
        import_torchaudio()
        import indextts.infer_v2 as infer_v2  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as e:
        raise EngineUnavailable(f"IndexTTS-2's packages are not installed ({e}): {_INSTALL_HINT}") from e
    finally:
        warnings.filters[:] = filters  # type: ignore[index]
    return infer_v2


def _hub_folder(repo: str) -> str:
    return "models--" + repo.replace("/", "--")


def _hub_file(cache: Path, repo: str, name: str) -> Path | None:
    """A file of a repo in a hub cache, as the offline hub client resolves it (refs/main)."""
    base = cache / _hub_folder(repo)
    try:
        revision = (base / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = base / "snapshots" / revision / name
    return path if path.is_file() else None


def _vocoder_id(path: Path) -> str:
    try:
        from omegaconf import OmegaConf

        name = OmegaConf.load(path / "config.yaml").vocoder.name
        return str(name)
    except Exception:  # no or a broken config: check_model_dir says so separately
        return DEFAULT_VOCODER


def missing_files(path: Path, hub_cache: Path | None = None) -> list[str]:
    """Files the loader will look for and not find, as paths relative to ``path`` or hub ids."""
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    cache = hub_cache or path / HUB_DIR
    vocoder = _vocoder_id(path)
    wanted = {**HUB_FILES}
    if not Path(vocoder).is_dir():  # a local directory instead of a hub id is read as is
        wanted[vocoder] = VOCODER_FILES
    for repo, names in wanted.items():
        missing += [
            f"{repo}: {name} (hub cache {cache})" for name in names if _hub_file(cache, repo, name) is None
        ]
    qwen = _qwen_dir(path)
    missing += [f"{qwen.name}/{name}" for name in QWEN_FILES if not (qwen / name).is_file()]
    if not any(qwen.glob("*.safetensors")):
        missing.append(f"{qwen.name}/model.safetensors")
    return missing


def _qwen_dir(path: Path) -> Path:
    try:
        from omegaconf import OmegaConf

        return path / str(OmegaConf.load(path / "config.yaml").qwen_emo_path).strip().rstrip("/")
    except Exception:  # no or a broken config: check_model_dir says so separately
        return path / "qwen0.6bemo4-merge"


def _files_fingerprint(path: Path, cache: Path) -> str:
    """Names, sizes and modification times of the weights: changes whenever they are replaced,
    so cached audio from other weights is never served."""
    files = [path / n for n in (*MODEL_FILES, BUILTIN_CLIP)]
    files += [p for repo, names in HUB_FILES.items() for n in names if (p := _hub_file(cache, repo, n))]
    return files_fingerprint(files)


@contextlib.contextmanager
def offline_hub(cache: Path) -> Iterator[None]:
    """The hub client reads only ``cache`` and never the network, for the duration of a load.

    huggingface_hub reads these variables into module constants when it is first imported, so the
    constants are set too (and both restored afterwards)."""
    import huggingface_hub.constants as hub_constants

    with _load_lock:
        saved_env = {k: os.environ.get(k) for k in _HUB_ENV}
        saved = {k: getattr(hub_constants, k) for k in ("HF_HUB_OFFLINE", "HF_HUB_CACHE")}
        os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_CACHE": str(cache)})
        hub_constants.HF_HUB_OFFLINE = True
        hub_constants.HF_HUB_CACHE = str(cache)
        try:
            yield
        finally:
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            for k, v in saved.items():
                setattr(hub_constants, k, v)


class _Verbatim:
    """Stands in for a NeMo normaliser: the text is already normalised."""

    def normalize(self, text: str, verbose: bool = False) -> str:
        return text


def _without_nemo(package: type[Any]) -> type[Any]:
    """The package's ``TextNormalizer`` minus NeMo. Clarion's text front end has already
    written out numbers, dates, units and symbols (Chinese and English) before a segment
    reaches the engine, so NeMo's grammars would only redo that work, after minutes of
    compiling them in every fresh environment. The package's own steps (glossary, technical
    terms, pinyin, names, character maps) still run."""

    class ClarionTextNormalizer(package):  # type: ignore[misc]
        def _get_nemo_normalizer(self, lang: str) -> _Verbatim:
            return _Verbatim()

    return ClarionTextNormalizer


class IndexTTSEngine(KeepsVoiceStore):
    name: ClassVar[str] = "indextts"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en", "zh"),
        max_batch_size=MAX_BATCH,  # rows of one speech-token generate() call (indextts_batch)
        batch_axis=True,
        streaming=Streaming.SENTENCE,
        cloning=True,
        speed_range=(1.0, 1.0),  # no rate control in infer(): Clarion time-stretches
        thread_safe=False,  # the model caches the last reference's conditioning on itself; one
        # generate() at a time holds the batch's prefix on the inference model
        instructions_extra="emo_text",  # OpenAI's "speak cheerfully" is what emo_text describes
    )
    request_extras: ClassVar[type[EngineExtras]] = IndexTTSExtras
    own_options: ClassVar[type[EngineOwnOptions]] = IndexTTSOptions

    def __init__(self, settings: Settings, options: IndexTTSOptions | None = None) -> None:
        self._options = options or IndexTTSOptions.from_settings(settings)
        self._dir = self._options.path or model_dir(settings)
        self._hub = self._options.hub_cache or self._dir / HUB_DIR
        self._settings = settings
        self._model: Any = None  # indextts.infer_v2.IndexTTS2
        self._device: Any = None
        self._prompt_shas: dict[str, str] = {}  # reference path -> sha256 the model's cache holds
        self._renderer: Any = None  # indextts_batch.BatchRenderer over the loaded model
        # (clip path, content hash) -> its conditioning, most recently used last.
        self._speakers: collections.OrderedDict[tuple[str, str], Any] = collections.OrderedDict()
        self._emotions: collections.OrderedDict[tuple[str, str], Any] = collections.OrderedDict()
        self._lock = threading.Lock()  # guards stats
        self.stats = IndexTTSStats()
        self._identity: EngineIdentity | None = None  # set by load()

    # -- discovery ------------------------------------------------------------------------------
    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        absent = [m for m in _REQUIRED_MODULES if importlib.util.find_spec(m) is None]
        if absent:
            return f"IndexTTS-2's packages are not installed ({', '.join(absent)}): {_INSTALL_HINT}"
        options = IndexTTSOptions.from_settings(settings)
        path = options.path or model_dir(settings)
        missing = missing_files(path, options.hub_cache)
        if missing:
            return (
                f"IndexTTS-2 model files are missing from {path} ({'; '.join(missing[:6])}"
                f"{'; ...' if len(missing) > 6 else ''}): put a checkpoint there or set "
                "CLARION_ENGINE_OPTIONS__INDEXTTS__PATH; "
                f"`clarion models check indextts --path {path}` lists what is wrong"
            )
        return None

    @classmethod
    def check_model_dir(cls, path: Path) -> list[str]:
        from clarion.config import Settings

        return check_model_dir(path, IndexTTSOptions.from_settings(Settings()).hub_cache)

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # The speech-token decoder batches (batch 4 measured in docs/engines/indextts.md); a segment
        # takes a second or more, so waiting 50 ms for company costs little. One worker using every
        # core beats several competing ones on a CPU. MAX_BATCH_SIZE=auto measures 1, 2, 4, 8.
        return SchedulingDefaults(max_batch_size=4, max_wait_ms=50.0, workers=1, threads=max(1, cores))

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model_dir(self) -> Path:
        return self._dir

    @property
    def model(self) -> Any:
        """The package's IndexTTS2 (None until loaded)."""
        return self._model

    @property
    def renderer(self) -> Any:
        """The ``indextts_batch.BatchRenderer`` over the loaded model (None until loaded)."""
        return self._renderer

    # -- lifecycle ------------------------------------------------------------------------------
    def load(self, device: str, threads: int) -> None:
        missing = missing_files(self._dir, self._hub)
        if missing:
            raise EngineUnavailable(
                f"IndexTTS-2 model files are missing: {'; '.join(missing)} "
                f"(`clarion models check indextts --path {self._dir}` says more)"
            )
        infer_v2 = import_indextts()
        dev = prepare(device, threads, self._options.gpu_memory_fraction)
        if self._options.precision == "fp16" and dev.type != "cuda":
            raise EngineUnavailable(f"precision fp16 needs a CUDA device; IndexTTS-2 runs on {dev}")
        fp16 = dev.type == "cuda" and self._options.precision != "fp32"
        language = None if self._options.language == "auto" else self._options.language
        # Shape mismatches, damaged files, hub files absent from the cache.
        with (
            loading("IndexTTS-2", self.name, self._dir),
            offline_hub(self._hub),
            warnings.catch_warnings(),
            self._normaliser(infer_v2),
        ):
            warnings.simplefilter("ignore", FutureWarning)  # weight_norm's deprecation in BigVGAN
            model = infer_v2.IndexTTS2(
                model_dir=str(self._dir),
                cfg_path=str(self._dir / "config.yaml"),
                use_fp16=fp16,
                device=str(dev),
                language=language,
            )
        self._cap_emotion_model(model)
        fingerprint = _files_fingerprint(self._dir, self._hub)
        self._identity = self._identity_of(fingerprint, "fp16" if fp16 else "fp32")
        from clarion.engines.indextts_batch import BatchRenderer

        self._model = model
        self._renderer = BatchRenderer(model)
        self._device = dev
        self._forget_voices()
        default = self._options.default_voice
        if default == BUILTIN_VOICE and not self._has_builtin():
            self.unload()
            raise EngineUnavailable(
                f"{self._dir} has no {BUILTIN_CLIP}, so IndexTTS-2 has no built-in voice: add a reference "
                "clip there, or set CLARION_ENGINE_OPTIONS__INDEXTTS__DEFAULT_VOICE to an uploaded voice"
            )
        if default != BUILTIN_VOICE and not self._store().exists(default):
            self.unload()
            raise EngineUnavailable(
                f"CLARION_ENGINE_OPTIONS__INDEXTTS__DEFAULT_VOICE names {default!r}, which is not an "
                f"uploaded voice in {self._store().root}"
            )

    @contextlib.contextmanager
    def _normaliser(self, infer_v2: Any) -> Iterator[None]:
        """While ``IndexTTS2`` is built (under the hub lock), it builds Clarion's normaliser."""
        if self._options.normalizer == "package":
            yield
            return
        package = infer_v2.TextNormalizer
        infer_v2.TextNormalizer = _without_nemo(package)
        try:
            yield
        finally:
            infer_v2.TextNormalizer = package

    def _cap_emotion_model(self, model: Any) -> None:
        """QwenEmotion.inference asks its model for up to 32768 new tokens; a server bounds it."""
        qwen = model.qwen_emo.model
        generate = qwen.generate
        cap = self._options.emo_text_max_new_tokens

        def bounded(*args: Any, **kwargs: Any) -> Any:
            kwargs["max_new_tokens"] = min(int(kwargs.get("max_new_tokens") or cap), cap)
            return generate(*args, **kwargs)

        qwen.generate = bounded

    def unload(self) -> None:
        self._model = None
        self._renderer = None
        self._forget_voices()
        release_memory(self._device)

    def _forget_voices(self) -> None:
        self._prompt_shas.clear()
        self._speakers.clear()
        self._emotions.clear()

    def identity(self) -> EngineIdentity:
        return self._identity or self._identity_of("", self._options.precision)

    def _identity_of(self, checkpoint: str, precision: str) -> EngineIdentity:
        o = self._options
        return EngineIdentity.of(
            PACKAGE,
            checkpoint,
            precision=precision,
            normalizer=o.normalizer,
            language=o.language,
            max_mel_tokens=o.max_mel_tokens,
            emo_text_max_new_tokens=o.emo_text_max_new_tokens,
        )

    # -- voices ----------------------------------------------------------------------------------
    def _has_builtin(self) -> bool:
        return (self._dir / BUILTIN_CLIP).is_file()

    def voices(self) -> list[VoiceInfo]:
        if not self._has_builtin():
            return []
        return [
            VoiceInfo(
                BUILTIN_VOICE,
                self.name,
                "mul",  # speaks Chinese and English, like a cloned voice
                LICENCE,
                SAMPLE_RATE,
                None,
                f"IndexTTS-2's built-in voice ({BUILTIN_CLIP} in the model directory); "
                "uploaded clips are cloned too",
            )
        ]

    def default_voice(self, language: str | None = None) -> str:
        return self._options.default_voice

    def _reference(self, voice: str, param: str = "voice") -> tuple[Path, str]:
        """A voice's reference clip and a hash of its content."""
        if voice == BUILTIN_VOICE and self._has_builtin():
            clip = self._dir / BUILTIN_CLIP
            st = clip.stat()
            return clip, f"{st.st_size}:{st.st_mtime_ns}"
        if not self._store().exists(voice):
            uploaded = [v.name for v in self._store().list()][:20]
            valid = ([BUILTIN_VOICE] if self._has_builtin() else []) + uploaded
            raise VoiceNotFound(
                f"indextts has no voice {voice!r}: use {', '.join(valid) or 'an uploaded voice'} "
                "or upload a reference clip to /v1/audio/voices",
                param=param,
            )
        return self._store().reference(voice), self._store().get(voice).sha256

    def _forget_replaced(self, *refs: tuple[Path, str]) -> None:
        """The package caches conditioning by the clip's path; a re-uploaded clip keeps its path."""
        model = self._model
        for path, sha in refs:
            known = self._prompt_shas.get(str(path))
            if known is not None and known != sha:
                model.cache_spk_audio_prompt = None
                model.cache_spk_cond = None
                model.cache_emo_audio_prompt = None
                model.cache_emo_cond = None
                with self._lock:
                    self.stats.cache_resets += 1
            self._prompt_shas[str(path)] = sha

    # -- synthesis -------------------------------------------------------------------------------
    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        if self._model is None or self._renderer is None:
            raise EngineUnavailable("the indextts engine is not loaded")
        plans = [self._plan(seg) for seg in batch]
        out: list[Audio] = [np.zeros(0, np.float32)] * len(batch)
        # generate() takes one set of sampling knobs; a seeded segment runs alone, so its seed
        # alone decides its audio.
        groups: dict[tuple[Any, ...], list[int]] = {}
        for n, plan in enumerate(plans):
            key = (plan.sampling, n if plan.seed is not None else None)
            groups.setdefault(key, []).append(n)
        for (sampling, _), members in groups.items():
            group = [plans[n] for n in members]
            try:
                with inference(), self._seeded(group[0].seed), warnings.catch_warnings():
                    warnings.filterwarnings("ignore", "The following generation flags are not valid")
                    rendered = self._renderer.render([p.item for p in group], sampling)
            except Exception as e:
                raise EngineError(
                    f"IndexTTS-2 failed on {len(group)} segment(s): {type(e).__name__}: {str(e)[:300]}"
                ) from e
            for n, plan, result in zip(members, group, rendered, strict=True):
                if not np.isfinite(result.audio).all():
                    raise EngineError("IndexTTS-2 produced non-finite samples")
                out[n] = result.audio
                self._record(plan, result, len(members))
        return out

    def _plan(self, seg: Segment) -> _Plan:
        """A segment's inputs, resolved as ``IndexTTS2.infer_generator`` resolves its arguments."""
        from clarion.engines.indextts_batch import Item, Sampling

        extras = IndexTTSExtras.model_validate(dict(seg.extras))
        cap = min(extras.max_mel_tokens or self._options.max_mel_tokens, self._options.max_mel_tokens)
        model = self._model
        speaker = self._reference(seg.voice)
        refs = [speaker]
        emo_prompt: str | None = None
        if extras.emo_voice is not None:
            emo = self._reference(extras.emo_voice, param="extras")
            refs.append(emo)
            emo_prompt = str(emo[0])
        self._forget_replaced(*refs)
        vector = None
        if extras.emo_vector is not None:
            vector = [float(v) for v in model.normalize_emo_vec(list(extras.emo_vector), apply_bias=True)]
        alpha = 1.0 if extras.emo_alpha is None else extras.emo_alpha
        weights = vector
        if extras.emo_text is not None:  # the emotion model may sample: the seed covers it too
            with inference(), self._seeded(seg.seed):
                weights = [float(v) for v in model.qwen_emo.inference(extras.emo_text).values()]
        if weights is not None and alpha != 1.0:  # as infer(): scaled by alpha, cut to 4 decimals
            weights = [int(x * max(0.0, min(1.0, alpha)) * 10000) / 10000 for x in weights]
        # Without an emotion clip the speaker's clip is the emotion reference, at full strength.
        emotion_ref = refs[1] if emo_prompt is not None and weights is None else speaker
        merge_alpha = alpha if emotion_ref is not speaker else 1.0
        item = Item(
            speaker=self._speaker(speaker),
            emotion=self._emotion(emotion_ref),
            alpha=merge_alpha,
            emo_vector=weights,
            texts=self._texts(seg.text),
            max_mel_tokens=cap,
        )
        sampling = Sampling(
            temperature=extras.temperature,
            top_p=extras.top_p,
            top_k=extras.top_k,
            num_beams=extras.num_beams,
            repetition_penalty=extras.repetition_penalty,
            length_penalty=extras.length_penalty,
        )
        return _Plan(
            seg,
            item,
            sampling,
            seg.seed,
            str(speaker[0]),
            emo_prompt,
            alpha,
            vector,
            extras.emo_text,
            str(emotion_ref[0]),
        )

    def _texts(self, text: str) -> list[Any]:
        """The text's parts as infer() splits it, as token id tensors."""
        import torch

        tokenizer = self._model.tokenizer
        parts = tokenizer.split_segments(tokenizer.tokenize(text), MAX_TEXT_TOKENS, quick_streaming_tokens=0)
        return [
            torch.tensor(tokenizer.convert_tokens_to_ids(part), dtype=torch.int32, device=self._model.device)
            for part in parts
        ]

    def _speaker(self, ref: tuple[Path, str]) -> Any:
        """A voice's conditioning, computed by the package once per clip content and kept here per
        voice (the package itself keeps only the last clip's)."""
        from clarion.engines.indextts_batch import Speaker

        key = (str(ref[0]), ref[1])
        found = self._speakers.get(key)
        if found is None:
            with inference():
                found = Speaker(*self._model._get_speaker_conditioning(key[0]))
            self._speakers[key] = found
            while len(self._speakers) > VOICE_CACHE:
                self._speakers.popitem(last=False)
        self._speakers.move_to_end(key)
        return found

    def _emotion(self, ref: tuple[Path, str]) -> Any:
        key = (str(ref[0]), ref[1])
        found = self._emotions.get(key)
        if found is None:
            with inference():
                found = self._model._get_emotion_conditioning(key[0])
            self._emotions[key] = found
            while len(self._emotions) > VOICE_CACHE:
                self._emotions.popitem(last=False)
        self._emotions.move_to_end(key)
        return found

    def _record(self, plan: _Plan, result: Any, batch_size: int) -> None:
        record = Generation(
            text=plan.segment.text,
            voice=plan.segment.voice,
            prompt=plan.prompt,
            emo_prompt=plan.emo_prompt,
            emo_alpha=plan.emo_alpha,
            emo_vector=tuple(plan.emo_vector) if plan.emo_vector is not None else None,
            emo_text=plan.emo_text,
            max_mel_tokens=plan.item.max_mel_tokens,
            seed=plan.seed,
            samples=int(result.audio.size),
            codes=tuple(tuple(c) for c in result.codes),
            batch_size=batch_size,
            emo_weights=tuple(plan.item.emo_vector) if plan.item.emo_vector is not None else None,
            emotion_reference=plan.emotion_reference,
        )
        with self._lock:
            self.stats.generations += 1
            self.stats.recent.append(record)

    @contextlib.contextmanager
    def _seeded(self, seed: int | None) -> Iterator[None]:
        if seed is None:
            yield
            return
        import random

        import torch

        devices = [self._device] if self._device is not None and self._device.type == "cuda" else []
        state = random.getstate()  # use_random picks emotion entries with the random module
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            random.seed(seed)
            try:
                yield
            finally:
                random.setstate(state)


# -- model directory check ---------------------------------------------------------------------


def check_model_dir(path: Path, hub_cache: Path | None = None) -> list[str]:
    """What keeps ``IndexTTS2`` from loading ``path``, a line per problem; empty when it would
    load. Names every missing file; reads the config, the matrices and the GPT checkpoint's
    tensor shapes against the installed package's model built from that config."""
    if not path.is_dir():
        return [f"{path} is not a directory"]
    problems = [f"{name} is missing" for name in missing_files(path, hub_cache)]
    if not (path / "config.yaml").is_file():
        return problems
    try:
        from omegaconf import OmegaConf

        cfg = OmegaConf.load(path / "config.yaml")
    except ImportError as e:
        return [*problems, f"cannot read config.yaml: {e}: {_INSTALL_HINT}"]
    except Exception as e:  # yaml raises many kinds
        return [*problems, f"config.yaml is not readable YAML: {e}"]
    needed = ("gpt", "s2mel", "semantic_codec", "emo_num", "qwen_emo_path", "vocoder", "dataset")
    absent = [k for k in needed if k not in cfg]
    if absent:
        return [*problems, f"config.yaml lacks {', '.join(absent)}"]
    emo_num = list(cfg.emo_num)
    if len(emo_num) != len(EMOTIONS):
        problems.append(f"config.yaml: emo_num has {len(emo_num)} entries, expected {len(EMOTIONS)}")
    problems += _check_matrices(path, sum(emo_num), int(cfg.gpt.model_dim))
    problems += _check_gpt(path, cfg)
    if (path / BUILTIN_CLIP).exists() and not (path / BUILTIN_CLIP).is_file():
        problems.append(f"{BUILTIN_CLIP} is not a file")
    return problems


def _check_matrices(path: Path, rows: int, model_dim: int) -> list[str]:
    try:
        import torch
    except ImportError:
        return []
    problems = []
    for name, width in (("feat1.pt", 192), ("feat2.pt", model_dim)):  # speaker style, emotion vectors
        if not (path / name).is_file():
            continue
        try:
            matrix = torch.load(path / name, map_location="cpu", weights_only=True)
        except Exception as e:  # torch.load raises many kinds
            problems.append(f"{name} is not a readable tensor file: {type(e).__name__}")
            continue
        if not isinstance(matrix, torch.Tensor) or tuple(matrix.shape) != (rows, width):
            shape = tuple(matrix.shape) if isinstance(matrix, torch.Tensor) else type(matrix).__name__
            problems.append(f"{name} has shape {shape}, expected {(rows, width)}")
    return problems


def _check_gpt(path: Path, cfg: Any) -> list[str]:
    if not (path / "gpt.pth").is_file():
        return []
    try:
        import_indextts()
        import torch
        from indextts.gpt.model_v2 import UnifiedVoice  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except EngineUnavailable as e:
        return [f"cannot check shapes: {e.message}"]
    try:
        with torch.device("meta"):
            want = {k: tuple(v.shape) for k, v in UnifiedVoice(**cfg.gpt).state_dict().items()}
    except Exception as e:  # a config the package's model cannot be built from
        return [f"config.yaml: the gpt section does not build the package's model: {e}"]
    try:
        state = torch.load(path / "gpt.pth", map_location="meta", weights_only=True)
    except Exception as e:  # torch.load raises many kinds
        return [f"gpt.pth is not a readable checkpoint: {type(e).__name__}"]
    state = state.get("model", state) if isinstance(state, dict) else {}
    have = {k: tuple(v.shape) for k, v in state.items() if hasattr(v, "shape")}
    problems = []
    absent = sorted(set(want) - set(have))
    if absent:
        problems.append(f"gpt.pth lacks {len(absent)} tensor(s): {', '.join(absent[:5])}")
    unexpected = sorted(set(have) - set(want))
    if unexpected:
        problems.append(f"gpt.pth has {len(unexpected)} unexpected tensor(s): {', '.join(unexpected[:5])}")
    wrong = [k for k in sorted(set(want) & set(have)) if want[k] != have[k]]
    problems += [f"gpt.pth: {k} has shape {have[k]}, expected {want[k]}" for k in wrong[:5]]
    if len(wrong) > 5:
        problems.append(
            f"gpt.pth: {len(wrong) - 5} more tensor(s) have other shapes than config.yaml's model"
        )
    return problems
