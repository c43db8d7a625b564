"""Chatterbox (Resemble AI; PyPI ``chatterbox-tts`` 0.1.7, code and official weights MIT) through
the package's own loader, ``ChatterboxTTS.from_local``: English, with voice cloning from a
reference clip and an emotion-exaggeration control.

Model directory (``<models_dir>/chatterbox``, or ``CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH``),
exactly what ``from_local`` reads, and nothing is ever written there (a read-only mount is fine)::

    ve.safetensors  t3_cfg.safetensors  s3gen.safetensors  tokenizer.json
    conds.pt        (optional: the built-in voice "default"; without it, set
                     CLARION_ENGINE_OPTIONS__CHATTERBOX__DEFAULT_VOICE to an uploaded voice)

Voices: "default" (the checkpoint's ``conds.pt``) and every clip uploaded through
``/v1/audio/voices``. The conditionals of an uploaded clip (speaker embedding, prompt speech
tokens and mel features) are computed once by the package's ``prepare_conditionals`` and kept
in ``<data_dir>/voices/<name>/cache/chatterbox/`` under the clip's sha256, so a restart or
another worker reuses them; a re-uploaded clip has a new hash and is computed afresh.

Generation follows ``ChatterboxTTS.generate`` (the package's text clean-up, tokenizer, T3's
sampling loop and S3Gen, then the Perth watermark), for a whole batch of segments at once: T3
decodes every segment of a batch in one forward pass per step, and S3Gen's flow stage renders
the segments of one voice together (``chatterbox_batch``, tested token for token against
``T3.inference`` and sample for sample against ``S3Gen.inference``). Besides batching, three
differences that a server needs: the conditionals are passed per segment instead of being stored
on the shared model (``generate`` mutates ``self.conds``), the speech-token cap is a setting and a
request extra (``generate`` hard-codes 1000), and the watermark can be turned off
(``CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK=false``; on by default). The model's modules are
shared mutable state (S3Gen casts, the package's own paths rebuild wrappers per call), so each
worker gets its own instance.

Request extras: exaggeration, cfg_weight, temperature, top_p, min_p, repetition_penalty and
max_new_tokens (see ``ChatterboxExtras``). Each segment samples from its own random generator;
``seed`` seeds it, and then the segment gets exactly what ``generate`` gives with torch's
generator seeded so, whatever else shares its batch. Unseeded segments are seeded from torch's
process-wide generator."""

from __future__ import annotations

import collections
import importlib.metadata
import importlib.util
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

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
from clarion.engines.chatterbox_batch import Row, decode, render, speech_only
from clarion.engines.torch_util import (
    Precision,
    import_torchaudio,
    inference,
    loading,
    prepare,
    release_memory,
    require_files,
    torch_dtype,
)
from clarion.errors import EngineError, EngineUnavailable, VoiceNotFound

if TYPE_CHECKING:
    from clarion.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000  # S3Gen's output rate
LICENCE = "MIT (chatterbox-tts code and the official Chatterbox weights)"
MODEL_FILES: tuple[str, ...] = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
BUILTIN_CONDS = "conds.pt"
BUILTIN_VOICE = "default"
PACKAGE = "chatterbox-tts"
PACKAGE_MAX_NEW_TOKENS = 1000  # what ChatterboxTTS.generate allows itself
# What `clarion[chatterbox]` plus `scripts/install-chatterbox.sh` install, by import name.
# pkg_resources: the Perth watermarker finds its weights through it (setuptools<81 keeps it).
_REQUIRED_MODULES = (
    "chatterbox",
    "torch",
    "torchaudio",
    "transformers",
    "safetensors",
    "tokenizers",
    "librosa",
    "s3tokenizer",
    "diffusers",
    "conformer",
    "omegaconf",
    "perth",
    "pkg_resources",
)
_PACKAGE_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    ("pkg_resources is deprecated", UserWarning),
    (".*LoRACompatibleLinear", FutureWarning),
    (r".*torch\.backends\.cuda\.sdp_kernel\(\) is deprecated", FutureWarning),
)
_INSTALL_HINT = "pip install 'clarion[chatterbox]' && pip install --no-deps chatterbox-tts==0.1.7"


class ChatterboxOptions(EngineOwnOptions):
    """Chatterbox's own options, ``CLARION_ENGINE_OPTIONS__CHATTERBOX__<OPTION>`` next to its
    scheduling ones (workers, threads); ``CLARION_CHATTERBOX_<OPTION>`` is deprecated."""

    engine: ClassVar[str] = "chatterbox"

    path: Path | None = Field(default=None, description="Model directory; default <models_dir>/chatterbox.")
    default_voice: str = Field(
        default=BUILTIN_VOICE, description="'default' (the checkpoint's conds.pt) or an uploaded voice."
    )
    max_new_tokens: int = Field(
        default=PACKAGE_MAX_NEW_TOKENS,
        ge=1,
        le=4096,  # T3's speech position table
        description="Most speech tokens per segment (25 a second); requests may ask for fewer.",
    )
    precision: Precision = Field(
        default="auto", description="auto (bf16/fp16 on CUDA, fp32 on CPU), fp32, fp16 or bf16."
    )
    gpu_memory_fraction: float | None = Field(
        default=None, gt=0, le=1, description="Cap on GPU memory share."
    )
    voice_cache_size: int = Field(
        default=32, ge=1, le=4096, description="Uploaded voices' conditionals kept in memory per worker."
    )
    watermark: bool = Field(default=True, description="Mark the output with Resemble's Perth watermark.")


class ChatterboxExtras(EngineExtras):
    """Per-request controls; defaults are ``ChatterboxTTS.generate``'s."""

    exaggeration: float = Field(
        default=0.5,
        ge=0.0,
        le=2.0,
        description="Emotion intensity: 0.5 is neutral, higher is more expressive.",
    )
    cfg_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Classifier-free guidance weight; lower is slower, looser pacing.",
    )
    temperature: float = Field(
        default=0.8, ge=0.05, le=5.0, description="Sampling temperature of speech tokens."
    )
    top_p: float = Field(default=1.0, gt=0.0, le=1.0, description="Nucleus sampling threshold.")
    min_p: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Drop tokens below this share of the top one."
    )
    repetition_penalty: float = Field(default=1.2, ge=1.0, le=2.0, description="Penalty on repeated tokens.")
    max_new_tokens: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="Cap on speech tokens (25 a second), within the server's cap.",
    )


@dataclass(frozen=True, slots=True)
class Generation:
    """What one segment handed to the model."""

    text: str  # as the tokenizer got it (after the package's punctuation clean-up)
    voice: str
    exaggeration: float  # the value in the T3 conditioning the model received
    cfg_weight: float
    temperature: float
    top_p: float
    min_p: float
    repetition_penalty: float
    max_new_tokens: int
    seed: int | None
    tokens: int  # speech tokens generated
    watermarked: bool


@dataclass(frozen=True, slots=True)
class _Job:
    """One segment of a batch, ready for the model."""

    segment: Segment
    extras: ChatterboxExtras
    cap: int  # speech tokens at most
    text: str  # after the package's punctuation clean-up
    conds: Any  # the voice's chatterbox Conditionals
    exaggeration: float  # as T3 receives it
    row: Row


@dataclass
class ChatterboxStats:
    """What reached the model: tests and operators read these."""

    generations: int = 0
    tokens: int = 0
    watermarked: int = 0
    # Conditionals made from an uploaded clip: (voice, reference path, clip sha256), in order.
    computed: collections.deque[tuple[str, str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=256)
    )
    from_disk: int = 0  # conditionals read back from a voice's cache directory
    from_memory: int = 0  # conditionals found in this worker's memory
    recent: collections.deque[Generation] = field(default_factory=lambda: collections.deque(maxlen=256))


def model_dir(settings: Settings) -> Path:
    return settings.models_dir / "chatterbox"


def _quiet_progress(iterable: Any, *args: Any, **kwargs: Any) -> Any:
    """Stands in for the tqdm bar T3's sampling loop draws on stderr for every segment."""
    return iterable


def import_chatterbox() -> Any:
    """The chatterbox package's modules, imported beside the CPU torch build."""
    # Deprecations inside the package's dependencies, repeated at every load or segment and
    # nothing an operator can act on: Perth imports pkg_resources (setuptools<81 keeps it), S3Gen
    # builds diffusers' LoRACompatibleLinear, T3's perceiver enters torch's old sdp_kernel().
    for message, category in _PACKAGE_WARNINGS:
        warnings.filterwarnings("ignore", message, category)
    try:
        import_torchaudio()
        import chatterbox.models.t3.t3 as t3_module
        import chatterbox.tts as tts_module
    except ImportError as e:
        raise EngineUnavailable(f"Chatterbox's packages are not installed ({e}): {_INSTALL_HINT}") from e
    t3_module.tqdm = _quiet_progress
    return tts_module


def _files_fingerprint(path: Path) -> str:
    """The checkpoint's files as ``files_fingerprint`` sees them (names, sizes, times)."""
    return files_fingerprint(path / name for name in (*MODEL_FILES, BUILTIN_CONDS))


class ChatterboxEngine(KeepsVoiceStore):
    name: ClassVar[str] = "chatterbox"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",),
        # T3 decodes a batch in one forward pass per step and S3Gen's flow runs per voice in one
        # pass (chatterbox_batch); the calibration ('auto') tries sizes up to this.
        max_batch_size=16,
        batch_axis=True,
        streaming=Streaming.SENTENCE,
        cloning=True,
        speed_range=(1.0, 1.0),  # no rate control in the model: Clarion time-stretches
        thread_safe=False,  # T3 keeps per-call state on the module: one instance per worker
    )
    request_extras: ClassVar[type[EngineExtras]] = ChatterboxExtras
    own_options: ClassVar[type[EngineOwnOptions]] = ChatterboxOptions

    def __init__(self, settings: Settings, options: ChatterboxOptions | None = None) -> None:
        self._options = options or ChatterboxOptions.from_settings(settings)
        self._dir = self._options.path or model_dir(settings)
        self._watermark = self._options.watermark
        self._settings = settings
        self._tts: Any = None  # the chatterbox.tts module
        self._model: Any = None  # chatterbox.tts.ChatterboxTTS
        self._builtin: Any = None  # Conditionals from conds.pt
        self._device: Any = None
        self._dtype: Any = None
        self._conds: collections.OrderedDict[str, tuple[str, Any]] = collections.OrderedDict()
        self._lock = threading.Lock()  # guards stats
        self.stats = ChatterboxStats()
        self._identity: EngineIdentity | None = None  # set by load()

    # -- discovery ------------------------------------------------------------------------------
    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        absent = [m for m in _REQUIRED_MODULES if importlib.util.find_spec(m) is None]
        if absent:
            why = f"Chatterbox's packages are not installed ({', '.join(absent)}): {_INSTALL_HINT}"
            if absent == ["pkg_resources"]:
                why = "the Perth watermarker needs pkg_resources: pip install 'setuptools<81'"
            return why
        path = ChatterboxOptions.from_settings(settings).path or model_dir(settings)
        missing = [name for name in MODEL_FILES if not (path / name).is_file()]
        if missing:
            return (
                f"Chatterbox model files are missing from {path} ({', '.join(missing)}): put a checkpoint "
                "there or set CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH; "
                f"`clarion models check chatterbox --path {path}` lists what is wrong"
            )
        return None

    @classmethod
    def check_model_dir(cls, path: Path) -> list[str]:
        return check_model_dir(path)

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # Batches of 4 sentences: on this 2-core CPU they more than double the throughput of the
        # tiny test model's decoder (docs/engines/chatterbox.md), and a sentence takes seconds on
        # the real model, so waiting 20 ms for a batch to fill costs nothing noticeable. One worker
        # using every core (torch's intra-op threads) beats several competing ones on a CPU; on a
        # GPU, CLARION_ENGINE_OPTIONS__CHATTERBOX__WORKERS runs more instances side by side.
        return SchedulingDefaults(max_batch_size=4, max_wait_ms=20.0, workers=1, threads=max(1, cores))

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
        """The package's ChatterboxTTS (None until loaded)."""
        return self._model

    # -- lifecycle ------------------------------------------------------------------------------
    def load(self, device: str, threads: int) -> None:
        missing = [name for name in MODEL_FILES if not (self._dir / name).is_file()]
        require_files("Chatterbox", self.name, self._dir, missing)
        tts = import_chatterbox()
        dev = prepare(device, threads, self._options.gpu_memory_fraction)
        dtype = torch_dtype(dev, self._options.precision)
        # Shape mismatches, damaged files (safetensors' own errors), a bad tokenizer.
        with loading("Chatterbox", self.name, self._dir):
            model = tts.ChatterboxTTS.from_local(self._dir, str(dev))
        self._identity = self._identity_of(_files_fingerprint(self._dir), str(dtype).removeprefix("torch."))
        self._tts = tts
        self._model = model
        self._builtin = model.conds
        self._device = dev
        self._dtype = dtype
        self._conds.clear()
        default = self._options.default_voice
        if default == BUILTIN_VOICE and self._builtin is None:
            self.unload()
            raise EngineUnavailable(
                f"{self._dir} has no {BUILTIN_CONDS}, so Chatterbox has no built-in voice: add one, or set "
                "CLARION_ENGINE_OPTIONS__CHATTERBOX__DEFAULT_VOICE to an uploaded voice"
            )
        if default != BUILTIN_VOICE and not self._store().exists(default):
            self.unload()
            raise EngineUnavailable(
                f"CLARION_ENGINE_OPTIONS__CHATTERBOX__DEFAULT_VOICE names {default!r}, which is not an "
                f"uploaded voice in {self._store().root}"
            )

    def unload(self) -> None:
        self._model = None
        self._builtin = None
        self._conds.clear()
        release_memory(self._device)

    def identity(self) -> EngineIdentity:
        return self._identity or self._identity_of("", self._options.precision)

    def _identity_of(self, checkpoint: str, precision: str) -> EngineIdentity:
        return EngineIdentity.of(
            PACKAGE,
            checkpoint,
            watermark=self._watermark,
            precision=precision,
            max_new_tokens=self._options.max_new_tokens,
        )

    # -- voices ----------------------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        has_builtin = self._builtin is not None if self._model is not None else self._has_conds_file()
        if not has_builtin:
            return []
        return [
            VoiceInfo(
                BUILTIN_VOICE,
                self.name,
                "en-US",
                LICENCE,
                SAMPLE_RATE,
                None,
                "Chatterbox's built-in voice (conds.pt); uploaded clips are cloned too",
            )
        ]

    def _has_conds_file(self) -> bool:
        return (self._dir / BUILTIN_CONDS).is_file()

    def default_voice(self, language: str | None = None) -> str:
        return self._options.default_voice

    def _conditionals(self, voice: str) -> Any:
        """The model's conditioning for a voice: the built-in one, or an uploaded clip's, from
        this worker's memory, the voice's cache directory, or computed from the clip."""
        if voice == BUILTIN_VOICE and self._builtin is not None:
            return self._builtin
        if not self._store().exists(voice):
            uploaded = [v.name for v in self._store().list()][:20]
            valid = ([BUILTIN_VOICE] if self._builtin is not None else []) + uploaded
            raise VoiceNotFound(
                f"chatterbox has no voice {voice!r}: use {', '.join(valid) or 'an uploaded voice'} "
                "or upload a reference clip to /v1/audio/voices",
                param="voice",
            )
        sha = self._store().get(voice).sha256
        held = self._conds.get(voice)
        if held is not None and held[0] == sha:
            self._conds.move_to_end(voice)
            with self._lock:
                self.stats.from_memory += 1
            return held[1]
        tts = self._tts
        cache = self._store().cache_dir(voice, self.name) / f"conds-{sha}.pt"
        conds = None
        if cache.is_file():
            try:
                conds = tts.Conditionals.load(cache, map_location=self._device).to(self._device)
                with self._lock:
                    self.stats.from_disk += 1
            except Exception as e:  # a damaged or foreign cache file: compute afresh
                log.warning("recomputing Chatterbox conditionals for %s: %s unreadable (%s)", voice, cache, e)
        if conds is None:
            conds = self._compute(voice, self._store().reference(voice), sha)
            self._save(conds, cache)
        self._conds[voice] = (sha, conds)
        while len(self._conds) > self._options.voice_cache_size:
            self._conds.popitem(last=False)
        return conds

    def _compute(self, voice: str, reference: Path, sha: str) -> Any:
        model = self._model
        previous = model.conds  # prepare_conditionals leaves its result on the model
        try:
            with inference():
                model.prepare_conditionals(str(reference), exaggeration=0.5)
            conds = model.conds
        except Exception as e:
            raise EngineError(f"could not compute Chatterbox conditionals from voice {voice!r}: {e}") from e
        finally:
            model.conds = previous
        with self._lock:
            self.stats.computed.append((voice, str(reference), sha))
        return conds

    @staticmethod
    def _save(conds: Any, cache: Path) -> None:
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            conds.save(tmp)
            os.replace(tmp, cache)
        except OSError as e:  # a full or read-only data dir: keep them in memory only
            log.warning("could not cache Chatterbox conditionals in %s: %s", cache, e)
            tmp.unlink(missing_ok=True)

    # -- synthesis -------------------------------------------------------------------------------
    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        if self._model is None:
            raise EngineUnavailable("the chatterbox engine is not loaded")
        jobs = [self._job(seg) for seg in batch]  # unknown voices and bad extras fail here, before the model
        with inference(), self._autocast():
            speech = [speech_only(tokens) for tokens in decode(self._model.t3, [job.row for job in jobs])]
            waves = render(
                self._model.s3gen,
                [(s, job.conds.gen, job.row.generator) for s, job in zip(speech, jobs, strict=True)],
            )
            audios = [wave.float().cpu().numpy() for wave in waves]
        return [self._finish(job, s, audio) for job, s, audio in zip(jobs, speech, audios, strict=True)]

    def _job(self, seg: Segment) -> _Job:
        import torch
        from chatterbox.models.t3.modules.cond_enc import T3Cond

        extras = ChatterboxExtras.model_validate(dict(seg.extras))
        cap = min(extras.max_new_tokens or self._options.max_new_tokens, self._options.max_new_tokens)
        model, device = self._model, self._device
        conds = self._conditionals(seg.voice)
        text = self._tts.punc_norm(seg.text)
        t3_cond = T3Cond(
            speaker_emb=conds.t3.speaker_emb,
            cond_prompt_speech_tokens=conds.t3.cond_prompt_speech_tokens,
            emotion_adv=extras.exaggeration * torch.ones(1, 1, 1),
        ).to(device=device)
        tokens = model.tokenizer.text_to_tokens(text).to(device)
        # Two rows, conditional and unconditional, as generate() builds for guidance. T3's
        # sampling loop always runs two rows, so they are needed with cfg_weight 0 too
        # (where the second row's logits are multiplied by zero).
        tokens = torch.cat([tokens, tokens], dim=0)
        tokens = torch.nn.functional.pad(tokens, (1, 0), value=model.t3.hp.start_text_token)
        tokens = torch.nn.functional.pad(tokens, (0, 1), value=model.t3.hp.stop_text_token)
        # Each segment samples from its own generator, so a seeded one draws exactly what it
        # would draw alone (from torch's generator seeded as ChatterboxTTS.generate would be),
        # whatever shares its batch; unseeded ones are seeded from torch's generator.
        generator = torch.Generator(device=device)
        seed = seg.seed if seg.seed is not None else int(torch.randint(0, 2**62, (1,)))
        generator.manual_seed(seed)
        row = Row(
            cond=t3_cond,
            text_tokens=tokens,
            cfg_weight=extras.cfg_weight,
            temperature=extras.temperature,
            top_p=extras.top_p,
            min_p=extras.min_p,
            repetition_penalty=extras.repetition_penalty,
            max_new_tokens=cap,
            generator=generator,
        )
        return _Job(seg, extras, cap, text, conds, float(t3_cond.emotion_adv.reshape(-1)[0]), row)

    def _finish(self, job: _Job, speech: Any, audio: Audio) -> Audio:
        watermarked = bool(self._watermark and audio.size)
        if watermarked:
            with inference():  # the watermarker is a network too
                audio = self._model.watermarker.apply_watermark(audio, sample_rate=SAMPLE_RATE)
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if not np.isfinite(audio).all():
            raise EngineError("Chatterbox produced non-finite samples")
        extras, seg = job.extras, job.segment
        record = Generation(
            text=job.text,
            voice=seg.voice,
            exaggeration=job.exaggeration,
            cfg_weight=extras.cfg_weight,
            temperature=extras.temperature,
            top_p=extras.top_p,
            min_p=extras.min_p,
            repetition_penalty=extras.repetition_penalty,
            max_new_tokens=job.cap,
            seed=seg.seed,
            tokens=int(speech.numel()),
            watermarked=watermarked,
        )
        with self._lock:
            self.stats.generations += 1
            self.stats.tokens += record.tokens
            self.stats.watermarked += int(watermarked)
            self.stats.recent.append(record)
        return audio

    def _autocast(self) -> Any:
        import torch

        if self._device is None or self._device.type != "cuda" or self._dtype == torch.float32:
            return nullcontext()
        return torch.autocast(device_type="cuda", dtype=self._dtype)


# -- model directory check ---------------------------------------------------------------------


def _expected_state() -> dict[str, dict[str, tuple[int, ...]]]:
    """Tensor names and shapes the installed package's loader expects, per file: the modules
    ``from_local`` builds, constructed on the meta device (no memory, no weights)."""
    import_chatterbox()
    import torch
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder

    with torch.device("meta"):
        modules = {"ve.safetensors": VoiceEncoder(), "t3_cfg.safetensors": T3(), "s3gen.safetensors": S3Gen()}
    return {
        name: {k: tuple(v.shape) for k, v in module.state_dict().items()} for name, module in modules.items()
    }


def _s3gen_optional(key: str) -> bool:
    """S3Gen tensors the package recomputes itself (its state dict is loaded non-strictly)."""
    from chatterbox.models.s3gen.s3gen import S3Token2Wav
    from chatterbox.models.s3tokenizer import S3Tokenizer

    optional = (
        *S3Token2Wav.ignore_state_dict_missing,
        *(f"tokenizer.{k}" for k in S3Tokenizer.ignore_state_dict_missing),
    )
    return key in optional


def check_model_dir(path: Path) -> list[str]:
    """What keeps ``from_local`` from loading ``path`` into the installed package's models,
    a line per problem; empty when it would load."""
    if not path.is_dir():
        return [f"{path} is not a directory"]
    problems = [f"{name} is missing" for name in MODEL_FILES if not (path / name).is_file()]
    try:
        expected = _expected_state()
    except EngineUnavailable as e:
        return [*problems, f"cannot check shapes: {e.message}"]
    from safetensors import safe_open

    for name, want in expected.items():
        if not (path / name).is_file():
            continue
        try:
            with safe_open(str(path / name), framework="pt") as f:
                have = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
        except Exception as e:  # safetensors raises its own error types for a damaged header
            problems.append(f"{name} is not a readable safetensors file: {e}")
            continue
        strict = name != "s3gen.safetensors"  # from_local loads S3Gen with strict=False
        absent = sorted(k for k in set(want) - set(have) if strict or not _s3gen_optional(k))
        if absent:
            problems.append(f"{name} lacks {len(absent)} tensor(s): {', '.join(absent[:5])}")
        unexpected = sorted(set(have) - set(want))
        if unexpected and strict:
            problems.append(f"{name} has {len(unexpected)} unexpected tensor(s): {', '.join(unexpected[:5])}")
        wrong = [k for k in sorted(set(want) & set(have)) if want[k] != have[k]]
        for k in wrong[:5]:
            problems.append(f"{name}: {k} has shape {have[k]}, expected {want[k]}")
        if len(wrong) > 5:
            problems.append(
                f"{name}: {len(wrong) - 5} more tensor(s) have other shapes than this package's model"
            )
    problems += _check_tokenizer(path / "tokenizer.json")
    problems += _check_conds(path / BUILTIN_CONDS)
    return problems


def _check_tokenizer(path: Path) -> list[str]:
    if not path.is_file():
        return []
    from chatterbox.models.t3.modules.t3_config import T3Config
    from chatterbox.models.tokenizers.tokenizer import EOT, SOT
    from tokenizers import Tokenizer

    try:
        vocab = Tokenizer.from_file(str(path)).get_vocab()
    except Exception as e:  # tokenizers raises a bare Exception on malformed JSON
        return [f"tokenizer.json is not a readable tokenizers file: {e}"]
    problems = [f"tokenizer.json lacks the token {t}" for t in (SOT, EOT) if t not in vocab]
    size = T3Config.english_only().text_tokens_dict_size
    too_big = sorted(t for t, i in vocab.items() if i >= size)
    if too_big:
        problems.append(
            f"tokenizer.json has ids beyond the model's {size} text tokens: {', '.join(too_big[:5])}"
        )
    return problems


def _check_conds(path: Path) -> list[str]:
    if not path.is_file():
        return []
    from chatterbox.models.t3.modules.t3_config import T3Config
    from chatterbox.tts import Conditionals

    try:
        conds = Conditionals.load(path, map_location="cpu")
    except Exception as e:  # torch.load and the dataclass raise many kinds
        return [f"{BUILTIN_CONDS} is not a Chatterbox Conditionals file: {type(e).__name__}: {str(e)[:200]}"]
    problems = []
    width = T3Config.english_only().speaker_embed_size
    speaker = conds.t3.speaker_emb
    if speaker is None or tuple(speaker.shape)[-1] != width:
        problems.append(f"{BUILTIN_CONDS}: the speaker embedding should have {width} values")
    needed = {"prompt_token", "prompt_feat", "embedding"}
    if not needed <= set(conds.gen):
        problems.append(
            f"{BUILTIN_CONDS} lacks S3Gen conditioning: {', '.join(sorted(needed - set(conds.gen)))}"
        )
    return problems
