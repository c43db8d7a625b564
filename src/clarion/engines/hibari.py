"""hibari: a 7.9 MB English voice (Apache-2.0) bundled in the PyPI package ``hibari-tts``.

The default English voice and the cheap-but-real fixture of the test suite. Its graph is
fixed at batch 1, so batches are looped; throughput comes from parallel workers."""

from __future__ import annotations

import os
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
from clarion.engines.onnx import cpu_threads, graph_cache_dir, session
from clarion.engines.onnx import thread_policy as onnx_thread_policy
from clarion.errors import VoiceNotFound

if TYPE_CHECKING:
    from clarion.config import Settings

SAMPLE_RATE = 24_000
LICENCE = "Apache-2.0"
PACKAGE = "hibari-tts"


class HibariEngine:
    name: ClassVar[str] = "hibari"
    thread_policy = staticmethod(onnx_thread_policy)  # /v1/models: how its workers use the cores
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",),
        max_batch_size=1,
        batch_axis=False,
        streaming=Streaming.SENTENCE,
        speed_range=(0.5, 2.0),
        thread_safe=True,
    )

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._models: dict[str, Any] = {}  # voice -> hibari.Hibari
        self._g2p_lock = threading.Lock()
        self._identity: EngineIdentity | None = None  # set by load()

    @classmethod
    def probe(cls, settings: Settings) -> str | None:
        try:
            import hibari  # noqa: F401
        except ImportError:
            return "hibari-tts is not installed (pip install hibari-tts)"
        return None

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        # Batch 1 (the graph is fixed at batch 1), one worker per core, every worker's session
        # on every core without spinning (onnx.cpu_threads; docs/scheduling.md#cores).
        return SchedulingDefaults(
            max_batch_size=1, max_wait_ms=0.0, workers=max(1, cores), threads=cpu_threads(cores)
        )

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def loaded(self) -> bool:
        return bool(self._models)

    def _present_voices(self) -> dict[str, dict[str, Any]]:
        from hibari.voices import VOICES, voice_path

        present = {}
        for name, meta in VOICES.items():
            try:
                # Never download here: hub voices are listed only when already on disk.
                voice_path(name, download_missing=False)
            except (FileNotFoundError, ValueError):
                continue
            present[name] = meta
        return present

    def load(self, device: str, threads: int) -> None:
        from hibari import Hibari
        from hibari.g2p import ASSETS, G2P
        from hibari.g2p.oov import OOV
        from hibari.voices import voice_path

        # The package builds its sessions on ONNX Runtime's defaults (memory patterns on, an
        # arena that never gives memory back); ours follow Settings.onnx like every ONNX engine.
        options = self._settings.onnx
        g2ps: dict[bool, Any] = {}
        models = {}
        files: list[Path] = []  # the graphs loaded, for the identity
        for name, meta in self._present_voices().items():
            british = bool(meta.get("british"))
            if british not in g2ps:
                oov = os.path.join(ASSETS, "oov_gb.onnx" if british else "oov.onnx")
                # The OOV net is tiny and runs once per unknown word: one thread, on the CPU.
                g2ps[british] = G2P(oov=OOV(oov, session=session(oov, "cpu", 1, options)), british=british)
                files.append(Path(oov))
            tts = Hibari(voice=name, threads=threads, g2p=g2ps[british])
            graph = voice_path(name, download_missing=False)
            tts.sess = session(graph, device, threads, options, cache_dir=graph_cache_dir(self._settings))
            files.append(Path(graph))
            models[name] = tts
        self._models = models
        self._identity = EngineIdentity.of(PACKAGE, files_fingerprint(files))

    def unload(self) -> None:
        self._models = {}

    def voices(self) -> list[VoiceInfo]:
        out = []
        for name, meta in self._present_voices().items():
            desc = f"{meta.get('accent', '')} English, distilled from Kokoro {meta.get('kokoro', '')}".strip()
            out.append(
                VoiceInfo(
                    name,
                    self.name,
                    str(meta.get("language", "en-US")),
                    LICENCE,
                    SAMPLE_RATE,
                    meta.get("gender"),
                    desc,
                )
            )
        return out

    def default_voice(self, language: str | None = None) -> str:
        return "heart"

    def identity(self) -> EngineIdentity:
        return self._identity or EngineIdentity.of(PACKAGE)

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        return [self._one(seg) for seg in batch]

    def _one(self, seg: Segment) -> Audio:
        tts = self._models.get(seg.voice)
        if tts is None:
            raise VoiceNotFound(f"hibari has no voice {seg.voice!r}; available: {', '.join(self._models)}")
        with self._g2p_lock:  # the G2P (tagger, lexicon caches) is not documented as thread-safe
            chunks = tts.phonemize(seg.text)
        # Seed 0 by default: the same text gives the same audio, which caching relies on.
        rng = np.random.default_rng(0 if seg.seed is None else seg.seed)
        parts = [tts.from_ids(tts.ids(ps), seg.speed, rng) for ps in chunks]
        if not parts:
            return np.zeros(0, np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)
