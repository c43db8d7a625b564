"""An engine with a checkpoint a test can change cheaply, for the engine-identity tests.

Its "weights" are one text file holding the tone's gain: changing the file changes the audio,
and the file's fingerprint is the identity's checkpoint. It lives in an importable module so
worker processes (spawned) can load it by name."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from clarion.config import Settings
from clarion.engines.base import Capabilities, EngineIdentity, files_fingerprint
from clarion.engines.null import NullEngine
from clarion.engines.onnx import selected_variant


def weights_file(settings: Settings) -> Path:
    return settings.models_dir / "ckpt" / "gain.txt"


class CheckpointEngine(NullEngine):
    name: ClassVar[str] = "ckpt"
    capabilities: ClassVar[Capabilities] = Capabilities(languages=("en",), max_batch_size=4)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._settings = settings
        self._identity: EngineIdentity | None = None

    def load(self, device: str, threads: int) -> None:
        path = weights_file(self._settings)
        gain = float(path.read_text(encoding="utf-8"))
        super().load(device, threads)
        assert self._tone is not None
        self._tone = self._tone * gain
        variant = selected_variant(self._settings, self.name)
        self._identity = EngineIdentity.of("clarion", files_fingerprint([path]), variant=variant)

    def identity(self) -> EngineIdentity:
        return self._identity or EngineIdentity.of("clarion")
