"""The ChatTTS engine: loading through the package's own loader, voices, batched and
streamed synthesis. The package's ``__init__`` describes the model directory and behaviour."""

from __future__ import annotations

import collections
import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import Field

from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineExtras,
    EngineIdentity,
    EngineOwnOptions,
    SchedulingDefaults,
    Segment,
    Streaming,
    VoiceInfo,
    files_fingerprint,
)
from clarion.engines.onnx import variant_dir
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
from clarion.errors import EngineError, EngineUnavailable, InvalidRequest, VoiceNotFound
from clarion.text.frontend import TextFrontEnd

if TYPE_CHECKING:
    from clarion.config import Settings
from clarion.engines.chattts.checkpoint import (
    ASSET_FILES,
    CODE_LICENCE,
    OFFICIAL_WEIGHTS_LICENCE,
    check_model_dir,
    model_dir,
    read_manifest,
    write_manifest,
)
from clarion.engines.chattts.export import export_modules
from clarion.engines.chattts.onnx import (
    ALL_GRAPHS,
    ENGINE,
    ENGINE_GRAPHS,
    export_dir,
    record_feeds,
    source_key,
    use_onnx_variant,
)
from clarion.engines.chattts.textprep import TextPrep

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
PACKAGE = "ChatTTS"
_REQUIRED_MODULES = ("ChatTTS", "torch", "torchaudio", "vocos", "transformers", "safetensors", "requests")
_VOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SEED_VOICE = re.compile(r"seed_(\d{1,10})")
_JOINING_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_SPOKEN = re.compile(r"[A-Za-z\u4e00-\u9fff]")  # what ChatTTS can read aloud
_FRAMES_PER_TOKEN = 2  # the DVAE decoder unfolds each GPT step into two mel frames


class ChatTTSOptions(EngineOwnOptions):
    """ChatTTS's own options, ``CLARION_ENGINE_OPTIONS__CHATTTS__<OPTION>`` next to its
    scheduling ones (batch size, wait, workers); ``CLARION_CHATTTS_<OPTION>`` is deprecated."""

    engine: ClassVar[str] = "chattts"

    path: Path | None = Field(default=None, description="Model directory; default <models_dir>/chattts.")
    voices_dir: Path | None = Field(
        default=None, description="Where named voices are saved and read; default <path>/voices."
    )
    seed_voices: list[Annotated[int, Field(ge=0, le=2**32 - 1)]] = Field(
        default_factory=lambda: [2222, 7869, 6653, 4099, 5099],
        description="Speakers offered as voices 'seed_<n>', sampled with these seeds.",
    )
    default_voice: str | None = Field(default=None, description="Default: the first seed voice.")
    max_new_token: int = Field(
        default=2048, ge=1, le=4096, description="Most audio tokens per segment (a token is ~21 ms)."
    )
    stream_batch: int = Field(default=24, ge=1, le=1024, description="Audio tokens per streamed chunk.")
    temperature: float = Field(default=0.3, gt=0, le=2.0)
    top_p: float = Field(default=0.7, gt=0, le=1.0)
    top_k: int = Field(default=20, ge=1, le=1000)
    precision: Precision = Field(
        default="auto", description="GPT precision: auto (bf16/fp16 on CUDA, fp32 on CPU), fp32, fp16, bf16."
    )
    gpu_memory_fraction: float | None = Field(
        default=None, gt=0, le=1, description="Cap on GPU memory share."
    )
    compile: bool = Field(default=False, description="torch.compile the GPT (CUDA only).")


# -- the engine --------------------------------------------------------------------------------


@dataclass
class ChatTTSStats:
    """What reached the model: tests and benchmarks read these."""

    infer_calls: int = 0
    # Texts per infer() call, the latest last; bounded, like everything kept per request.
    batch_sizes: collections.deque[int] = field(default_factory=lambda: collections.deque(maxlen=1024))
    texts: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=256))
    tokens: int = 0  # audio tokens generated, all calls


def _chat_class() -> type[Any]:
    """ChatTTS's ``Chat`` with one change: the batch decode zeroes each item's padding.

    ``_decode_to_wavs`` pads every item's GPT states to the longest one before the decoder and
    vocoder; the padded frames decode to noise that would follow every shorter item. The
    per-item lengths recorded here cut each item at its end, in ``items`` for whole results and
    for each streamed chunk. (``infer``'s own result drops every sample below 1e-5 wherever it
    is, which shortens real pauses and makes lengths unpredictable, so it is not used.)"""
    import_torchaudio()
    from ChatTTS import Chat

    class _ClarionChat(Chat):
        def __init__(self, logger: logging.Logger) -> None:
            super().__init__(logger)
            self.decodes = 0  # decodes so far
            self.last_valid: list[int] = []  # samples of real audio per item in the latest decode
            self.last_wavs: Any = None  # the latest decode, (items, samples)
            self.tokens = 0  # audio tokens in the latest decode, all items
            # Set by a whole-result call: every item it decodes, cut at its end. Off while
            # streaming, which reads last_wavs instead and must not keep every chunk.
            self.items: list[Any] | None = None

        def _decode_to_wavs(self, result_list: list[Any], use_decoder: bool) -> Any:
            steps = [int(r.size(0)) for r in result_list]
            wavs = super()._decode_to_wavs(result_list, use_decoder)
            if not steps or wavs.ndim != 2:
                return wavs
            hop = int(self.config.vocos.head.init_args.hop_length)
            valid = [min(wavs.shape[1], max(0, hop * (_FRAMES_PER_TOKEN * n - 1))) for n in steps]
            for row, n in zip(wavs, valid, strict=True):
                row[n:] = 0.0
                if self.items is not None:
                    self.items.append(row[:n].copy())
            self.decodes += 1
            self.last_valid = valid
            self.last_wavs = wavs
            self.tokens = sum(steps)
            return wavs

    return _ClarionChat


class ChatTTSExtras(EngineExtras):
    """Sampling of the GPT for one request; unset fields take the engine's settings."""

    temperature: float | None = Field(default=None, gt=0.0, le=2.0, description="Sampling temperature.")
    top_p: float | None = Field(default=None, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    top_k: int | None = Field(default=None, ge=1, le=200, description="Sample among the top k tokens.")
    repetition_penalty: float | None = Field(default=None, ge=1.0, le=2.0, description="Penalty on repeats.")
    max_new_token: int | None = Field(default=None, ge=1, le=4096, description="Cap on audio tokens.")


class ChatTTSEngine:
    name: ClassVar[str] = "chattts"
    request_extras: ClassVar[type[EngineExtras]] = ChatTTSExtras
    own_options: ClassVar[type[EngineOwnOptions]] = ChatTTSOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en", "zh"),
        max_batch_size=32,
        batch_axis=True,
        streaming=Streaming.TOKEN,
        cloning=False,
        # ChatTTS's [speed_N] prompt is a hint, not a rate: Clarion time-stretches instead.
        speed_range=(1.0, 1.0),
        # One Chat holds one interrupt flag and one seeded generator: one thread at a time.
        thread_safe=False,
    )

    def __init__(self, settings: Settings, options: ChatTTSOptions | None = None) -> None:
        self._options = options or ChatTTSOptions.from_settings(settings)
        self._settings = settings
        self._dir = self._options.path or model_dir(settings)
        self._voices_dir = self._options.voices_dir or self._dir / "voices"
        self._chat: Any = None
        self._text_prep: Callable[[str], str] = str  # ChatTTS's normaliser steps, once loaded
        self._device: Any = None
        self._speakers: dict[str, str] = {}  # voice -> speaker embedding (base16384 string)
        self.onnx_variant: str | None = None  # the ONNX variant running the decode stages, if any
        self._identity: EngineIdentity | None = None  # set by load()
        self._lock = threading.Lock()  # guards stats
        self.stats = ChatTTSStats()
        manifest, _ = read_manifest(self._dir)  # a custom checkpoint states its own licence
        self._licence = manifest.licence if manifest else OFFICIAL_WEIGHTS_LICENCE
        # The service applied the user lexicon already; this pass catches what is left for
        # ChatTTS (digits, symbols), which it would otherwise delete.
        self._frontend = TextFrontEnd()

    # -- discovery ------------------------------------------------------------------------------
    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        absent = [m for m in _REQUIRED_MODULES if importlib.util.find_spec(m) is None]
        if absent:
            return (
                f"ChatTTS's packages are not installed ({', '.join(absent)}): pip install 'clarion[chattts]'"
            )
        path = ChatTTSOptions.from_settings(settings).path or model_dir(settings)
        if not path.is_dir():
            return (
                f"no ChatTTS checkpoint in {path}: put one there (asset/... as Chat.load reads it) "
                "or set CLARION_ENGINE_OPTIONS__CHATTTS__PATH"
            )
        missing = [rel for rel in ASSET_FILES if not (path / rel).is_file()]
        if missing:
            return (
                f"ChatTTS model files are missing from {path} ({', '.join(missing)}): put a checkpoint "
                "there or set CLARION_ENGINE_OPTIONS__CHATTTS__PATH; "
                f"`clarion models check chattts --path {path}` says more"
            )
        return None

    @classmethod
    def check_model_dir(cls, path: Path) -> list[str]:
        return check_model_dir(path)

    @classmethod
    def write_model_manifest(cls, path: Path) -> Path:
        """Record a custom checkpoint's hashes, once its files and shapes check out."""
        problems = check_model_dir(path, verify_hashes=False)
        if problems:
            raise EngineUnavailable(f"not writing a manifest for {path}: " + "; ".join(problems))
        return write_manifest(path)

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # One GPT generation per batch: batches are the point, so wait a little for them to fill.
        # One worker using every core (torch's intra-op threads) beats several competing ones.
        return SchedulingDefaults(max_batch_size=8, max_wait_ms=20.0, workers=1, threads=max(1, cores))

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def loaded(self) -> bool:
        return self._chat is not None

    @property
    def model_dir(self) -> Path:
        return self._dir

    @property
    def chat(self) -> Any:
        """The loaded ``ChatTTS.Chat`` (its decoder, vocoder and DVAE are what ``export``
        exports); None while unloaded."""
        return self._chat

    @property
    def voices_dir(self) -> Path:
        return self._voices_dir

    # -- lifecycle ------------------------------------------------------------------------------
    def load(self, device: str, threads: int) -> None:
        missing = [rel for rel in ASSET_FILES if not (self._dir / rel).is_file()]
        require_files("ChatTTS", self.name, self._dir, missing)
        manifest, manifest_problems = read_manifest(self._dir)
        if manifest_problems:
            raise EngineUnavailable(f"ChatTTS model directory {self._dir}: {'; '.join(manifest_problems)}")
        try:
            import_torchaudio()
            import torch
        except ImportError as e:
            raise EngineUnavailable(
                f"ChatTTS's packages are not installed ({e}): pip install 'clarion[chattts]'"
            ) from e
        dev = prepare(device, threads, self._options.gpu_memory_fraction)
        dtype = torch_dtype(dev, self._options.precision)
        chat = _chat_class()(logging.getLogger("clarion.engines.chattts.package"))
        if manifest is not None:
            # The loader verifies every file against this map: our manifest's hashes instead of
            # the official release's, never no verification.
            chat.sha256_map = manifest.chattts_map()
            self._licence = manifest.licence
        # Shapes, damaged files.
        with loading(
            "ChatTTS", self.name, self._dir, (RuntimeError, OSError, ValueError, KeyError, AssertionError)
        ):
            ok = chat.load(
                source="custom",
                custom_path=str(self._dir),
                device=dev,
                compile=self._options.compile and dev.type == "cuda",
            )
        if not ok:
            problems = check_model_dir(self._dir)
            raise EngineUnavailable(
                f"ChatTTS refused {self._dir}: " + ("; ".join(problems) or "see the log of ChatTTS.core")
            )
        if dtype != torch.float32:
            chat.gpt.gpt.to(dtype)  # the GPT casts its inputs to its own dtype and returns float32 states
        # `clarion optimize chattts`: an enabled ONNX variant takes over the decoder and vocoder.
        self.onnx_variant = use_onnx_variant(chat, self._settings, self._dir, dev, threads)
        files = [self._dir / rel for rel in ASSET_FILES]
        if self.onnx_variant is not None:
            files += sorted(variant_dir(self._settings, self.name, self.onnx_variant).glob("*.onnx"))
        precision = str(dtype).removeprefix("torch.")
        self._identity = self._identity_of(files_fingerprint(files), self.onnx_variant, precision)
        for language in ("en", "zh"):
            chat.normalizer.register(language, self._normalise_for_chattts)
        self._text_prep = TextPrep(chat.normalizer)
        self._speakers = self._load_speakers()
        self._device = dev
        self._chat = chat

    def unload(self) -> None:
        self._chat = None
        self._text_prep = str  # it holds the package's normaliser and tables
        release_memory(self._device)

    def identity(self) -> EngineIdentity:
        return self._identity or self._identity_of("", None, self._options.precision)

    def _identity_of(self, checkpoint: str, variant: str | None, precision: str) -> EngineIdentity:
        o = self._options
        return EngineIdentity.of(
            PACKAGE,
            checkpoint,
            variant=variant,
            precision=precision,
            temperature=o.temperature,
            top_p=o.top_p,
            top_k=o.top_k,
            max_new_token=o.max_new_token,
        )

    def _normalise_for_chattts(self, text: str) -> str:
        # ChatTTS turns a hyphen into a comma (a pause): "forty-two" is read as two words.
        return _JOINING_HYPHEN.sub(" ", self._frontend.normalize(text).text)

    # -- voices ----------------------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        return [self._voice_info(name) for name in self._voice_names()]

    def _voice_names(self) -> list[str]:
        if self._speakers:
            return list(self._speakers)
        return [*(f"seed_{s}" for s in self._options.seed_voices), *sorted(self._saved_voice_files())]

    def _voice_info(self, name: str) -> VoiceInfo:
        match = _SEED_VOICE.fullmatch(name)
        desc = f"ChatTTS speaker sampled with seed {match.group(1)}" if match else "ChatTTS saved speaker"
        # ChatTTS reads Mandarin and English with every speaker; "zh" keeps Chinese sentences on it.
        return VoiceInfo(
            name,
            self.name,
            "zh-CN",
            f"{self._licence}; {CODE_LICENCE}",
            SAMPLE_RATE,
            None,
            desc + " (zh, en)",
        )

    def default_voice(self, language: str | None = None) -> str:
        if self._options.default_voice:
            return self._options.default_voice
        names = self._voice_names()
        return names[0] if names else "seed_2222"

    def _saved_voice_files(self) -> dict[str, Path]:
        if not self._voices_dir.is_dir():
            return {}
        return {
            p.stem: p
            for p in self._voices_dir.glob("*.json")
            if _VOICE_NAME.fullmatch(p.stem) and not _SEED_VOICE.fullmatch(p.stem)
        }

    def _load_speakers(self) -> dict[str, str]:
        speakers = {f"seed_{s}": speaker_from_seed(s) for s in self._options.seed_voices}
        for name, path in sorted(self._saved_voice_files().items()):
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
                speakers[name] = validate_speaker(body["spk_emb"])
            except (OSError, ValueError, KeyError, TypeError) as e:
                log.warning("skipping ChatTTS voice file %s: %s", path, e)
        return speakers

    def save_voice(self, name: str, *, spk_emb: str | None = None, seed: int | None = None) -> VoiceInfo:
        """Store a speaker under ``name`` in the voices directory (from an embedding, or sampled
        with ``seed``) and offer it as a voice from now on."""
        if not _VOICE_NAME.fullmatch(name) or _SEED_VOICE.fullmatch(name):
            raise InvalidRequest(
                f"voice name {name!r} must be 1-64 letters, digits, '_', '.' or '-' and not 'seed_<n>'",
                param="name",
            )
        if (spk_emb is None) == (seed is None):
            raise InvalidRequest("give exactly one of a speaker embedding or a seed", param="spk_emb")
        try:
            embedding = (
                validate_speaker(spk_emb) if spk_emb is not None else speaker_from_seed(int(seed or 0))
            )
        except ValueError as e:
            raise InvalidRequest(str(e), param="spk_emb") from e
        body = {"spk_emb": embedding, "seed": seed, "format": "chattts-0.2 base16384 float16"}
        try:
            self._voices_dir.mkdir(parents=True, exist_ok=True)
            target = self._voices_dir / f"{name}.json"
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(body) + "\n", encoding="utf-8")
            os.replace(tmp, target)
        except OSError as e:
            raise EngineError(
                f"cannot save voice {name!r} in {self._voices_dir} ({e.strerror or e}); "
                "set CLARION_ENGINE_OPTIONS__CHATTTS__VOICES_DIR to a writable directory"
            ) from e
        if self._chat is not None:
            self._speakers[name] = embedding
        return self._voice_info(name)

    # -- synthesis -------------------------------------------------------------------------------
    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        out: list[Audio] = [np.zeros(0, np.float32)] * len(batch)
        for members, texts, params in self._groups(batch):
            wavs: list[Any] = []
            self._chat.items = wavs
            try:
                with inference():
                    self._chat.infer(
                        texts,
                        stream=False,
                        split_text=False,
                        skip_refine_text=True,
                        do_text_normalization=False,  # done in _prepare, through the same normaliser
                        do_homophone_replacement=False,
                        params_refine_text=self._chat.RefineTextParams(show_tqdm=False),
                        params_infer_code=params,
                    )
            finally:
                self._chat.items = None
            self._count(texts)
            if len(wavs) != len(members):
                raise EngineError(f"ChatTTS returned {len(wavs)} results for {len(members)} texts")
            for i, wav in zip(members, wavs, strict=True):
                out[i] = np.asarray(wav, np.float32).reshape(-1)
        return out

    def synthesize_stream(self, batch: Sequence[Segment]) -> Iterator[list[Audio]]:
        """Token-level streaming: yields, every ``stream_batch`` audio tokens, one array per
        segment holding the samples that are new since the previous yield (empty for a
        segment with nothing new). Concatenated per segment they are that segment's audio.
        The chunks are the ones ``Chat.infer(stream=True)`` cuts (it holds the first two back
        so the vocoder has context), each cut at its own item's end."""
        for members, texts, params in self._groups(batch):
            chat = self._chat
            seen = chat.decodes
            position = 0  # samples of the padded batch already handed out
            chunks = chat.infer(
                texts,
                stream=True,
                split_text=False,
                skip_refine_text=True,
                do_text_normalization=False,
                do_homophone_replacement=False,
                params_refine_text=chat.RefineTextParams(show_tqdm=False),
                params_infer_code=params,
            )
            while True:
                # Inference mode only while the package computes, not while our caller holds a chunk.
                with inference():
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                wavs, valid = chat.last_wavs, chat.last_valid
                # After the last decode, infer yields the rest of it once more without
                # decoding again: that chunk runs to the end of every item.
                end = position + int(np.shape(chunk)[1]) if chat.decodes != seen else int(wavs.shape[1])
                seen = chat.decodes
                parts: list[Audio] = [np.zeros(0, np.float32)] * len(batch)
                for k, i in enumerate(members):
                    parts[i] = np.array(wavs[k, position : max(position, min(end, valid[k]))], np.float32)
                position = end
                yield parts
            self._count(texts)

    def _require(self) -> Any:
        if self._chat is None:
            raise EngineUnavailable("the chattts engine is not loaded")
        return self._chat

    def _groups(self, batch: Sequence[Segment]) -> list[tuple[list[int], list[str], Any]]:
        """Segments that can share one infer() call, their texts as the model will read
        them, and fresh parameters for the call. Segments with nothing ChatTTS can read aloud
        (punctuation only) are left out: they render as empty audio.

        One call takes one speaker embedding and one seed; seeded segments go alone, since
        the package draws a seeded batch from one generator and neighbours would change it.
        ``InferCodeParams()`` as a default argument is one object shared by every call that
        infer() writes into, so each call gets its own."""
        chat = self._require()
        for seg in batch:
            if seg.voice not in self._speakers:
                raise VoiceNotFound(
                    f"chattts has no voice {seg.voice!r}; available: {', '.join(self._speakers)}",
                    param="voice",
                )
        # Sampling extras are per call too: segments asking for different ones go apart.
        keyed: dict[
            tuple[str, int | None, int, tuple[tuple[str, Any], ...]], tuple[list[int], list[str]]
        ] = {}
        for i, seg in enumerate(batch):
            text = self._prepare(seg.text)
            if not _SPOKEN.search(text):
                continue
            key = (seg.voice, seg.seed, i if seg.seed is not None else -1, tuple(sorted(seg.extras.items())))
            members, texts = keyed.setdefault(key, ([], []))
            members.append(i)
            texts.append(text)
        opts = self._options
        groups = []
        for (voice, seed, _, extras), (members, texts) in keyed.items():
            asked = dict(extras)
            params = chat.InferCodeParams(
                spk_emb=self._speakers[voice],
                temperature=asked.get("temperature", opts.temperature),
                top_P=asked.get("top_p", opts.top_p),
                top_K=asked.get("top_k", opts.top_k),
                repetition_penalty=asked.get("repetition_penalty", 1.05),
                max_new_token=asked.get("max_new_token", opts.max_new_token),
                # An end token as the very first step would leave nothing to decode; the
                # package retries unseeded runs in that case and fails seeded ones.
                min_new_token=1,
                stream_batch=opts.stream_batch,
                show_tqdm=False,
                manual_seed=seed,
            )
            groups.append((members, texts, params))
        return groups

    def _prepare(self, text: str) -> str:
        """The text exactly as the model's tokenizer will get it: ChatTTS's normaliser steps
        (with Clarion's front end registered in it) and homophone map."""
        return self._text_prep(text)

    def _count(self, texts: list[str]) -> None:
        with self._lock:
            self.stats.infer_calls += 1
            self.stats.batch_sizes.append(len(texts))
            self.stats.texts.extend(texts)
            self.stats.tokens += int(getattr(self._chat, "tokens", 0))

    # -- clarion optimize / export triton: the decode stages as ONNX (engines.chattts.onnx, .export) --
    onnx_exported: ClassVar[bool] = True  # as installed it runs PyTorch; its graphs are exports of that

    @classmethod
    def onnx_graphs(cls, settings: Settings) -> dict[str, Path]:
        """The decoder and vocoder as FP32 ONNX graphs, exported from the checkpoint once."""
        return exported_graphs(settings)

    def calibration_feeds(self, texts: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Real inputs of the decoder and vocoder while the engine renders ``texts`` (seeded),
        for static INT8 calibration."""
        chat = self.chat
        if chat is None:
            raise EngineUnavailable("load the chattts engine first")

        def render() -> None:
            voice = self.default_voice("en")
            for text in texts:
                self.synthesize([Segment(text, voice, "en", 1.0, 0)])

        return record_feeds(chat, render)


def speaker_from_seed(seed: int) -> str:
    """The speaker ``torch.manual_seed(seed); chat.sample_random_speaker()`` gives, sampled on
    the CPU from the package's speaker statistics, without touching the global RNG state."""
    import_torchaudio()
    import torch
    from ChatTTS.config import Config
    from ChatTTS.model import Speaker

    cfg = Config()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return str(Speaker(cfg.gpt.hidden_size, cfg.spk_stat, torch.device("cpu")).sample_random())


def validate_speaker(spk_emb: Any) -> str:
    """A speaker embedding string as ChatTTS encodes them, checked by decoding it."""
    import_torchaudio()
    from ChatTTS.config import Config
    from ChatTTS.model import Speaker

    if not isinstance(spk_emb, str) or not spk_emb:
        raise ValueError("a speaker embedding is a non-empty base16384 string")
    try:
        values = Speaker._decode(spk_emb)
    except Exception as e:  # lzma and base16384 raise assorted errors on garbage
        raise ValueError(f"not a ChatTTS speaker embedding: {e}") from e
    width = Config().gpt.hidden_size
    if values.shape != (width,) or not np.isfinite(values).all():
        raise ValueError(f"a ChatTTS speaker embedding has {width} finite values, this one {values.shape}")
    return spk_emb


# -- ONNX export of the decode stages (clarion optimize, clarion export triton) ----------------


def checkpoint_dir(settings: Settings) -> Path:
    return ChatTTSOptions.from_settings(settings).path or model_dir(settings)


def _forced(settings: Settings, variant: str) -> Settings:
    opts = settings.options_for(ENGINE).model_copy(update={"model_variant": variant})
    return settings.model_copy(update={"engine_options": {**settings.engine_options, ENGINE: opts}})


def exported_graphs(
    settings: Settings, graphs: Sequence[str] = ENGINE_GRAPHS, *, threads: int = 1
) -> dict[str, Path]:
    """FP32 graphs of the configured checkpoint, exported once and kept in
    ``<optimized>/chattts/exported/<source key>/`` (what ``clarion optimize`` starts from)."""
    source = checkpoint_dir(settings)
    key = source_key(source)
    paths = {g: export_dir(settings, key) / f"{g}.onnx" for g in graphs}
    missing = [g for g, p in paths.items() if not p.is_file()]
    if missing:
        options = ChatTTSOptions.from_settings(settings).model_copy(update={"path": source})
        engine = ChatTTSEngine(_forced(settings, "shipped"), options)
        engine.load("cpu", threads)
        try:
            export_modules(engine.chat, export_dir(settings, key), key, missing)
        finally:
            engine.unload()
    return paths


def export_checkpoint(model_dir: Path, out: Path, graphs: Sequence[str] = ALL_GRAPHS) -> dict[str, Path]:
    """Load the checkpoint in ``model_dir`` with ChatTTS's loader and export ``graphs`` to ``out``."""
    from clarion.config import Settings

    settings = Settings()
    options = ChatTTSOptions.from_settings(settings).model_copy(update={"path": model_dir})
    engine = ChatTTSEngine(_forced(settings, "shipped"), options)
    engine.load("cpu", 1)
    try:
        return export_modules(engine.chat, out, source_key(model_dir), graphs)
    finally:
        engine.unload()
